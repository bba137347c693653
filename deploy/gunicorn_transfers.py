"""gunicorn settings for long transfers: uploads and media (``gunicorn -c``).

``/api/v1/uploads`` (tus), ``/api/v1/assignments/<id>/versions`` (multipart) and
``/media/`` spend their time waiting on the network and the disk, a request for
minutes when a phone is slow, so many threads a process: a waiting thread
releases the GIL. The proxy in front (``deploy/nginx.conf``) sends these paths
here and everything else to the pages (``gunicorn_pages.py``). Both pools run
the same app, so either can serve any request: routing is for speed, never for
correctness.
"""

import os

bind = "0.0.0.0:8001"  # --bind on the command line overrides any of these
workers = int(os.environ.get("TRANSFER_WORKERS", 2))
worker_class = "gthread"
threads = int(os.environ.get("TRANSFER_THREADS", 16))
timeout = 120  # per request: a tus PATCH carries one chunk, not the whole file
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeats in memory
control_socket_disable = True
wsgi_app = "workshop:create_app()"

"""gunicorn settings for the pages: everything but uploads and media (``gunicorn -c``).

Pages are CPU-bound Python (a few queries, then a template), so one thread a process
and one process a CPU. Threads in one process take turns on the GIL: under load
that cost the busiest pages a third of their throughput and doubled their slowest
times. More processes than CPUs only take turns on the cores, which makes the slow
times slower (README, "Benchmarks", has the figures). When PostgreSQL runs on
another machine, a process waiting on it leaves its core idle: there, set
PAGE_WORKERS to about twice the CPUs.

Long transfers (resumable uploads, the multipart upload, media sent to players)
would hold such a process for minutes; they go to the threaded pool of
``gunicorn_transfers.py``, routed by the proxy in front (``deploy/nginx.conf``),
which also buffers responses so that a slow phone never holds a page process.
"""

import os

bind = "0.0.0.0:8000"  # --bind on the command line overrides any of these
# The CPUs this process may use, not the host's: a container limited by cpusets sees its own.
workers = int(os.environ.get("PAGE_WORKERS", len(os.sched_getaffinity(0))))
worker_class = "gthread"  # one thread, but idle keep-alive connections cost nothing
threads = 1
timeout = 60  # a page (or a streamed CSV export) that takes longer is stuck
# The heartbeat file is touched on every request: in memory, never a disk write.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True
wsgi_app = "workshop:create_app()"

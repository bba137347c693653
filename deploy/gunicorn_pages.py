"""gunicorn settings for the pages: everything but uploads and media (``gunicorn -c``).

Pages are CPU-bound Python (a few queries, then a template), so one process a CPU,
each doing one request at a time. Threads in one process take turns on the GIL: under
load that cost the busiest pages a third of their throughput and doubled their
slowest times. More processes than CPUs only take turns on the cores, which makes
the slow times slower (docs/performance.md has the figures). When PostgreSQL runs
on another machine, a process waiting on it leaves its core idle: there, set
PAGE_WORKERS to about twice the CPUs.

The sync worker takes a connection only when it is free, and closes it after the
response: every request waits in one queue (the listening socket) for the first free
process. A kept-alive connection stays with the process that accepted it, so under
load one process had a queue while the other sat idle a fifth of the time; the sync
worker gave the same two processes 30-50 % more requests a second.

Long transfers (resumable uploads, the multipart upload, media sent to players)
would hold such a process for minutes; they go to the threaded pool of
``gunicorn_transfers.py``, routed by the proxy in front (``deploy/nginx.conf``),
which also buffers requests and responses, so that a slow phone never holds a page
process. That buffering proxy is what gunicorn's sync worker is designed to sit behind.
"""

import os

bind = "0.0.0.0:8000"  # --bind on the command line overrides any of these
# The CPUs this process may use, not the host's: a container limited by cpusets sees its own.
workers = int(os.environ.get("PAGE_WORKERS", len(os.sched_getaffinity(0))))
worker_class = "sync"  # one request at a time, no keep-alive (see above)
timeout = 60  # a page (or a streamed CSV export) that takes longer is stuck
# The heartbeat file is touched on every request: in memory, never a disk write.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True
wsgi_app = "workshop:create_app()"

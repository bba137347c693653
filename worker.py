"""An RQ worker for Karya: ``python worker.py`` (listens on the media and default queues).

Run as many as you like, on as many machines as you like, all pointed at the
same ``REDIS_URL`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import sys

from rq import Worker

from workshop import create_app
from workshop.queues import ALL
from workshop.redis_conn import get_redis


def main(argv: list[str]) -> None:
    app = create_app()
    queues = argv or list(ALL)
    with app.app_context():
        worker = Worker(queues, connection=get_redis(app))
        worker.work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""RQ queue names and how to reach them."""

from __future__ import annotations

from rq import Queue

from .redis_conn import get_redis

MEDIA = "media"      # probing and processing uploaded drafts: long, CPU-heavy jobs
DEFAULT = "default"  # short jobs: notifications, emails, scheduled clean-ups
ALL = (MEDIA, DEFAULT)


def queue(name: str) -> Queue:
    return Queue(name, connection=get_redis())

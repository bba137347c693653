"""Per-person and per-route limits on uploads.

Pending uploads: each unfinished upload may reserve up to ``UPLOAD_MAX_BYTES`` of
disk, so one person may have at most ``UPLOAD_MAX_PENDING_PER_USER`` at once. The
count and the new upload's row are made under :func:`one_creation_at_a_time`, a
Redis lock per person shared by every web process, so simultaneous creations
cannot all see room for one more.

Request-body size limits per route.

``MAX_CONTENT_LENGTH`` caps every request body in the app (near the plain-upload
limit). A few routes need another cap: a tus ``PATCH`` carries chunks as large as
the client likes, up to the upload's declared length. Such a view is marked with
:func:`body_limit`, and :func:`apply_body_limit` sets the request's own limit
*before any before-request hook runs*: the API's CSRF check reads ``request.form``
for cookie sessions, which opens the body stream with whatever limit is in force
at that moment, and a stream's limit cannot be changed once it is open.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from redis.exceptions import LockError

from ..errors import Unavailable
from ..redis_conn import get_redis

# Creating an upload takes milliseconds; the lock expires by itself if its process dies.
_CREATION_LOCK_S = 30


def body_limit(limit: Callable[[dict], int]):
    """Mark a view as accepting bodies of up to ``limit(app.config)`` bytes."""

    def mark(view):
        view.body_limit = limit
        return view

    return mark


def apply_body_limit() -> None:
    """App-wide before-request hook: give the request its view's body limit, if it has one."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "body_limit", None)
    if limit is not None:
        request.max_content_length = limit(current_app.config)


@contextmanager
def one_creation_at_a_time(user_id: int) -> Iterator[None]:
    """Hold the person's upload-creation lock (waiting for it if another request has it)."""
    lock = get_redis().lock(f"karya:uploads:creating:{user_id}", timeout=_CREATION_LOCK_S,
                            blocking_timeout=_CREATION_LOCK_S)
    if not lock.acquire():
        raise Unavailable(_l("Karya is busy or down for a moment. Please try again soon."))
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:  # it expired meanwhile; nothing to release
            pass

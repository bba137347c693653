"""Request-body size limits per route.

``MAX_CONTENT_LENGTH`` caps every request body in the app (near the plain-upload
limit). A few routes need another cap: a tus ``PATCH`` carries chunks as large as
the client likes, up to the upload's declared length. Such a view is marked with
:func:`body_limit`, and :func:`apply_body_limit` sets the request's own limit
*before any before-request hook runs*: the API's CSRF check reads ``request.form``
for cookie sessions, which opens the body stream with whatever limit is in force
at that moment, and a stream's limit cannot be changed once it is open.
"""

from __future__ import annotations

from typing import Callable

from flask import current_app, request


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

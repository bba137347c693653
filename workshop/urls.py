"""Absolute links for emails and other places outside a page."""

from __future__ import annotations

from flask import current_app, url_for


def absolute_url(endpoint: str, **values) -> str:
    """``BASE_URL`` + the route's path; without BASE_URL, the request's own host.

    Production should set BASE_URL: the Host header comes from the client, and a
    password-reset link built on it could point at someone else's site.
    """
    base = current_app.config.get("BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)

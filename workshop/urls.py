"""Links: absolute ones for emails, and the one check on where a redirect may go."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

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


def is_local_path(target: object) -> bool:
    """True for a path on this site ("/cohorts/3?tab=x"), false for anything a browser
    could take to another host or scheme.

    Refused: absolute URLs and schemes, protocol-relative ``//host``, backslashes (which
    browsers read as slashes), and control characters anywhere: browsers drop tabs and
    newlines from URLs, so ``/<TAB>/evil.example`` would become ``//evil.example``, and a
    newline cannot go in a header at all.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(unicodedata.category(c) == "Cc" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_redirect_target(target: object, default: str) -> str:
    """``target`` when it is a path on this site (:func:`is_local_path`), else ``default``.

    Every redirect to a place a request named (a ``next`` parameter, a stored link)
    goes through this one check.
    """
    return target if is_local_path(target) else default

"""Response headers that keep pages from being framed, sniffed or injected into, and
personal answers out of every cache."""

from __future__ import annotations

from flask import request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    _keep_out_of_caches(response)
    return response


# Answers that are the same for everyone and may be cached as they say.
_SHARED_PREFIXES = ("/static/",)
# Answers that are always someone's own: the API (bearer tokens, no cookie needed) and media.
_PRIVATE_PREFIXES = ("/api/", "/media/")


def _keep_out_of_caches(response) -> None:
    """``Cache-Control: no-store`` on every API and media answer and on every page shown to a
    signed-in person: neither a shared proxy nor the browser's disk cache (a school's shared
    computer) may keep a copy. Static assets keep their own caching."""
    path = request.path
    if path.startswith(_SHARED_PREFIXES):
        return
    if not (path.startswith(_PRIVATE_PREFIXES) or current_user.is_authenticated):
        return
    if "no-store" not in (response.headers.get("Cache-Control") or ""):
        response.headers["Cache-Control"] = "no-store"
        response.expires = None

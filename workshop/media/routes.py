"""Serving a version's media to the people allowed to see it.

``/media/versions/<id>/<token>/<kind>``: the token (``Version.media_token``) makes
the URL unguessable, and the access check still runs on every request: a student
sees only their own versions, mentors and leads those of their cohorts. The
storyboard's WebVTT names its sprite relatively (``storyboard.jpg``), so both sit
side by side under one URL folder.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import Blueprint, abort, url_for

from ..access import requires
from ..filenames import stored_label
from ..roles import Role
from ..submissions.models import Version
from .storage import get_storage

bp = Blueprint("media", __name__, url_prefix="/media")


@dataclass(frozen=True)
class MediaKind:
    """One kind of media file a version has, and how it is served."""

    key_field: str  # the Version column holding the storage key
    mimetype: str
    attachment: bool = False


KINDS = {
    # The original is whatever the student sent: never rendered inline by the browser.
    "original": MediaKind("original_key", "application/octet-stream", attachment=True),
    "rendition.mp4": MediaKind("rendition_key", "video/mp4"),
    "poster.jpg": MediaKind("poster_key", "image/jpeg"),
    "storyboard.jpg": MediaKind("storyboard_key", "image/jpeg"),
    "storyboard.vtt": MediaKind("storyboard_vtt_key", "text/vtt; charset=utf-8"),
}


def media_url(version: Version, kind: str) -> str:
    """The URL of one of ``version``'s media files (``kind`` is a key of :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown media kind: {kind!r}")
    return url_for("media.version_media", version_id=version.id, token=version.media_token, kind=kind)


@bp.get("/versions/<int:version_id>/<token>/<kind>")
@requires(Role.STUDENT, Version)
def version_media(version: Version, token: str, kind: str):
    """One media file of a version, with Range support so the player can seek."""
    media = KINDS.get(kind)
    if media is None or not hmac.compare_digest(token.encode(), version.media_token.encode()):
        abort(404)
    key = getattr(version, media.key_field)
    if not key:
        abort(404)  # not made yet (still processing) or refused
    download_name = _download_name(version) if media.attachment else None
    return get_storage().send(key, mimetype=media.mimetype, download_name=download_name)


def _download_name(version: Version) -> str:
    # The name the student gave, cleaned again on the way out (rows written before the
    # cleaning existed may hold anything); a label in the header only, never a path.
    return stored_label(version.original_filename, default=f"karya-version-{version.number}")

"""Checking a consent form a lead uploads (a scan or a photo) before it is kept.

The file's own bytes decide what it is, never its name or the browser's content
type: a PDF must start with ``%PDF-`` and end with ``%%EOF``; a picture must be a
PNG or JPEG that Pillow can read, with no more pixels than :data:`MAX_PIXELS`, so a
small file that would unpack to gigabytes (a decompression bomb) is refused before
any pixel is decoded. The kept file gets a server-made name; the person's file name
is never used as a path.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from ..errors import ApiError, Invalid

MAX_BYTES = 10 * 1024 * 1024
# A 32-megapixel scan or phone photo is plenty for a signed form. Pillow's own guard
# depends on a process-wide setting (workshop/media/images.py changes it), so the
# limit is checked here explicitly as well.
MAX_PIXELS = 32_000_000
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    extension: str
    mimetype: str


PDF = Kind("pdf", "application/pdf")
PNG = Kind("png", "image/png")
JPEG = Kind("jpg", "image/jpeg")
KINDS = {kind.extension: kind for kind in (PDF, PNG, JPEG)}


def _refuse(message) -> ApiError:
    return Invalid(message, field="evidence")


def kind_of_key(key: str) -> Kind:
    """The kind of a stored evidence file, from the extension Karya gave its key."""
    return KINDS.get(key.rsplit(".", 1)[-1], PDF)


def receive(file_storage) -> tuple[str, Kind]:
    """Copy an uploaded evidence file to a temporary file and check it.

    Returns the temporary path (the caller moves it into storage or removes it) and
    the file's kind. Raises :class:`ApiError` (422, field ``evidence``) with a
    message a lead can act on.
    """
    if file_storage is None or not file_storage.filename:
        raise _refuse(_l("Choose the signed consent form (PDF, JPEG or PNG)."))
    scratch = Path(current_app.config["MEDIA_ROOT"]) / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="evidence-", dir=scratch)
    try:
        with os.fdopen(fd, "wb") as out:
            copied = _copy_capped(file_storage.stream, out)
        if copied == 0:
            raise _refuse(_l("The file is empty. Choose the signed consent form again."))
        if copied > MAX_BYTES:
            raise _refuse(_l("The file is larger than %(mb)d MB. Scan the form at a lower resolution "
                             "or save it as a smaller PDF.", mb=MAX_BYTES // (1024 * 1024)))
        return path, identify(path)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise


def _copy_capped(source, target) -> int:
    """Copy at most one byte more than the limit: enough to know the file is too large."""
    copied = 0
    while copied <= MAX_BYTES:
        chunk = source.read(min(_CHUNK, MAX_BYTES + 1 - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
    return copied


def identify(path: str) -> Kind:
    """What the file at ``path`` is (PDF, PNG or JPEG); raise ApiError if it is none of them."""
    with open(path, "rb") as f:
        head = f.read(16)
        f.seek(max(0, os.path.getsize(path) - 2048))
        tail = f.read()
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in tail:
            raise _refuse(_l("This PDF is incomplete or damaged. Save or scan it again."))
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_picture(path, "PNG")
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        _check_picture(path, "JPEG")
        return JPEG
    raise _refuse(_l("This file is not a PDF, JPEG or PNG, whatever its name says. "
                     "Upload a scan or a photo of the signed form."))


def _check_picture(path: str, expected_format: str) -> None:
    """Read the picture's header only, refuse bombs, then let Pillow verify its structure."""
    bomb = _refuse(_l("This picture is far too large in pixels to be a photo of a form "
                      "(the limit is %(mp)d megapixels). Take the photo again or scan it as a PDF.",
                      mp=MAX_PIXELS // 1_000_000))
    try:
        with warnings.catch_warnings():
            # Our own limit below decides; Pillow's warning threshold is process-wide.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if image.format != expected_format:
                    raise _refuse(_l("This picture could not be read. Take the photo again."))
                if width * height > MAX_PIXELS:
                    raise bomb
                image.verify()
    except Image.DecompressionBombError:
        raise bomb from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_l("This picture could not be read. Take the photo again.")) from None


def discard(path: str | None) -> None:
    """Remove a temporary evidence file that was not kept."""
    if path:
        Path(path).unlink(missing_ok=True)

"""The plain (one-request) upload of a whole file, for small files and scripts."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..cohorts.models import Assignment
from ..errors import ApiError, TooLarge
from ..file_modes import FILE_MODE, private_dirs
from ..submissions.models import Version
from .service import CHUNK_SIZE, disk_full, display_filename, ensure_can_upload, human_size, uploads_root
from .versions import create_version_from_file

# Upload ids are bare hex: a folder named like this can never be mistaken for one.
_FOLDER_PREFIX = "form-"


def save_form_upload(assignment: Assignment, user, file, *, filename: str | None = None) -> Version:
    """Make the next version from a multipart file part (a werkzeug FileStorage).

    ``filename`` (default: the part's own) is kept, cleaned, as a label only.

    Werkzeug has already spooled the part to an anonymous temporary file; it is
    copied in 1 MiB pieces into a folder of its own in the upload area, from where
    the submission service moves it into storage.
    """
    ensure_can_upload(assignment, user)
    limit = current_app.config["FORM_UPLOAD_MAX_BYTES"]
    folder = uploads_root() / f"{_FOLDER_PREFIX}{secrets.token_hex(16)}"
    private_dirs(uploads_root().parent, uploads_root())
    folder.mkdir(mode=0o700)
    try:
        path = folder / "data"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as out:
            size = _copy_form_file(file.stream, out, limit)
        if size > limit:
            raise form_too_large(limit)
        return create_version_from_file(assignment=assignment, student_id=user.id, path=str(path),
                                        filename=display_filename(file.filename if filename is None else filename),
                                        uploaded_by_id=user.id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def form_too_large(limit: int) -> ApiError:
    """The refusal of a plain upload over ``limit`` bytes, pointing to the resumable one."""
    return TooLarge(_l(
        "That file is too large for a simple upload (at most %(size)s). "
        "Use the resumable upload instead.", size=human_size(limit)))


def _copy_form_file(source: BinaryIO, out: BinaryIO, limit: int) -> int:
    size = 0
    try:
        while chunk := source.read(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
        out.flush()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full() from exc
        raise
    return size

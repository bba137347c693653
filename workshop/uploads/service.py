"""Resumable uploads of video drafts (tus 1.0.0), and what all uploads share.

The routes in ``tus.py`` parse the request and call these functions; the plain
upload (``form.py``, ``plain.py``) and the clean-up (``cleanup.py``) use the paths
and checks from here. What they guarantee:

* an upload's bytes live in ``MEDIA_ROOT/uploads/<upload id>/data`` and nothing is
  written anywhere else until the upload is complete; the id is random hex made by
  the server, never a name a person gave;
* a PATCH streams the body to that file in 1 MiB pieces, never holding it in
  memory, under an exclusive non-blocking ``flock``: a second PATCH on the same
  upload is refused (409) instead of interleaving its bytes;
* the file on disk is the truth for the offset; bytes that arrived before a
  dropped connection or a full disk are kept, so the client resumes from there;
* the upload that reaches its declared length becomes the next Version exactly
  once: completion happens under the same lock and is recorded in the same
  commit as the version.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from ..access import role_in_cohort
from ..cohorts.models import Assignment
from ..db_types import possible_id, utcnow
from ..errors import (ApiError, BadRequest, Conflict, Forbidden, Gone, NotFound, StorageFull, TooLarge,
                      TooManyAttempts)
from ..extensions import db
from ..filenames import clean_filename, filename_from_metadata
from ..roles import Role
from ..submissions.service import check_can_upload
from .limits import one_creation_at_a_time
from .models import Upload, new_upload_id
from .versions import create_version_from_file

CHUNK_SIZE = 1024 * 1024
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


# --- where the bytes live -----------------------------------------------------------

def uploads_root() -> Path:
    """The upload area: ``MEDIA_ROOT/uploads``."""
    return Path(current_app.config["MEDIA_ROOT"]) / "uploads"


def upload_dir(upload_id: str) -> Path:
    """The folder of one upload. Only server-made ids (32 hex digits) are accepted."""
    if not _UPLOAD_ID.fullmatch(upload_id):
        raise ValueError(f"not an upload id: {upload_id!r}")
    return uploads_root() / upload_id


def data_path(upload_id: str) -> Path:
    """The file holding an upload's bytes so far."""
    return upload_dir(upload_id) / "data"


def display_filename(raw: str | None) -> str:
    """A file name fit to show people (see :func:`.filenames.clean_filename`); never a path."""
    return clean_filename(raw)


# --- who may upload -----------------------------------------------------------------

def ensure_can_upload(assignment: Assignment | None, user) -> Assignment:
    """Refuse unless ``user`` is a student of the assignment's cohort and may add a version now.

    Someone outside the cohort gets 404 (the cohort is invisible to them), a mentor
    or lead 403, a student whose submission is locked or approved 409.
    """
    role = role_in_cohort(user, assignment.cohort_id) if assignment is not None else None
    if role is None:
        raise NotFound(_l("We could not find that assignment."))
    if role is not Role.STUDENT:
        raise Forbidden(_l("Only students of this cohort can upload videos."), code="students_only")
    check_can_upload(assignment, user.id)
    return assignment


# --- tus: creation ------------------------------------------------------------------

def create_upload(user, *, length: int, metadata: dict[str, str]) -> Upload:
    """Start a resumable upload of ``length`` bytes for the assignment named in ``metadata``."""
    config = current_app.config
    if length > config["UPLOAD_MAX_BYTES"]:
        raise TooLarge(_l(
            "That file is too large. The most you can upload is %(size)s.",
            size=human_size(config["UPLOAD_MAX_BYTES"])))
    raw_id = metadata.get("assignment_id") or ""
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        raise BadRequest(_l(
            "Upload-Metadata must name the assignment (assignment_id)."), code="missing_assignment")
    filename = filename_from_metadata(metadata)
    if filename is None:
        raise BadRequest(_l("Upload-Metadata must give the file's name (filename)."), code="missing_filename")
    assignment_id = int(raw_id)
    assignment = ensure_can_upload(db.session.get(Assignment, assignment_id) if possible_id(assignment_id) else None,
                                   user)
    # Counting the pending uploads and adding this one happen under the person's lock:
    # otherwise many creations at once would all see room for one more.
    with one_creation_at_a_time(user.id):
        _refuse_too_many_pending(user)
        now = utcnow()
        upload = Upload(id=new_upload_id(), user_id=user.id, assignment_id=assignment.id,
                        cohort_id=assignment.cohort_id, length=length, received=0,
                        filename=filename,
                        created_at=now, expires_at=now + expiry())
        folder = upload_dir(upload.id)
        try:
            folder.mkdir(mode=0o700, parents=True)
            # O_EXCL: the id is fresh, so an existing file would mean something is very wrong.
            os.close(os.open(folder / "data", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full() from exc
            raise
        db.session.add(upload)
        db.session.commit()
    if length == 0:
        # Nothing will ever be PATCHed: an empty file is complete at once (and the
        # pipeline then refuses it with a reason the student can read).
        with _locked_data(upload):
            _complete(upload)
    return upload


def _refuse_too_many_pending(user) -> None:
    # Each unfinished upload may reserve up to UPLOAD_MAX_BYTES of disk; one person
    # must not be able to fill the disk for everyone by opening hundreds.
    pending = db.session.scalar(db.select(db.func.count(Upload.id)).where(
        Upload.user_id == user.id, Upload.completed_at.is_(None), Upload.terminated_at.is_(None),
        Upload.expires_at > utcnow()))
    if pending >= current_app.config["UPLOAD_MAX_PENDING_PER_USER"]:
        raise TooManyAttempts(_l(
            "You have too many unfinished uploads. Finish or cancel one, then try again."),
            code="too_many_uploads")


def disk_full() -> ApiError:
    """The refusal when the upload area's disk is full and nothing could be kept."""
    return StorageFull(_l("The server is out of storage space. Please try again later."), code="disk_full")


def expiry() -> timedelta:
    """How long an upload that receives nothing is kept (``UPLOAD_EXPIRY_HOURS``)."""
    return timedelta(hours=current_app.config["UPLOAD_EXPIRY_HOURS"])


# --- tus: finding an upload and its offset ------------------------------------------

def own_upload(user, upload_id: str) -> Upload:
    """The caller's own live upload. Anyone else's, or a made-up id, is 404."""
    upload = db.session.get(Upload, upload_id) if _UPLOAD_ID.fullmatch(upload_id) else None
    if upload is None or upload.user_id != user.id:
        raise NotFound(_l("We could not find that upload."))
    # A student who has left the cohort can no longer add to it.
    if role_in_cohort(user, upload.cohort_id) is not Role.STUDENT:
        raise NotFound(_l("We could not find that upload."))
    _refuse_if_gone(upload)
    return upload


def _refuse_if_gone(upload: Upload) -> None:
    if upload.terminated_at is not None:
        raise Gone(_l("This upload was cancelled. Start a new upload."), code="upload_terminated")
    if upload.completed_at is None and upload.expires_at <= utcnow():
        raise Gone(_l(
            "This upload was left unfinished for too long and has been removed. Start a new upload."),
            code="upload_expired")


def current_offset(upload: Upload) -> int:
    """How many bytes of the upload the server holds: the size of its file on disk."""
    if upload.completed_at is not None:
        return upload.length
    try:
        return data_path(upload.id).stat().st_size
    except FileNotFoundError:
        raise _gone() from None


def _gone() -> ApiError:
    return Gone(_l("This upload is no longer on the server. Start a new upload."), code="upload_gone")


# --- tus: appending -----------------------------------------------------------------

def append(upload: Upload, stream: BinaryIO, *, offset: int, content_length: int | None) -> Upload:
    """Append the request body at ``offset``; complete the upload when it is whole.

    Raises ApiError: 409 when ``offset`` is not the current size or another request
    is writing to this upload, 413 when the body would go past the declared length,
    507 when the disk is full (the bytes received so far are kept). A client that
    disconnects keeps what arrived; there is nobody left to answer.
    """
    if upload.completed_at is not None:
        return _already_complete(upload, offset, content_length)
    with _locked_data(upload) as data:
        upload = _reload(upload.id)  # another request may have finished or cancelled it meanwhile
        if upload.completed_at is not None:
            return _already_complete(upload, offset, content_length)
        start = os.fstat(data.fileno()).st_size
        _check_offset(upload, offset, start)
        upload_id, remaining = upload.id, upload.length - start
        if content_length is not None and content_length > remaining:
            raise _past_length(upload.length)
        # No database transaction stays open while bytes trickle in from a phone.
        db.session.commit()

        written, outcome = _copy_body(stream, data, remaining)
        if outcome == "too_long":
            # Only a body without Content-Length can get here: it is refused whole.
            data.truncate(start)
            written = 0
        os.fsync(data.fileno())
        upload = _reload(upload_id)
        upload.received = start + written
        upload.expires_at = utcnow() + expiry()  # sliding: only abandoned uploads expire
        db.session.commit()
        if outcome == "too_long":
            raise _past_length(upload.length)
        if outcome == "disk_full":
            raise StorageFull(_l(
                "The server is out of storage space. What you uploaded so far is kept: "
                "please try again later and the upload will continue."),
                offset=start + written, code="disk_full")
        if upload.received == upload.length:
            _complete(upload)
    return upload


def _already_complete(upload: Upload, offset: int, content_length: int | None) -> Upload:
    # A repeated last PATCH (its answer was lost) gets the same answer again.
    _check_offset(upload, offset, upload.length)
    if content_length:
        raise _past_length(upload.length)
    return upload


def _check_offset(upload: Upload, offset: int, current: int) -> Upload:
    if offset != current:
        raise Conflict(_l(
            "The upload is at a different position than your app thinks. "
            "It will ask the server and continue from there."), offset=current, code="offset_mismatch")
    return upload


def _past_length(length: int) -> ApiError:
    return TooLarge(_l(
        "This chunk goes past the file size given when the upload started (%(length)s bytes).",
        length=length), code="past_upload_length")


def _copy_body(stream: BinaryIO, data: BinaryIO, remaining: int) -> tuple[int, str]:
    """Copy at most ``remaining`` bytes of ``stream`` to ``data``; say how it ended.

    Returns (bytes written, outcome) where outcome is ``done``, ``disconnected``,
    ``disk_full`` or ``too_long`` (the body went on past ``remaining``).
    """
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    base, written = data.tell(), 0
    while True:
        try:
            # Ask for one byte more than fits: a body longer than allowed must show itself.
            count = stream.readinto(view[:min(CHUNK_SIZE, remaining - written + 1)])
        except ClientDisconnected:
            return written, "disconnected"
        except RequestEntityTooLarge:
            return written, "too_long"
        if not count:
            return written, "done"
        if written + count > remaining:
            return written, "too_long"
        try:
            written += _write_all(data, view[:count])
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                # Part of the last piece may have made it: the file's size says how much.
                return os.fstat(data.fileno()).st_size - base, "disk_full"
            raise


def _write_all(data: BinaryIO, chunk: memoryview) -> int:
    """Write all of ``chunk`` (an unbuffered write may take only part of it)."""
    done = 0
    while done < len(chunk):
        done += data.write(chunk[done:])
    return done


@contextmanager
def _locked_data(upload: Upload) -> Iterator[BinaryIO]:
    """The upload's data file, open unbuffered for writing at its end, locked for this request."""
    try:
        data = open(data_path(upload.id), "r+b", buffering=0)
    except FileNotFoundError:
        raise _gone() from None
    with data:
        try:
            fcntl.flock(data.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(_l(
                "Another request is already sending this upload. Wait for it to finish."),
                code="upload_busy") from None
        if os.fstat(data.fileno()).st_nlink == 0:
            raise _gone()  # cancelled and removed between open() and flock()
        data.seek(0, os.SEEK_END)
        yield data  # the lock goes with the file when it is closed


def _reload(upload_id: str) -> Upload:
    upload = db.session.get(Upload, upload_id, populate_existing=True)
    if upload is None:
        raise NotFound(_l("We could not find that upload."))
    _refuse_if_gone(upload)
    return upload


def _complete(upload: Upload) -> None:
    """Turn the whole upload into the next Version (caller holds the upload's lock)."""
    assignment = db.session.get(Assignment, upload.assignment_id)
    # Set before the service's commit, so "completed" and "the version exists" are
    # written together: a retry can never make a second version from the same bytes.
    upload.completed_at = utcnow()
    upload.expires_at = utcnow() + expiry()
    try:
        version = create_version_from_file(
            assignment=assignment, student_id=upload.user_id, path=str(data_path(upload.id)),
            filename=upload.filename, uploaded_by_id=upload.user_id)
    except BaseException:
        db.session.rollback()  # the bytes stay; an empty PATCH at the end retries completion
        raise
    upload.version_id = version.id
    db.session.commit()
    shutil.rmtree(upload_dir(upload.id), ignore_errors=True)


# --- tus: termination --------------------------------------------------------------

def terminate(upload: Upload) -> None:
    """Cancel an upload: its bytes are deleted and later requests get 410."""
    if upload.completed_at is None:
        with _locked_data(upload):
            upload = _reload(upload.id)  # a PATCH may have completed it while we waited
            if upload.completed_at is None:
                shutil.rmtree(upload_dir(upload.id))
    upload.terminated_at = utcnow()
    db.session.commit()


def human_size(size: int) -> str:
    """A byte count for people: 2 GB, 100 MB (binary units, as the limits are set)."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"

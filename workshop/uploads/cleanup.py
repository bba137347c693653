"""Removing uploads nobody will finish: expired ones, and stray folders in the upload area.

:func:`purge_expired_uploads` is meant to run every hour or so (the scheduler calls
it inside an app context). Expiry slides: every PATCH pushes it
``UPLOAD_EXPIRY_HOURS`` on, so only abandoned uploads go.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..db_types import utcnow
from ..extensions import db
from .models import Upload
from .service import expiry, upload_dir, uploads_root


def purge_expired_uploads(now=None) -> int:
    """Delete uploads past their expiry, and stray folders in the upload area; return how many.

    An upload that a request is writing to right now is left for the next run.
    """
    now = now or utcnow()
    purged = 0
    for upload in db.session.scalars(db.select(Upload).where(Upload.expires_at <= now)).all():
        folder = upload_dir(upload.id)
        with _try_lock(folder) as locked:
            db.session.refresh(upload)
            # A PATCH that finished a moment ago has pushed the expiry on.
            if not locked or upload.expires_at > now:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            db.session.delete(upload)
            purged += 1
    db.session.commit()
    purged += _purge_stray_folders()
    return purged


@contextmanager
def _try_lock(folder: Path) -> Iterator[bool]:
    """Lock a folder's data file if nobody else has it; True also when there is no data file."""
    try:
        data = open(folder / "data", "rb")
    except FileNotFoundError:
        yield True
        return
    with data:
        try:
            fcntl.flock(data.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _purge_stray_folders() -> int:
    """Folders with no upload row (a crash between mkdir and commit, an interrupted form upload)."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    cutoff = time.time() - expiry().total_seconds()
    known = set(db.session.scalars(db.select(Upload.id)))
    purged = 0
    for folder in root.iterdir():
        if folder.name in known or not folder.is_dir() or folder.stat().st_mtime > cutoff:
            continue
        with _try_lock(folder) as locked:
            if locked:
                shutil.rmtree(folder, ignore_errors=True)
                purged += 1
    return purged

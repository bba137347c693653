"""Where media lives: local files by default, S3-compatible object storage by config.

Every piece of media is named by a *key* that Karya makes itself, such as
``versions/12/original`` or ``versions/12/rendition.mp4``. Keys never contain
anything a person typed: :func:`check_key` refuses empty segments, ``.``/``..``,
absolute paths and any character outside ``[A-Za-z0-9._-]``, so no backend can be
steered outside its root or prefix.

``STORAGE_BACKEND=local`` (the default) keeps files under ``MEDIA_ROOT``;
``STORAGE_BACKEND=s3`` uses a bucket (see :mod:`.storage_s3`). Get the app's
backend with :func:`get_storage`.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from flask import Response, abort, current_app, send_file
from werkzeug.http import dump_options_header

from ..file_modes import private_dirs, private_file

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_COPY_CHUNK = 1024 * 1024
# RFC 5987 attr-char besides letters and digits: what may stay unquoted in filename*.
_ATTR_CHAR = "!#$&+-.^_`|~"


class InvalidKey(ValueError):
    """A storage key that could name something outside the storage root."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe, server-made storage key; raise :class:`InvalidKey` if not."""
    if not isinstance(key, str) or not key or len(key) > 255:
        raise InvalidKey(f"invalid storage key: {key!r}")
    for segment in key.split("/"):
        # The pattern already refuses "", "." and "..": a segment may not start with a dot.
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def cache_control(max_age: int) -> str:
    """Media is personal (minors' videos): by default no cache, the browser's included, keeps a
    copy on disk, where the next person at a shared school computer could find it. A positive
    ``max_age`` lets the person's own browser keep it that long."""
    return f"private, max-age={max_age}" if max_age > 0 else "private, no-store"


def attachment_header(download_name: str) -> str:
    """A ``Content-Disposition: attachment`` value for any name, non-ASCII included.

    Exactly what ``send_file(download_name=...)`` writes (RFC 6266): the name itself when it
    is ASCII; otherwise an ASCII ``filename`` for old clients and an RFC 5987 ``filename*``
    with the real name. For the backends that do not answer through ``send_file``.
    """
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": f"UTF-8''{quote(download_name, safe=_ATTR_CHAR)}"}
    else:
        names = {"filename": download_name}
    return dump_options_header("attachment", names)


class Storage(ABC):
    """What the rest of Karya needs from a place that keeps media."""

    @abstractmethod
    def put_file(self, key: str, src_path: str | os.PathLike, content_type: str | None = None) -> None:
        """Move the file at ``src_path`` into storage as ``key``, replacing any earlier one.

        The source is consumed: it no longer exists afterwards. Readers see either
        the old object or the complete new one, never half a file.
        """

    @abstractmethod
    def local_path(self, key: str):
        """Context manager yielding a local file path with the object's bytes (for ffmpeg).

        The path is only valid inside the ``with`` block. Raises FileNotFoundError
        when there is no such object.
        """

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes; FileNotFoundError when it is missing."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object if it exists."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix/``; return how many."""

    @abstractmethod
    def send(self, key: str, *, mimetype: str, download_name: str | None = None,
             max_age: int = 0) -> Response:
        """A response with the object's bytes for the current request.

        Honours ``Range`` (206, or 416 for a range outside the object) and
        conditional requests; ``download_name`` makes it an attachment.
        Aborts with 404 when the object is missing.
        """


class LocalStorage(Storage):
    """Files under one root folder (``MEDIA_ROOT``), one file per key."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file that holds ``key``. The key check keeps it inside the root."""
        path = self.root / check_key(key)
        # Belt and braces: a symlink planted inside the root must not lead out of it.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"storage key leaves the root: {key!r}")
        return path

    def put_file(self, key, src_path, content_type=None):
        dest = self.path(key)
        # Every media file passes here, whoever wrote it (ffmpeg, an upload): see file_modes.py.
        private_dirs(self.root, dest.parent)
        private_file(src_path)  # before the rename: the file is never readable at its final path
        try:
            os.replace(src_path, dest)  # atomic within one filesystem
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self._copy_across_filesystems(Path(src_path), dest)  # mkstemp makes it 0600

    @staticmethod
    def _copy_across_filesystems(src: Path, dest: Path) -> None:
        # Copy beside the destination first, so the final rename is still atomic.
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=dest.parent)
        try:
            with open(src, "rb") as source, os.fdopen(fd, "wb") as target:
                shutil.copyfileobj(source, target, _COPY_CHUNK)
                target.flush()
                os.fsync(target.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        src.unlink()

    @contextmanager
    def local_path(self, key) -> Iterator[str]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield str(path)

    def exists(self, key):
        return self.path(key).is_file()

    def size(self, key):
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.stat().st_size

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix):
        folder = self.path(prefix)
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        return count

    def send(self, key, *, mimetype, download_name=None, max_age=0):
        path = self.path(key)
        if not path.is_file():
            abort(404)
        # send_file answers Range (206/416) and If-None-Match/If-Modified-Since itself, and
        # writes Content-Disposition per RFC 6266: an ASCII filename plus filename*=UTF-8''.
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=max_age,
                             as_attachment=download_name is not None, download_name=download_name)
        response.expires = None
        response.headers["Cache-Control"] = cache_control(max_age)
        return response


def make_storage(config) -> Storage:
    """Build the backend that ``config`` (an app's config mapping) asks for."""
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(config["MEDIA_ROOT"])
    if backend == "s3":
        from .storage_s3 import S3Storage  # why: only for S3; boto3 is slow to import and unused otherwise

        return S3Storage.from_config(config)
    raise RuntimeError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")


def get_storage(app=None) -> Storage:
    """The storage backend of ``app`` (default: the current app), made once per app."""
    app = app or current_app._get_current_object()
    storage = app.extensions.get("karya_storage")
    if storage is None:
        storage = app.extensions["karya_storage"] = make_storage(app.config)
    return storage

"""The name a person gave their file, made fit to show and to offer back as a download name.

The name is only ever a label: it is shown on pages, put in ``Content-Disposition``
and used (after a ``v<n>-`` prefix) for the entry of the original in a data export.
It is never a path on the server: uploads live under random ids and media under keys
Karya makes (see :mod:`workshop.media.storage`).
"""

from __future__ import annotations

import os
import unicodedata
from typing import Mapping

DEFAULT_NAME = "video"
# In UTF-8 bytes: the export puts "v<n>-" in front, and most file systems allow 255.
MAX_BYTES = 200
_MAX_EXTENSION = 16
# Values a browser script writes when it stringifies a field that was never set.
_SCRIPT_PLACEHOLDERS = {"undefined", "null"}
# The tus metadata keys that may carry the name: tusd's ``filename``, Uppy's own ``name``.
METADATA_KEYS = ("filename", "name")


def clean_filename(raw: str | None, default: str = DEFAULT_NAME) -> str:
    """``raw`` as a safe display name: its last path part, printable, NFC, at most :data:`MAX_BYTES`.

    Folders of either kind of slash are dropped, as are control characters (NUL
    included), bidirectional overrides and every other invisible format character;
    runs of white space become one space; trailing dots and spaces go (Windows drops
    them anyway). A name too long is shortened in its stem, keeping the extension.
    Nothing left, or only dots, gives ``default``.
    """
    text = unicodedata.normalize("NFC", raw or "")
    # Tabs, new lines and other white space become spaces; then every "C" category
    # goes (Cc controls and NUL, Cf format such as U+202E, Cs lone surrogates, Co, Cn).
    text = "".join(" " if c.isspace() else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    # Split after removing invisible characters, so "a/\u200b../b" cannot hide a folder.
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split()).rstrip(". ")
    if not name.strip("."):
        return default
    return _shorten(name, MAX_BYTES)


def _shorten(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` UTF-8 bytes in its stem, the extension kept whole."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, extension = os.path.splitext(name)
    if not stem or len(extension) > _MAX_EXTENSION:
        stem, extension = name, ""
    room = limit - len(extension.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    # A cut may leave a combining mark without its letter's neighbour, or a space before the dot.
    stem = stem.rstrip(" .")
    return f"{stem}{extension}" if stem else name.encode("utf-8")[:limit].decode("utf-8", "ignore")


def filename_from_metadata(metadata: Mapping[str, str]) -> str | None:
    """The file's name from tus ``Upload-Metadata`` (``filename`` or ``name``), cleaned; None if neither.

    A key holding the text ``undefined`` or ``null`` (what a browser script sends for a
    field it never set) gives way to the other key; it is used only when nothing
    better was sent, since a file may really be called that.
    """
    given = [metadata[key] for key in METADATA_KEYS if (metadata.get(key) or "").strip()]
    if not given:
        return None
    real = [value for value in given if value.strip().lower() not in _SCRIPT_PLACEHOLDERS]
    return clean_filename((real or given)[0])


def stored_label(stored: str | None, default: str) -> str:
    """A stored name ready to offer back (download, export), or ``default`` when it says nothing.

    Rows written before the uploader sent the real name hold the text ``undefined``:
    that is no one's file name, so it gives way to ``default`` like an empty one.
    """
    if (stored or "").strip().lower() in _SCRIPT_PLACEHOLDERS:
        return default
    return clean_filename(stored, default=default)


# Characters Windows refuses in a file name: an export must unpack there too.
_WINDOWS_RESERVED = str.maketrans({c: "_" for c in '<>:"|?*'})


def archive_member_name(name: str) -> str:
    """``name`` (already a clean, single-part name) fit to be one path part inside a zip."""
    return clean_filename(name).translate(_WINDOWS_RESERVED)

"""Who may read the files Karya writes: only the account Karya runs as.

Media (minors' videos, posters, consent forms), uploads and the SQLite database are
written ``0600`` in directories made ``0700``: another account on the machine (a
shared school server, a compromised service) reads none of it.

The modes are set where each file is made, not with a process-wide ``umask``. A umask
would also change what every library and child process writes (gunicorn's sockets,
the tests' own files) and is easy to lose: one entry point that forgets to set it
writes readable files again. The writers are few: :class:`~workshop.media.storage.LocalStorage`
is the one funnel for every media file (ffmpeg's outputs reach storage through it),
uploads create their files with these modes, and :func:`prepare_sqlite_file` runs in
``create_app``, which every process (web, worker, CLI, tests) goes through.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dirs(root: Path, folder: Path) -> None:
    """Make ``root`` and every folder from it down to ``folder`` (inside it), new ones
    ``0700``. Existing ones lose any access for others (an operator's group is kept)."""
    root, folder = Path(root), Path(folder)
    root.parent.mkdir(parents=True, exist_ok=True)  # above Karya's own tree: not ours to set
    path, chain = root, [root]
    for part in folder.relative_to(root).parts:
        path = path / part
        chain.append(path)
    for path in chain:
        try:
            path.mkdir(mode=DIR_MODE)
            path.chmod(DIR_MODE)  # mkdir's mode is reduced by the umask; this is exact
        except FileExistsError:
            _no_access_for_others(path)


def _no_access_for_others(path: Path) -> None:
    mode = path.stat().st_mode & 0o7777
    if mode & 0o007:
        try:
            path.chmod(mode & ~0o007)
        except PermissionError:
            pass  # a mount point owned by someone else: its owner decides


def private_file(path: Path) -> None:
    """Narrow a file someone else created (ffmpeg, a spooled upload) to ``0600``."""
    os.chmod(path, FILE_MODE)


def prepare_sqlite_file(database_uri: str | None) -> None:
    """For a SQLite file database: create the file ``0600`` before SQLite does (SQLite
    gives its journal and WAL files the database file's mode), or narrow an existing one."""
    if not database_uri or not database_uri.startswith("sqlite:///"):
        return
    path = database_uri[len("sqlite:///"):].split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    path = Path(path)
    if not path.parent.is_dir():
        return  # SQLite will report it; nothing to protect yet
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    except OSError:
        return  # not ours to write (read-only mount): SQLite says so on first use
    _no_access_for_others(path)

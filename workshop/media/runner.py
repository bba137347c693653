"""Running ffmpeg: progress, a deadline, and no process left behind.

``run_ffmpeg`` starts ffmpeg in its own process group, reads the ``-progress``
key=value blocks it writes on stdout, and sends stderr to a temporary file (a pipe
that nobody drains would fill and stall ffmpeg). Whatever ends the call — success,
failure, the deadline, an exception in the progress callback, KeyboardInterrupt,
SystemExit, RQ's job-timeout exception — the ``finally`` clause kills the group.

A caller killed outright (SIGKILL of an RQ work horse) runs no ``finally``; on
Linux the child is started with ``PR_SET_PDEATHSIG`` so the kernel kills it when
its parent dies instead of letting it transcode on as an orphan.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Sequence

STDERR_TAIL_CHARS = 4000
# A damaged upload can make the decoder log an error per packet. The detection filters
# report a few lines each, and ebur128's summary comes last, so keeping the start and
# the end of an oversized log loses nothing the analysis needs except, at worst, some
# events in the middle of a file that was logging errors all along.
STDERR_KEEP_BYTES = 16 * 1024 * 1024
ProgressCallback = Callable[[float, "float | None"], None]


class FfmpegError(Exception):
    """ffmpeg did not produce its outputs. Possibly transient: worth a retry."""

    def __init__(self, message: str, stderr_tail: str):
        super().__init__(message)
        self.stderr_tail = stderr_tail


class FfmpegFailed(FfmpegError):
    """ffmpeg exited with a non-zero status."""

    def __init__(self, returncode: int, stderr_tail: str):
        super().__init__(f"ffmpeg exited with status {returncode}: {_last_line(stderr_tail)}", stderr_tail)
        self.returncode = returncode


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran past its deadline and was killed."""

    def __init__(self, timeout_s: float, stderr_tail: str):
        super().__init__(f"ffmpeg ran longer than {timeout_s:g} s and was killed", stderr_tail)
        self.timeout_s = timeout_s


@dataclass
class FfmpegResult:
    stderr_text: str
    returncode: int


def run_ffmpeg(args: Sequence[str], *, timeout_s: float, duration_s: float | None = None,
               on_progress: ProgressCallback | None = None,
               expected_frames: int | None = None) -> FfmpegResult:
    """Run an ffmpeg command built with ``-progress pipe:1`` and wait for it.

    ``on_progress(fraction, speed)`` is called as ffmpeg reports, with ``fraction``
    in 0..1 (never decreasing) and ``speed`` the realtime factor or None. The
    fraction comes from ``out_time`` over ``duration_s`` and, when given, from the
    ``frame`` count over ``expected_frames`` (whichever is further): with several
    outputs ffmpeg reports the time of the *slowest* one, which for a poster output
    only moves every few seconds, while the frame count follows the first video
    output smoothly.

    Raises FfmpegTimeout after ``timeout_s`` and FfmpegFailed on a non-zero exit.
    """
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryFile(prefix="ffmpeg-stderr-") as stderr_file:
        process = subprocess.Popen(
            list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
            process_group=0, preexec_fn=die_with_parent(),
        )
        timed_out = False
        try:
            progress = _Progress(duration_s, expected_frames, on_progress)
            timed_out = not _pump(process, deadline, progress)
            if not timed_out:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    timed_out = True
        finally:
            _kill_group(process)
            process.stdout.close()
        stderr_text = _read_log(stderr_file)
    tail = stderr_text[-STDERR_TAIL_CHARS:]
    if timed_out:
        raise FfmpegTimeout(timeout_s, tail)
    if process.returncode != 0:
        raise FfmpegFailed(process.returncode, tail)
    return FfmpegResult(stderr_text=stderr_text, returncode=process.returncode)


class _Progress:
    """Turns ``-progress`` blocks into calls of the callback."""

    def __init__(self, duration_s, expected_frames, callback):
        self.duration_us = duration_s * 1_000_000 if duration_s else None
        self.expected_frames = expected_frames
        self.callback = callback
        self.block: dict[str, str] = {}
        self.fraction = 0.0

    def line(self, text: str) -> None:
        key, sep, value = text.partition("=")
        if not sep:
            return
        key, value = key.strip(), value.strip()
        if key != "progress":
            self.block[key] = value
            return
        # "progress" closes a block: continue, or end.
        if self.callback is not None:
            fraction = 1.0 if value == "end" else self._fraction()
            self.fraction = max(self.fraction, min(fraction, 1.0))
            self.callback(self.fraction, _speed(self.block.get("speed")))
        self.block = {}

    def _fraction(self) -> float:
        candidates = [0.0]
        out_time = _number(self.block.get("out_time_us") or self.block.get("out_time_ms"))
        if out_time is not None and self.duration_us:
            candidates.append(out_time / self.duration_us)
        frame = _number(self.block.get("frame"))
        if frame is not None and self.expected_frames:
            candidates.append(frame / self.expected_frames)
        # 1.0 is kept for "progress=end": the muxers still finish (faststart rewrites the file).
        return min(max(candidates), 0.99)


def _pump(process: subprocess.Popen, deadline: float, progress: _Progress) -> bool:
    """Read progress until ffmpeg closes stdout. False if the deadline passed first."""
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not selector.select(timeout=remaining):
                continue  # re-check the deadline
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                return True
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                progress.line(raw.decode("utf-8", errors="replace"))


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL ffmpeg's process group if ffmpeg has not been reaped, then reap it.

    Only while the child is unreaped is its pid (and group id) guaranteed to still be
    ours; after ``wait`` it could belong to someone else.
    """
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def die_with_parent(*, check_parent: bool = True) -> Callable[[], None] | None:
    """A function to run in a forked child that asks Linux to SIGKILL it when its parent
    dies (None elsewhere). ``prctl`` is looked up here, in the parent: loading a library
    in the child of a threaded process can deadlock.

    ``check_parent``: exit at once if the parent already died before ``prctl`` took
    effect (for ffmpeg's preexec_fn; an at-fork hook runs in grandchildren too, whose
    parent is another process, so it must not check).
    """
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    prctl = _libc(libc_name).prctl
    parent = os.getpid()
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def in_child() -> None:  # runs in the child right after fork: keep it minimal
        prctl(pr_set_pdeathsig, sigkill)
        if check_parent and os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return in_child


def _read_log(log_file) -> str:
    size = log_file.seek(0, os.SEEK_END)
    log_file.seek(0)
    if size <= 2 * STDERR_KEEP_BYTES:
        data = log_file.read()
    else:
        head = log_file.read(STDERR_KEEP_BYTES)
        log_file.seek(size - STDERR_KEEP_BYTES)
        data = head + b"\n[... %d bytes of log left out ...]\n" % (size - 2 * STDERR_KEEP_BYTES) + log_file.read()
    return data.decode("utf-8", errors="replace")


@functools.lru_cache(maxsize=1)
def _libc(name: str):
    return ctypes.CDLL(name, use_errno=True)


def _number(value: str | None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _speed(value: str | None) -> float | None:
    return _number(value.rstrip("x")) if value else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error output"

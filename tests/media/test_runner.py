"""Running real ffmpeg: progress, failures, deadlines, and that no ffmpeg outlives its call."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import psutil
import pytest

from workshop.media.runner import FfmpegFailed, FfmpegTimeout, run_ffmpeg

PROGRESS = ["-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1"]


def endless(ffmpeg: str) -> list[str]:
    """An ffmpeg that runs until killed (-re: at real-time speed, so it stays cheap)."""
    return [ffmpeg, *PROGRESS, "-re", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-f", "null", "-"]


def ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


def assert_gone(process: psutil.Process, timeout: float = 5) -> None:
    _, alive = psutil.wait_procs([process], timeout=timeout)
    assert not alive, f"ffmpeg {process.pid} is still running"


def test_progress_is_reported_and_ends_at_one(ffmpeg):
    seen = []
    result = run_ffmpeg(
        [ffmpeg, *PROGRESS, "-re", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2",
         "-f", "null", "-"],
        timeout_s=60, duration_s=2, on_progress=lambda fraction, speed: seen.append((fraction, speed)),
    )
    fractions = [f for f, _ in seen]
    assert result.returncode == 0
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 2
    assert all(speed is None or speed > 0 for _, speed in seen)


def test_frame_counts_drive_progress_when_given(ffmpeg):
    seen = []
    run_ffmpeg([ffmpeg, *PROGRESS, "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2", "-f", "null", "-"],
               timeout_s=60, expected_frames=50, on_progress=lambda fraction, speed: seen.append(fraction))
    assert seen[-1] == 1.0


def test_a_failing_ffmpeg_raises_with_its_error(ffmpeg, tmp_path):
    with pytest.raises(FfmpegFailed) as failed:
        run_ffmpeg([ffmpeg, *PROGRESS, "-i", f"file:{tmp_path}/missing.mp4", "-f", "null", "-"], timeout_s=30)
    assert failed.value.returncode != 0
    assert "No such file" in failed.value.stderr_tail
    assert not ffmpeg_children()


def test_a_chatty_ffmpeg_does_not_block_on_stderr(ffmpeg):
    result = run_ffmpeg([ffmpeg, *PROGRESS, "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=100:duration=4",
                         "-vf", "showinfo", "-f", "null", "-"], timeout_s=60)
    assert len(result.stderr_text) > 64 * 1024  # more than a pipe buffer holds


def test_the_deadline_kills_ffmpeg(ffmpeg):
    started = []
    with pytest.raises(FfmpegTimeout):
        run_ffmpeg(endless(ffmpeg), timeout_s=1.5,
                   on_progress=lambda fraction, speed: started.extend(ffmpeg_children()))
    assert started
    assert_gone(started[0], timeout=0.5)  # killed and reaped before run_ffmpeg returned


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_an_interrupted_call_kills_ffmpeg(ffmpeg, interruption):
    seen = []

    def interrupt(fraction, speed):
        seen.extend(ffmpeg_children())
        raise interruption()

    with pytest.raises(interruption):
        run_ffmpeg(endless(ffmpeg), timeout_s=60, on_progress=interrupt)
    assert seen
    assert_gone(seen[0], timeout=0.5)


def test_an_interruption_from_another_thread_kills_ffmpeg(ffmpeg):
    """As RQ's job timeout does: an exception raised in the waiting thread by a signal."""
    # Python's own SIGINT handler, whatever an in-process RQ worker of an earlier test installed.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    seen = []

    def on_progress(fraction, speed):
        if not seen:
            seen.extend(ffmpeg_children())
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        try:
            run_ffmpeg(endless(ffmpeg), timeout_s=60, on_progress=on_progress)
        finally:
            signal.signal(signal.SIGINT, previous)
    assert_gone(seen[0], timeout=0.5)


def test_ffmpeg_dies_with_a_killed_parent(ffmpeg):
    """A work horse killed with SIGKILL runs no cleanup; the kernel must end its ffmpeg."""
    script = textwrap.dedent(f"""
        import sys
        from workshop.media.runner import run_ffmpeg
        run_ffmpeg({endless(ffmpeg)!r}, timeout_s=60,
                   on_progress=lambda f, s: (print("running", flush=True)))
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        assert parent.stdout.readline().strip() == "running"
        children = [p for p in psutil.Process(parent.pid).children() if "ffmpeg" in p.name()]
        assert len(children) == 1
        parent.kill()
        parent.wait(timeout=5)
        assert_gone(children[0])
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()


def test_an_enormous_log_keeps_its_start_and_end(monkeypatch, tmp_path):
    from workshop.media import runner

    monkeypatch.setattr(runner, "STDERR_KEEP_BYTES", 100)
    with open(tmp_path / "log", "w+b") as log:
        log.write(b"black_start:1 black_end:4\n" + b"error while decoding\n" * 1000 + b"Summary: I: -20 LUFS\n")
        text = runner._read_log(log)
    assert text.startswith("black_start:1") and text.endswith("I: -20 LUFS\n")
    assert "bytes of log left out" in text and len(text) < 300

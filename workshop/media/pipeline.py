"""Processing one upload: probe, one ffmpeg run, poster, storyboard, checks.

Framework-free: the RQ job calls :func:`process` with paths and settings and
stores what it returns. A version is playable before it is checked, whether its
upload was remuxed or transcoded; :func:`analyse` then checks it (every frame
decoded) in a job of its own. Everything is written inside ``workdir``, first under a
temporary name and renamed when complete, so running it again over the same
folder (an RQ retry) replaces the outputs instead of mixing two attempts.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import shutil
import time
from dataclasses import dataclass
from typing import Callable

from . import commands, images
from .analysis import build_checks, parse_luma_log, parse_stderr
from .probe import ProbeLimits, ProbeResult, probe
from .runner import FfmpegError, run_ffmpeg
from .timeline import Timeline

log = logging.getLogger("karya.media")

RENDITION, POSTER, STORYBOARD, STORYBOARD_VTT = "rendition.mp4", "poster.jpg", "storyboard.jpg", "storyboard.vtt"
FRAMES_DIR = "frames.tmp"
PROBE_TIMEOUT_S = 60
# Share of the progress bar for the ffmpeg run; Pillow's poster and sprite take the rest.
FFMPEG_SHARE = 0.97


class MissingOutput(FfmpegError):
    """ffmpeg exited cleanly but an expected file is not there."""

    def __init__(self, what: str, stderr_tail: str = ""):
        super().__init__(f"ffmpeg produced no {what}", stderr_tail)


@dataclass
class ProcessResult:
    probe: ProbeResult
    remuxed: bool
    rendition_path: str
    poster_path: str
    storyboard_path: str
    storyboard_vtt_path: str
    checks: list[dict] | None  # None: to be checked by :func:`analyse`
    duration_s: float
    width: int
    height: int


def process(source_path: str, workdir: str, *, ffmpeg: str, ffprobe: str, limits: ProbeLimits,
            max_duration_s: float | None, storyboard_vtt_url: str,
            on_progress: Callable[[float, float | None], None] | None = None,
            timeout_s: float = 3600, analyse_now: bool = False,
            timeline: Timeline | None = None) -> ProcessResult:
    """Turn an upload into rendition, poster, storyboard (+ VTT) and checks inside ``workdir``.

    ``max_duration_s`` is the assignment's maximum, judged by the duration *check*
    (the hard ceiling that refuses a file is ``limits.max_duration_s``).
    ``storyboard_vtt_url`` is written into the VTT cues as the sprite's address.

    Raises MediaRefused for input Karya does not accept (no retry will help), and
    FfmpegError (FfmpegFailed, FfmpegTimeout, MissingOutput) or
    subprocess.TimeoutExpired otherwise.

    ``analyse_now`` runs the automatic checks in the same ffmpeg run, so ``checks`` is
    filled in; by default it is None and the checks are left to :func:`analyse`.

    ``timeline``, when given, gets a mark after each phase (see :mod:`.timeline`).
    """
    mark = timeline.mark if timeline is not None else _no_mark
    deadline = time.monotonic() + timeout_s
    source_path = os.path.abspath(source_path)
    workdir = os.path.abspath(workdir)
    info = probe(source_path, ffprobe=ffprobe, limits=limits, timeout=min(PROBE_TIMEOUT_S, timeout_s))
    rendition = commands.plan(info)
    mark("probe")
    log.info("processing %s: %s %dx%d -> %dx%d, %s", source_path, info.video_codec, info.width, info.height,
             rendition.width, rendition.height,
             "remux" if rendition.remux else "transcode (%s)" % ", ".join(rendition.remux_blockers))

    frames_dir = os.path.join(workdir, FRAMES_DIR)
    shutil.rmtree(frames_dir, ignore_errors=True)  # leftovers of an interrupted attempt
    os.makedirs(frames_dir)
    final = {name: os.path.join(workdir, name) for name in (RENDITION, POSTER, STORYBOARD, STORYBOARD_VTT)}
    partial = {name: os.path.join(frames_dir, "partial-" + name) for name in final}
    out = commands.OutputPaths.inside(frames_dir, partial[RENDITION])

    if rendition.remux:
        args = commands.remux_command(ffmpeg, source_path, info, rendition, out,
                                      full_analysis=analyse_now)
    else:
        args = commands.transcode_command(ffmpeg, source_path, info, rendition, out, analysis=analyse_now)
    result = run_ffmpeg(
        args, timeout_s=max(1.0, deadline - time.monotonic()), duration_s=info.duration_s,
        expected_frames=None if rendition.remux else rendition.expected_frames,
        on_progress=_scaled(on_progress, FFMPEG_SHARE),
    )
    if not os.path.isfile(partial[RENDITION]) or os.path.getsize(partial[RENDITION]) == 0:
        raise MissingOutput("rendition", result.stderr_text[-2000:])
    mark("ffmpeg")

    checks = _checks(result, info, rendition, out, max_duration_s) if analyse_now else None
    mark("checks")

    posters = _frames(frames_dir, "poster-*.jpg")
    tiles = _frames(frames_dir, "storyboard-*.jpg")
    if not tiles:
        raise MissingOutput("storyboard frames", result.stderr_text[-2000:])
    images.write_poster(images.choose_poster(posters or tiles), partial[POSTER])
    mark("poster")
    images.build_storyboard(tiles, rendition.storyboard_interval_s, partial[STORYBOARD], partial[STORYBOARD_VTT],
                            vtt_url=storyboard_vtt_url, duration_s=info.duration_s)
    mark("storyboard")

    for name, path in final.items():
        os.replace(partial[name], path)
    shutil.rmtree(frames_dir, ignore_errors=True)
    if on_progress:
        on_progress(1.0, None)
    mark("finish")
    return ProcessResult(
        probe=info, remuxed=rendition.remux,
        rendition_path=final[RENDITION], poster_path=final[POSTER],
        storyboard_path=final[STORYBOARD], storyboard_vtt_path=final[STORYBOARD_VTT],
        checks=checks, duration_s=info.duration_s, width=rendition.width, height=rendition.height,
    )


def analyse(source_path: str, workdir: str, *, ffmpeg: str, ffprobe: str, limits: ProbeLimits,
            max_duration_s: float | None, timeout_s: float = 3600) -> list[dict]:
    """The automatic checks of a source that :func:`process` made playable: every frame
    decoded and analysed, nothing else made. Only scratch files are
    written, inside ``workdir``; running it again starts afresh.

    Raises as :func:`process` does.
    """
    deadline = time.monotonic() + timeout_s
    source_path = os.path.abspath(source_path)
    info = probe(source_path, ffprobe=ffprobe, limits=limits, timeout=min(PROBE_TIMEOUT_S, timeout_s))
    rendition = commands.plan(info)
    frames_dir = os.path.join(os.path.abspath(workdir), FRAMES_DIR)
    shutil.rmtree(frames_dir, ignore_errors=True)
    os.makedirs(frames_dir)
    out = commands.OutputPaths.inside(frames_dir, os.devnull)
    result = run_ffmpeg(commands.analysis_command(ffmpeg, source_path, info, rendition, out),
                        timeout_s=max(1.0, deadline - time.monotonic()), duration_s=info.duration_s)
    checks = _checks(result, info, rendition, out, max_duration_s)
    shutil.rmtree(frames_dir, ignore_errors=True)
    return checks


def _checks(result, info: ProbeResult, rendition, out: commands.OutputPaths,
            max_duration_s: float | None) -> list[dict]:
    """The checks from a run that decoded and analysed every frame."""
    luma = _luma(out.luma_log)
    if luma is None:  # never reported as a pass: the flashing check needs it
        raise MissingOutput("luma log", result.stderr_text[-2000:])
    return build_checks(
        parse_stderr(result.stderr_text, duration_s=info.duration_s),
        has_audio=rendition.audio_index is not None, duration_s=info.duration_s,
        max_duration_s=max_duration_s, luma=luma,
    )


def _no_mark(phase: str) -> None:
    pass


def _frames(folder: str, pattern: str) -> list[str]:
    """ffmpeg's numbered frames in order (the numbers are zero-padded, so names sort)."""
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if fnmatch.fnmatch(name, pattern)]


def _luma(path: str) -> list[tuple[float, float]] | None:
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_luma_log(f.read())


def _scaled(callback, share: float):
    if callback is None:
        return None
    return lambda fraction, speed: callback(fraction * share, speed)

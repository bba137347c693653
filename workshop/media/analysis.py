"""Automatic checks from one ffmpeg run's log: loudness, silence, black, frozen, flashing, duration.

ffmpeg's detection filters write their findings to stderr (and the per-frame mean
luminance to a small log file, see :mod:`commands`). This module parses them and
turns them into checks for the mentor's panel::

    {"name": "loudness", "status": "pass" | "warn" | "fail",
     "detail_code": "too_quiet", "params": {"lufs": -34.2}}

``name`` is one of :data:`CHECK_NAMES`; ``detail_code`` and ``params`` are turned
into a sentence by :func:`workshop.media.messages.describe_check`. Thresholds are
named constants below, each with the reason for its value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .flashes import MAX_FLASHES_PER_WINDOW, flash_report
from .probe import clock

CHECK_NAMES = ("loudness", "true_peak", "silence", "black", "frozen", "flashing", "duration")

# EBU R128 targets -23 LUFS for broadcast and platforms play around -14; a talk
# recorded far from a phone's microphone lands near -35. Below -30 it is hard to hear.
TOO_QUIET_LUFS = -30.0
SILENT_TRACK_LUFS = -60.0  # ebur128 reports -70 for digital silence
TOO_LOUD_LUFS = -9.0
# True peak above -1 dBTP risks distortion after AAC encoding; above 0 it has clipped.
NEAR_CLIPPING_DBTP = -1.0
CLIPPED_DBTP = 0.0
LONG_SILENCE_S = 5.0
LONG_BLACK_S = 2.0
MOSTLY_BLACK_SHARE = 0.9
LONG_FREEZE_S = 3.0
# Over the brief's maximum by up to this much is a warning (a few seconds of credits);
# beyond it, a fail.
DURATION_GRACE_S, DURATION_GRACE_SHARE = 5.0, 0.05


@dataclass
class Findings:
    """What the filters reported, in seconds."""

    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    silences: list[tuple[float, float]] = field(default_factory=list)
    blacks: list[tuple[float, float]] = field(default_factory=list)
    freezes: list[tuple[float, float]] = field(default_factory=list)


_NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf|nan))"


def parse_stderr(text: str, *, duration_s: float) -> Findings:
    """Findings of ebur128, silencedetect, blackdetect and freezedetect in ffmpeg's log.

    An interval still open at the end of the log (silence or freeze running to the
    end of the file) is closed at ``duration_s``.
    """
    found = Findings()
    summary = _last_loudness_summary(text)
    loudness = re.search(r"Integrated loudness:\s*I:\s*" + _NUMBER + r"\s*LUFS", summary)
    if loudness:
        found.integrated_lufs = float(loudness[1])
    peak = re.search(r"True peak:\s*Peak:\s*" + _NUMBER + r"\s*dBFS", summary)
    if peak:
        found.true_peak_dbtp = float(peak[1])
    found.silences = _intervals(text, r"silence_start:\s*" + _NUMBER, r"silence_end:\s*" + _NUMBER, duration_s)
    found.blacks = [(float(m[1]), float(m[2])) for m in re.finditer(
        r"black_start:\s*" + _NUMBER + r"\s+black_end:\s*" + _NUMBER, text)]
    found.freezes = _intervals(text, r"freeze_start:\s*" + _NUMBER, r"freeze_end:\s*" + _NUMBER, duration_s)
    return found


def _last_loudness_summary(text: str) -> str:
    """The log from the last ebur128 summary on.

    ffmpeg builds each ``-filter_complex`` graph once only to learn its inputs and
    outputs, and frees it unused. ffmpeg 5.1's ebur128 then logs a summary of the
    nothing it saw ("I: -70.0 LUFS", "Peak: -inf dBFS") before the run, and the real
    one at its end: read first, it made every sound track "silent". 7.0.2's ebur128
    stays quiet when it saw nothing, so there the last summary is the only one.
    """
    starts = [match.start() for match in re.finditer(r"Integrated loudness:", text)]
    return text[starts[-1]:] if starts else ""


def _intervals(text: str, start_pattern: str, end_pattern: str, duration_s: float) -> list[tuple[float, float]]:
    events = sorted(
        [(m.start(), "start", float(m[1])) for m in re.finditer(start_pattern, text)]
        + [(m.start(), "end", float(m[1])) for m in re.finditer(end_pattern, text)]
    )
    intervals, open_at = [], None
    for _, kind, seconds in events:
        if kind == "start":
            open_at = max(0.0, seconds)
        elif open_at is not None:
            intervals.append((open_at, seconds))
            open_at = None
    if open_at is not None and duration_s > open_at:
        intervals.append((open_at, duration_s))
    return intervals


def parse_luma_log(text: str) -> list[tuple[float, float]]:
    """``(time_s, mean relative luminance 0..1)`` per frame from the metadata filter's log."""
    samples, time = [], None
    for line in text.splitlines():
        if line.startswith("frame:"):
            match = re.search(r"pts_time:(\S+)", line)
            time = _float(match[1]) if match else None
        elif line.startswith("lavfi.signalstats.YAVG=") and time is not None:
            value = _float(line.partition("=")[2])
            if value is not None:
                samples.append((time, value / 255))
            time = None
    return samples


def build_checks(findings: Findings, *, has_audio: bool, duration_s: float, max_duration_s: float | None,
                 luma: list[tuple[float, float]]) -> list[dict]:
    """The checks shown beside the checklist, in :data:`CHECK_NAMES` order.

    Every frame must have been analysed (``luma`` has one sample a frame): a remuxed
    version is checked by a run of its own (``pipeline.analyse``), never from key frames.
    """
    return [
        _loudness(findings, has_audio),
        _true_peak(findings, has_audio),
        _silence(findings, has_audio),
        _black(findings, duration_s),
        _frozen(findings),
        _flashing(luma),
        _duration(duration_s, max_duration_s),
    ]


def _check(name: str, status: str, detail_code: str, **params) -> dict:
    return {"name": name, "status": status, "detail_code": detail_code, "params": params}


def _loudness(found: Findings, has_audio: bool) -> dict:
    lufs = found.integrated_lufs
    if not has_audio:
        return _check("loudness", "warn", "no_audio")
    if lufs is None or not math.isfinite(lufs) or lufs <= SILENT_TRACK_LUFS:
        return _check("loudness", "warn", "silent_track")
    params = {"lufs": round(lufs, 1)}
    if lufs < TOO_QUIET_LUFS:
        return _check("loudness", "warn", "too_quiet", **params)
    if lufs > TOO_LOUD_LUFS:
        return _check("loudness", "warn", "too_loud", **params)
    return _check("loudness", "pass", "loudness_ok", **params)


def _true_peak(found: Findings, has_audio: bool) -> dict:
    peak = found.true_peak_dbtp
    if not has_audio:
        return _check("true_peak", "pass", "no_audio")
    if peak is None or not math.isfinite(peak):
        return _check("true_peak", "pass", "silent_peak")
    params = {"dbtp": round(peak, 1)}
    if peak > CLIPPED_DBTP:
        return _check("true_peak", "fail", "clipping", **params)
    if peak > NEAR_CLIPPING_DBTP:
        return _check("true_peak", "warn", "near_clipping", **params)
    return _check("true_peak", "pass", "peak_ok", **params)


def _longest(intervals: list[tuple[float, float]]) -> tuple[float, float] | None:
    return max(intervals, key=lambda span: span[1] - span[0], default=None)


def _span_params(span: tuple[float, float], intervals, threshold: float) -> dict:
    return {"start": clock(span[0]), "start_s": round(span[0], 2), "seconds": round(span[1] - span[0], 1),
            "count": sum(1 for s, e in intervals if e - s >= threshold)}


def _silence(found: Findings, has_audio: bool) -> dict:
    if not has_audio:
        return _check("silence", "pass", "no_audio")
    longest = _longest(found.silences)
    if longest and longest[1] - longest[0] >= LONG_SILENCE_S:
        return _check("silence", "warn", "long_silence", **_span_params(longest, found.silences, LONG_SILENCE_S))
    return _check("silence", "pass", "silence_ok")


def _black(found: Findings, duration_s: float) -> dict:
    total = sum(end - start for start, end in found.blacks)
    if duration_s > 0 and total >= MOSTLY_BLACK_SHARE * duration_s:
        return _check("black", "fail", "mostly_black", seconds=round(total, 1))
    longest = _longest(found.blacks)
    if longest and longest[1] - longest[0] >= LONG_BLACK_S:
        return _check("black", "warn", "black_segment", **_span_params(longest, found.blacks, LONG_BLACK_S))
    return _check("black", "pass", "black_ok")


def _frozen(found: Findings) -> dict:
    longest = _longest(found.freezes)
    if longest and longest[1] - longest[0] >= LONG_FREEZE_S:
        return _check("frozen", "warn", "frozen_segment", **_span_params(longest, found.freezes, LONG_FREEZE_S))
    return _check("frozen", "pass", "frozen_ok")


def _flashing(luma: list[tuple[float, float]]) -> dict:
    report = flash_report(luma)
    if report.fails:
        return _check("flashing", "fail", "flashing", flashes=report.max_flashes,
                      start=clock(report.at_s or 0), start_s=round(report.at_s or 0, 2),
                      limit=MAX_FLASHES_PER_WINDOW)
    return _check("flashing", "pass", "flashing_ok", flashes=report.max_flashes, limit=MAX_FLASHES_PER_WINDOW)


def _duration(duration_s: float, max_duration_s: float | None) -> dict:
    params = {"actual": clock(duration_s), "actual_s": round(duration_s, 1)}
    if not max_duration_s:
        return _check("duration", "pass", "duration_ok", **params)
    params.update(max=clock(max_duration_s), max_s=max_duration_s)
    grace = max(DURATION_GRACE_S, DURATION_GRACE_SHARE * max_duration_s)
    if duration_s > max_duration_s + grace:
        return _check("duration", "fail", "over_limit", **params)
    # Rounded to whole seconds as people read durations: 3:00.4 for a 3:00 brief is on time.
    if round(duration_s) > max_duration_s:
        return _check("duration", "warn", "slightly_over", **params)
    return _check("duration", "pass", "duration_within", **params)


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None

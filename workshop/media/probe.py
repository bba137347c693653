"""Probing an upload: what it really is, and whether Karya accepts it.

The file's content decides, never its name. ``probe`` runs ffprobe through the
allow-lists of :mod:`safe_input`, reads the streams, and either returns a
:class:`ProbeResult` or raises :class:`MediaRefused` with a stable ``code`` that
:mod:`messages` turns into a sentence a student can act on.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import sniff
from .safe_input import ALLOWED_DEMUXERS, demuxer_for, ffprobe_input_options, input_url

MIN_DURATION_S = 0.5

# Codecs that carry pictures rather than motion; one frame of these is a photo.
IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "gif", "webp", "tiff", "apng", "jpegls", "qoi"}


class MediaRefused(Exception):
    """The upload is not acceptable media. Retrying will not help.

    ``code`` is stable (stored with the version, looked up in :mod:`messages`);
    ``params`` fills the message's placeholders and must be JSON-serialisable.

    Not one of the web refusals of ``workshop/errors.py``, though it refuses input: it is
    raised in the worker and never answers a request (the version's state and error code
    carry it, shown later in the reader's language), and deriving it from ``ApiError`` would
    make this module, and the pipeline that imports it, depend on Flask, Flask-Babel and
    Flask-WTF, which ``errors.py`` imports; probing and the command graphs use none of them.
    """

    def __init__(self, code: str, **params: Any):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass
class ProbeLimits:
    """What the platform accepts; the app fills these from its config."""

    max_duration_s: float = 900
    max_width: int = 4096
    max_height: int = 4096
    max_fps: Fraction = Fraction(120)
    max_streams: int = 16


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    channels: int
    sample_rate: int
    default: bool


@dataclass
class ProbeResult:
    """The facts about an accepted upload that processing needs.

    ``width``/``height`` are as displayed (after rotation and non-square pixels);
    ``coded_width``/``coded_height`` as stored. ``rotation`` is 0, 90, 180 or 270
    degrees counter-clockwise, ffprobe's display-matrix convention.
    """

    format_name: str
    demuxer: str
    duration_s: float
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    sample_aspect_ratio: Fraction
    video_stream_index: int
    video_codec: str
    profile: str | None
    pix_fmt: str | None
    frame_rate: Fraction | None
    bit_depth: int | None
    interlaced: bool = False
    audio_streams: list[AudioStream] = field(default_factory=list)
    size_bytes: int = 0
    bit_rate: int | None = None
    raw: dict = field(default_factory=dict, repr=False)  # ffprobe's JSON without tags (see _without_tags)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)

    @property
    def audio(self) -> AudioStream | None:
        """The track to keep: the one marked default, else the first."""
        for stream in self.audio_streams:
            if stream.default:
                return stream
        return self.audio_streams[0] if self.audio_streams else None

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def probe(path: str | os.PathLike, *, ffprobe: str, limits: ProbeLimits, timeout: float = 60) -> ProbeResult:
    """Probe ``path`` (a server-chosen path) and check it against ``limits``.

    Raises :class:`MediaRefused` for anything Karya does not accept, and
    ``subprocess.TimeoutExpired`` if ffprobe itself hangs (worth a retry).
    """
    path = os.path.abspath(os.fspath(path))
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRefused("empty")
    head = sniff.read_head(path)
    if sniff.is_image(head):
        # Checked first: image demuxers are not on the allow-list, so ffprobe would
        # only say "not on whitelist", and a photo deserves its own reason.
        raise MediaRefused("still_image")

    info = _run_ffprobe(ffprobe, path, ["-show_format", "-show_streams"], timeout)
    if info is None:
        if sniff.is_audio_only_format(head):
            raise MediaRefused("no_video")
        raise MediaRefused("damaged" if sniff.is_known_container(head) else "not_media")

    fmt = info.get("format", {})
    demuxer = demuxer_for(fmt.get("format_name", ""))
    if demuxer is None:  # the whitelist should make this impossible; refuse rather than trust
        raise MediaRefused("not_media")
    if demuxer == "mov" and not sniff.top_level_boxes(path)[1]:
        raise MediaRefused("damaged")

    streams = info.get("streams", [])
    if len(streams) > limits.max_streams:
        raise MediaRefused("too_many_streams", max_streams=limits.max_streams, streams=len(streams))
    videos = [s for s in streams if s.get("codec_type") == "video" and not _is_picture_attachment(s)]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        if audios:
            raise MediaRefused("no_video")
        if any(s.get("codec_type") == "video" for s in streams):
            raise MediaRefused("still_image")  # only cover art
        raise MediaRefused("not_media")
    video = next((s for s in videos if s.get("disposition", {}).get("default")), videos[0])

    coded_w, coded_h = int(video.get("width") or 0), int(video.get("height") or 0)
    if coded_w <= 0 or coded_h <= 0:
        raise MediaRefused("damaged")
    rotation = _rotation(video)
    sar = _fraction(video.get("sample_aspect_ratio")) or Fraction(1)
    display_w, display_h = _display_size(coded_w, coded_h, sar, rotation)
    duration = _duration(fmt, video) or _scan_duration(ffprobe, path, video["index"], timeout)
    if duration is None:
        raise MediaRefused("damaged")

    frames = _frame_count(ffprobe, path, video, duration, timeout)
    if frames is not None and frames <= 1 or video.get("codec_name") in IMAGE_CODECS and duration < MIN_DURATION_S:
        raise MediaRefused("still_image")
    frame_rate = _frame_rate(video)
    _enforce_limits(limits, display_w, display_h, frame_rate, duration)

    return ProbeResult(
        format_name=fmt.get("format_name", ""),
        demuxer=demuxer,
        duration_s=duration,
        width=display_w,
        height=display_h,
        coded_width=coded_w,
        coded_height=coded_h,
        rotation=rotation,
        sample_aspect_ratio=sar,
        video_stream_index=int(video["index"]),
        video_codec=video.get("codec_name", ""),
        profile=video.get("profile"),
        pix_fmt=video.get("pix_fmt"),
        frame_rate=frame_rate,
        bit_depth=_bit_depth(video),
        interlaced=video.get("field_order") in ("tt", "bb", "tb", "bt"),
        audio_streams=[_audio_stream(s) for s in audios],
        size_bytes=size,
        bit_rate=_int(fmt.get("bit_rate")),
        raw=_without_tags(info),
    )


def _enforce_limits(limits: ProbeLimits, width: int, height: int, frame_rate: Fraction | None,
                    duration: float) -> None:
    if width > limits.max_width or height > limits.max_height:
        raise MediaRefused("dimensions", width=width, height=height,
                           max_width=limits.max_width, max_height=limits.max_height)
    if frame_rate is not None and frame_rate > limits.max_fps:
        raise MediaRefused("frame_rate", fps=_fps_text(frame_rate), max_fps=_fps_text(limits.max_fps))
    if duration > limits.max_duration_s:
        raise MediaRefused("too_long", actual_s=round(duration, 1), max_s=limits.max_duration_s,
                           actual=clock(duration), max=clock(limits.max_duration_s))
    if duration < MIN_DURATION_S:
        raise MediaRefused("too_short", actual_s=round(duration, 2), min_s=MIN_DURATION_S)


def _without_tags(info: dict) -> dict:
    """ffprobe's JSON as Karya keeps it: no metadata tags, no server path.

    Phones write the place a video was shot (GPS), the device and its owner's name
    into tags; uploads are minors' personal data, so none of that is kept.
    """
    fmt = {k: v for k, v in info.get("format", {}).items() if k not in ("tags", "filename")}
    streams = [{k: v for k, v in stream.items() if k != "tags"} for stream in info.get("streams", [])]
    return {"format": fmt, "streams": streams}


def clock(seconds: float) -> str:
    """``754.2`` -> ``"12:34"``: how a duration reads in a message."""
    whole = int(round(seconds))
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _run_ffprobe(ffprobe: str, path: str, show: list[str], timeout: float) -> dict | None:
    """ffprobe's JSON for ``path``, or None when ffprobe cannot (or may not) read it."""
    args = [ffprobe, "-hide_banner", "-v", "error", "-print_format", "json", *show,
            *ffprobe_input_options(), input_url(path)]
    done = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        return None
    try:
        return json.loads(done.stdout.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def _is_picture_attachment(stream: dict) -> bool:
    disposition = stream.get("disposition", {})
    return bool(disposition.get("attached_pic") or disposition.get("still_image")) \
        or stream.get("codec_type") == "attachment"


def _fraction(text: Any) -> Fraction | None:
    """``"30000/1001"`` -> Fraction; None for absent, zero or malformed values (``"0/0"``)."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = Fraction(text.replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rotation(video: dict) -> int:
    """Counter-clockwise display rotation, snapped to a quarter turn (others are not applied by ffmpeg)."""
    degrees = None
    for side in video.get("side_data_list", []) or []:
        if "rotation" in side:
            degrees = float(side["rotation"])
            break
    if degrees is None and "rotate" in video.get("tags", {}):
        degrees = -float(video["tags"]["rotate"])  # the old tag counts clockwise
    if degrees is None:
        return 0
    quarter = round(degrees / 90) * 90
    if abs(degrees - quarter) > 1:
        return 0
    return int(quarter % 360)


def _display_size(width: int, height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    if sar != 1:
        width = max(1, round(width * sar))
    return (height, width) if rotation in (90, 270) else (width, height)


def _duration(fmt: dict, video: dict) -> float | None:
    for value in (fmt.get("duration"), video.get("duration")):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds) and seconds > 0:
            return seconds
    tag = video.get("tags", {}).get("DURATION")  # Matroska keeps it per stream as HH:MM:SS.nnnnnnnnn
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)", tag or "")
    if match:
        seconds = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])
        return seconds if seconds > 0 else None
    return None


def _scan_duration(ffprobe: str, path: str, index: int, timeout: float) -> float | None:
    """Duration from the video packets' timestamps, for files whose header has none.

    Browser and live recordings (WebM from MediaRecorder) are written without a
    duration; reading packet timestamps (no decoding) is the only way to know it.
    """
    info = _run_ffprobe(ffprobe, path, ["-select_streams", str(index),
                                        "-show_entries", "packet=pts_time,duration_time"], timeout)
    if not info:
        return None
    starts, ends = [], []
    for packet in info.get("packets", []):
        try:
            start = float(packet["pts_time"])
            ends.append(start + float(packet.get("duration_time") or 0))
        except (KeyError, TypeError, ValueError):
            continue
        starts.append(start)
    if not starts:
        return None
    span = max(ends) - min(starts)
    return span if span > 0 else None


def _frame_count(ffprobe: str, path: str, video: dict, duration: float, timeout: float) -> int | None:
    """Frames in the video stream: from the header, else (for short clips or picture codecs)
    by counting the first few packets, which is enough to tell one frame from many."""
    frames = _int(video.get("nb_frames"))
    if frames is not None:
        return frames
    if duration >= 1 and video.get("codec_name") not in IMAGE_CODECS:
        return None
    info = _run_ffprobe(ffprobe, path, ["-count_packets", "-select_streams", str(video["index"]),
                                        "-read_intervals", "%+#3", "-show_entries", "stream=nb_read_packets"],
                        timeout)
    streams = (info or {}).get("streams") or [{}]
    return _int(streams[0].get("nb_read_packets"))


def _frame_rate(video: dict) -> Fraction | None:
    # avg_frame_rate is the real rate of variable-rate phone video; r_frame_rate can
    # be a timebase-like guess (90000/1) there. Fall back to it only when avg is unknown.
    return _fraction(video.get("avg_frame_rate")) or _fraction(video.get("r_frame_rate"))


def _fps_text(rate: Fraction) -> str:
    return f"{float(rate):.3g}"


def _bit_depth(video: dict) -> int | None:
    bits = _int(video.get("bits_per_raw_sample"))
    if bits:
        return bits
    pix_fmt = video.get("pix_fmt") or ""
    match = re.search(r"(?:p|gray|y)(\d+)(?:le|be)$", pix_fmt)
    if match:
        return int(match[1])
    if re.fullmatch(r"(yuvj?4[0-4][0-4]p|nv12|nv21|gray|yuyv422|uyvy422)", pix_fmt):
        return 8
    return None


def _audio_stream(stream: dict) -> AudioStream:
    return AudioStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", ""),
        channels=_int(stream.get("channels")) or 0,
        sample_rate=_int(stream.get("sample_rate")) or 0,
        default=bool(stream.get("disposition", {}).get("default")),
    )


__all__ = ["ALLOWED_DEMUXERS", "AudioStream", "MediaRefused", "ProbeLimits", "ProbeResult", "clock", "probe"]

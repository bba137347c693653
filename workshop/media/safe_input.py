"""How ffprobe and ffmpeg may open an upload: the one file, through an allow-list.

An uploaded file is hostile until proven otherwise. Several FFmpeg demuxers open
*other* files or URLs named inside the input (hls, dash, concat, image2 patterns,
tee, ...), which would let a student's "video" make the worker read server files or
fetch URLs. So every invocation:

* names the input as ``file:<absolute path>`` (a path chosen by the server, never the
  student's file name), so no other protocol can be selected by the path itself;
* passes ``-protocol_whitelist file``, so no nested protocol (http, tcp, pipe, ...)
  can be opened by anything inside the file;
* passes ``-format_whitelist`` with the demuxers below: real audio/video containers
  that read only their own bytes;
* for ffmpeg, forces ``-f <demuxer>`` to the one the probe found, so the content
  cannot be re-detected as something else between probe and processing.

Audio-only formats (mp3, wav, flac, ...) are deliberately *not* on the list: they are
refused anyway (no video), and :mod:`sniff` recognises them by their bytes to give
the clearer "no video" reason.
"""

from __future__ import annotations

import os

# ffmpeg demuxer name -> why it is here. Each reads only the bytes of its own input.
ALLOWED_DEMUXERS: dict[str, str] = {
    "mov": "MP4, MOV, M4A, 3GP: phones and most editing apps",
    "matroska": "MKV and WebM (screen recorders, browsers, Android editors)",
    "avi": "AVI, including MJPEG from older cameras",
    "mpegts": "MPEG transport stream (.ts, AVCHD .mts camcorders)",
    "mpeg": "MPEG program stream (.mpg, .vob)",
    "flv": "Flash video, still produced by some downloaders and recorders",
    "ogg": "Ogg (Theora video); Ogg audio is refused later as audio only",
    "asf": "WMV/ASF from older Windows tools",
}

FORMAT_WHITELIST = ",".join(ALLOWED_DEMUXERS)


def input_url(path: str | os.PathLike) -> str:
    """The ``file:`` URL for a server-chosen path (made absolute, so ``-`` or ``x:y`` stay files)."""
    return "file:" + os.path.abspath(os.fspath(path))


def demuxer_for(format_name: str) -> str | None:
    """The allowed demuxer behind ffprobe's ``format_name`` (e.g. ``"mov,mp4,m4a,..."`` -> ``"mov"``).

    ffprobe reports a demuxer's full alias list; ``-f`` needs one name from our list.
    """
    for name in format_name.split(","):
        if name in ALLOWED_DEMUXERS:
            return name
    return None


def ffprobe_input_options() -> list[str]:
    """Options placed before the input on every ffprobe command."""
    return ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]


def ffmpeg_input_kwargs(demuxer: str) -> dict[str, str]:
    """Input options for ffmpeg-python's ``ffmpeg.input`` (forced demuxer plus both allow-lists)."""
    if demuxer not in ALLOWED_DEMUXERS:
        raise ValueError(f"demuxer {demuxer!r} is not allowed")
    return {"f": demuxer, "protocol_whitelist": "file", "format_whitelist": FORMAT_WHITELIST}

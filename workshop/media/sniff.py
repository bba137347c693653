"""Recognising a file by its first bytes, and walking an MP4's top-level boxes.

ffprobe decides what a file *is*; these helpers only pick the clearest reason when
ffprobe refuses it (a picture, a song, a broken video, or something else) and spot
an MP4 cut short. They read bytes with Python, never through FFmpeg, so a refused
file is never handed to a demuxer that could follow references out of it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

HEAD_BYTES = 512  # enough for three MPEG-TS packet sync bytes

# ISO BMFF major brands of still-image files (HEIF/HEIC from phones, AVIF).
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def read_head(path: str | os.PathLike, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file."""
    with open(path, "rb") as f:
        return f.read(size)


def _ftyp_brand(head: bytes) -> bytes | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12]
    return None


def is_image(head: bytes) -> bool:
    """True for the signatures of picture formats a student might pick by mistake."""
    return (
        head.startswith(b"\x89PNG\r\n\x1a\n")
        or head.startswith(b"\xff\xd8\xff")  # JPEG
        or head.startswith((b"GIF87a", b"GIF89a"))
        or head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\0\0\0\0"  # BMP: reserved zeros
        or head.startswith(b"RIFF") and head[8:12] == b"WEBP"
        or head.startswith((b"II*\0", b"MM\0*"))  # TIFF, many RAW formats
        or _ftyp_brand(head) in _IMAGE_BRANDS
    )


def is_audio_only_format(head: bytes) -> bool:
    """True for the signatures of audio-only formats (which are not on the demuxer allow-list)."""
    if head.startswith((b"ID3", b"fLaC", b"#!AMR", b"MAC ", b"wvpk")):
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return True
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return True
    # MPEG audio or ADTS AAC frame sync: 11 set bits, then a valid layer/version.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return True
    return _ftyp_brand(head) in (b"M4A ", b"M4B ")


def is_known_container(head: bytes) -> bool:
    """True when the bytes start like one of the allowed video containers.

    Used to tell a *damaged* video (right signature, unreadable) from a file that is
    not a video at all.
    """
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):
        return True  # ISO BMFF / QuickTime
    return (
        head.startswith(b"\x1a\x45\xdf\xa3")  # EBML: Matroska, WebM
        or head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"AVIX")
        or head.startswith(b"OggS")
        or head.startswith(b"FLV")
        or head.startswith(b"\x00\x00\x01\xba")  # MPEG program stream pack header
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF header GUID
        or len(head) > 376 and head[0] == head[188] == head[376] == 0x47  # MPEG-TS: a sync byte every 188
    )


@dataclass(frozen=True)
class Box:
    """One top-level ISO BMFF box: its four-character type, offset and size in bytes."""

    type: str
    offset: int
    size: int


def top_level_boxes(path: str | os.PathLike) -> tuple[list[Box], bool]:
    """The top-level boxes of an MP4/MOV file, and whether the last one is complete.

    A box whose declared size runs past the end of the file means the upload was cut
    short (for a faststart file ffprobe would still read the header happily).
    """
    boxes: list[Box] = []
    file_size = os.path.getsize(path)
    offset = 0
    with open(path, "rb") as f:
        while offset + 8 <= file_size:
            f.seek(offset)
            header = f.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1:  # 64-bit "largesize" follows the type
                if len(header) < 16:
                    return boxes, False
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:  # box extends to the end of the file
                size = file_size - offset
            if size < 8:
                return boxes, False
            boxes.append(Box(kind.decode("latin-1"), offset, size))
            if offset + size > file_size:
                return boxes, False
            offset += size
    # Fewer than 8 stray bytes at the end cannot hold a box; players ignore them.
    return boxes, True

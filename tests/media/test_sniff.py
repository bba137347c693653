"""Recognising files by their first bytes, and spotting a cut-short MP4."""

from __future__ import annotations

import struct

import pytest

from workshop.media import sniff


@pytest.mark.parametrize("head, image, audio, container", [
    (b"\x89PNG\r\n\x1a\n" + bytes(8), True, False, False),
    (b"\xff\xd8\xff\xe0" + bytes(12), True, False, False),
    (b"GIF89a" + bytes(10), True, False, False),
    (b"RIFF\0\0\0\0WEBPVP8 ", True, False, False),
    (b"\0\0\0\x18ftypheic\0\0\0\0", True, False, True),
    (b"ID3\x04" + bytes(12), False, True, False),
    (b"RIFF\0\0\0\0WAVEfmt ", False, True, False),
    (b"fLaC" + bytes(12), False, True, False),
    (b"\0\0\0\x20ftypM4A \0\0\0\0", False, True, True),
    (b"\0\0\0\x20ftypisom\0\0\0\0", False, False, True),
    (b"\x1a\x45\xdf\xa3" + bytes(12), False, False, True),
    (b"RIFF\0\0\0\0AVI LIST", False, False, True),
    (b"#EXTM3U\n#EXT-X-", False, False, False),
    (b"ffconcat version", False, False, False),
    (b"Good morning, this is my script.", False, False, False),
    ((b"\x47" + bytes(187)) * 3, False, False, True),
])
def test_signatures(head, image, audio, container):
    assert sniff.is_image(head) is image
    assert sniff.is_audio_only_format(head) is audio
    assert sniff.is_known_container(head) is container


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_complete_and_cut_mp4_boxes(tmp_path):
    whole = box(b"ftyp", b"isom\0\0\0\0") + box(b"moov", bytes(40)) + box(b"mdat", bytes(1000))
    (tmp_path / "whole.mp4").write_bytes(whole)
    (tmp_path / "cut.mp4").write_bytes(whole[:-100])
    boxes, complete = sniff.top_level_boxes(tmp_path / "whole.mp4")
    assert [b.type for b in boxes] == ["ftyp", "moov", "mdat"] and complete
    assert not sniff.top_level_boxes(tmp_path / "cut.mp4")[1]


def test_a_box_running_to_the_end_and_a_large_box(tmp_path):
    data = box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I4sQ", 1, b"mdat", 16 + 50) + bytes(50)
    data += struct.pack(">I4s", 0, b"free") + bytes(10)
    (tmp_path / "f.mp4").write_bytes(data)
    boxes, complete = sniff.top_level_boxes(tmp_path / "f.mp4")
    assert [b.type for b in boxes] == ["ftyp", "mdat", "free"] and complete

"""Looking at the pipeline's outputs from the outside: ffprobe, MP4 box order, pixels, WebVTT."""

from __future__ import annotations

import json
import re
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

from PIL import Image


def ffprobe_json(ffprobe: str, path: Path) -> dict:
    done = subprocess.run([ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True, timeout=30)
    return json.loads(done.stdout)


def top_level_box_types(path: Path) -> list[str]:
    """Top-level MP4 box types in file order (written independently of workshop.media.sniff)."""
    types, offset, data = [], 0, Path(path).read_bytes()
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        types.append(kind.decode("latin-1"))
        offset += size
    return types


def assert_playable_rendition(ffprobe: str, path: Path, *, expect_audio: bool, transcoded: bool = True) -> dict:
    """The rendition contract, checked with ffprobe: one H.264 yuv420p video stream (High
    profile when transcoded) with even sides inside 1280×720 (720×1280 upright), at most
    30 fps, no rotation left; AAC audio (48 kHz stereo, 100–160 kb/s when transcoded) or none;
    moov before mdat, so playback starts before the download ends. Returns the video stream."""
    info = ffprobe_json(ffprobe, path)
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert len(video) == 1 and len(info["streams"]) == 1 + len(audio), info["streams"]
    v = video[0]
    assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p"
    if transcoded:
        assert v["profile"] == "High"
    width, height = v["width"], v["height"]
    assert width % 2 == 0 and height % 2 == 0
    box = (720, 1280) if height > width else (1280, 720)
    assert width <= box[0] and height <= box[1]
    assert Fraction(v["avg_frame_rate"]) <= 30
    assert not any("rotation" in side for side in v.get("side_data_list", [])), "rotation left in the rendition"
    assert "rotate" not in v.get("tags", {})
    if expect_audio:
        assert len(audio) == 1
        a = audio[0]
        assert a["codec_name"] == "aac"
        if transcoded:
            assert a["channels"] == 2 and a["sample_rate"] == "48000"
            assert 100_000 <= int(a["bit_rate"]) <= 160_000, a["bit_rate"]
    else:
        assert not audio
    boxes = top_level_box_types(path)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"), boxes
    return v


def gray_pixel(path: Path, xy: tuple[float, float]) -> int:
    """Luma at a point given as fractions of the width and height."""
    with Image.open(path) as image:
        gray = image.convert("L")
        return gray.getpixel((int(xy[0] * (gray.width - 1)), int(xy[1] * (gray.height - 1))))


def extract_frame(ffmpeg: str, video: Path, out: Path, at_s: float = 0.5) -> Path:
    subprocess.run([ffmpeg, "-v", "error", "-y", "-ss", str(at_s), "-i", str(video), "-frames:v", "1", str(out)],
                   check=True, timeout=30)
    return out


CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)")


def parse_vtt(path: Path) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    cues = []
    for m in CUE.finditer(text):
        g = [int(x) if x.isdigit() else x for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append({"start": start, "end": end, "url": g[8], "x": g[9], "y": g[10], "w": g[11], "h": g[12]})
    assert len(cues) == text.count("-->"), "a cue did not parse"
    return cues

"""Phone video stored on its side: turned upright by hand where ffmpeg's own turn is known.

The rendition, the poster and the storyboard must come out exactly as ffmpeg's
automatic rotation shows the source, for every quarter turn and for mirrored
display matrices (which are left to ffmpeg).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from workshop.media import commands
from workshop.media.pipeline import process
from workshop.media.probe import ProbeLimits, probe

from .inspect_media import extract_frame, parse_vtt
from .test_commands import OUT, SOURCE, probe_result

QUIET = ["-hide_banner", "-v", "error", "-y"]
# 0 65536 0 / -65536 0 0 / 0 0 1<<30: what a phone writes for a portrait video (ffprobe: rotation -90).
PHONE = "\n00000000:            0       65536           0\n00000001:       -65536           0           0\n" \
        "00000002:            0           0  1073741824\n"
MIRRORED = "\n00000000:            0       65536           0\n00000001:        65536           0           0\n" \
           "00000002:            0           0  1073741824\n"


def with_matrix(rotation: int, matrix: str | None):
    side = [{"side_data_type": "Display Matrix", "displaymatrix": matrix, "rotation": -rotation}] if matrix else []
    raw = {"streams": [{"index": 0, "codec_type": "video", "side_data_list": side}]}
    return probe_result(rotation=rotation, width=1080, height=1920, coded_width=1920, coded_height=1080, raw=raw)


def test_a_phones_portrait_turn_is_done_by_hand():
    assert commands.upright_filters(with_matrix(270, PHONE)) == (("transpose", {"dir": "clock"}),)


@pytest.mark.parametrize("rotation, matrix", [
    (0, None),  # nothing to turn
    (270, None),  # a rotation without a matrix to check: ffmpeg decides
    (270, MIRRORED),  # mirrored: ffmpeg's flipping variants
])
def test_anything_else_is_left_to_ffmpeg(rotation, matrix):
    assert commands.upright_filters(with_matrix(rotation, matrix)) is None


def test_the_command_turns_every_picture_once_it_is_small():
    info = with_matrix(270, PHONE)
    rendition = commands.plan(info)
    args = commands.transcode_command("ffmpeg", SOURCE, info, rendition, OUT)
    assert args.index("-noautorotate") < args.index("-i")
    main_graph, picture_graph = [args[i + 1] for i, a in enumerate(args) if a == "-filter_complex"][:2]
    assert main_graph.startswith("[0:0]scale=h=720:w=1280[s0];[s0]transpose=dir=clock[")
    assert "scale=w=160:h=90,transpose=dir=clock," in picture_graph  # tiles of 90×160
    assert "scale=w=1280:h=720,transpose=dir=clock," in picture_graph  # posters of 720×1280
    assert (rendition.width, rendition.height) == (720, 1280)
    # The yardstick turns the same way, so the benchmark compares like with like.
    bare = commands.bare_transcode_command("ffmpeg", SOURCE, info, rendition, "/tmp/bare.mp4")
    assert "-noautorotate" in bare and "transpose=dir=clock" in " ".join(bare)


def bright_corner(image: Image.Image) -> tuple[int, int]:
    """Which quadrant is white: (column, row), each 0 or 1."""
    gray = image.convert("L")
    w, h = gray.size
    means = {(c, r): (gray.crop((c * w // 2, r * h // 2, (c + 1) * w // 2, (r + 1) * h // 2))
                         .resize((1, 1), Image.BOX).getpixel((0, 0))) for c in (0, 1) for r in (0, 1)}
    return max(means, key=means.get)


@pytest.mark.parametrize("turn", [
    ["-display_rotation:v:0", "-90"],  # a phone held upright (probe: 270)
    ["-display_rotation:v:0", "90"],
    ["-display_rotation:v:0", "180"],
    ["-display_rotation:v:0", "90", "-display_hflip:v:0"],  # a mirrored selfie camera
])
def test_every_output_is_upright_as_ffmpeg_shows_it(ffmpeg, ffprobe, tmp_path, turn):
    # White in the top-left quarter only: tells every turn and mirror apart.
    flat = tmp_path / "flat.mp4"
    subprocess.run([ffmpeg, *QUIET, "-f", "lavfi", "-i",
                    "color=black:size=320x240:rate=25:duration=2,drawbox=x=0:y=0:w=160:h=120:color=white:t=fill",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(flat)], check=True, timeout=60)
    source = tmp_path / "turned.mp4"
    subprocess.run([ffmpeg, *QUIET, *turn, "-i", str(flat), "-c", "copy", str(source)], check=True, timeout=60)
    expected_png = tmp_path / "expected.png"  # ffmpeg's own automatic rotation
    subprocess.run([ffmpeg, *QUIET, "-ss", "0.5", "-i", str(source), "-frames:v", "1", str(expected_png)],
                   check=True, timeout=60)
    with Image.open(expected_png) as expected:
        want, size = bright_corner(expected), expected.size

    out = tmp_path / "out"
    out.mkdir()
    result = process(str(source), str(out), ffmpeg=ffmpeg, ffprobe=ffprobe, limits=ProbeLimits(),
                     max_duration_s=60, storyboard_vtt_url="storyboard.jpg")
    assert (result.width, result.height) == size
    frame = extract_frame(ffmpeg, Path(result.rendition_path), tmp_path / "frame.png")
    cue = parse_vtt(Path(result.storyboard_vtt_path))[0]
    with Image.open(frame) as rendition, Image.open(result.poster_path) as poster, \
            Image.open(result.storyboard_path) as sprite:
        tile = sprite.crop((cue["x"], cue["y"], cue["x"] + cue["w"], cue["y"] + cue["h"]))
        assert rendition.size == poster.size == size
        assert (tile.width > tile.height) == (size[0] > size[1])
        assert [bright_corner(i) for i in (rendition, poster, tile)] == [want] * 3
    mirrored = "-display_hflip:v:0" in turn
    assert (commands.plan(probe(source, ffprobe=ffprobe, limits=ProbeLimits())).upright is None) == mirrored

"""Poster choice and storyboard sprite with Pillow, on frames made in the test."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFilter

from workshop.media.images import build_storyboard, choose_poster, open_frame, score_frame, write_poster

from .inspect_media import parse_vtt


def frame(path, kind: str, size=(320, 180)):
    image = Image.new("RGB", size, (90, 110, 130))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 16):  # detail: a pattern of edges
        draw.rectangle([x, 20, x + 7, size[1] - 20], fill=(230, 220, 200))
    if kind == "black":
        image = Image.new("RGB", size, (4, 4, 4))
    elif kind == "blurred":
        image = image.filter(ImageFilter.GaussianBlur(8))
    elif kind == "washed_out":
        image = Image.new("RGB", size, (250, 250, 250))
    image.save(path, "JPEG", quality=90)
    return str(path)


def test_the_sharp_frame_wins(tmp_path):
    candidates = [frame(tmp_path / f"{k}.jpg", k) for k in ("black", "blurred", "sharp", "washed_out")]
    assert choose_poster(candidates).endswith("sharp.jpg")


def test_scores_explain_the_choice(tmp_path):
    black = score_frame(frame(tmp_path / "b.jpg", "black"))
    blurred = score_frame(frame(tmp_path / "u.jpg", "blurred"))
    sharp = score_frame(frame(tmp_path / "s.jpg", "sharp"))
    assert not black.usable and blurred.usable and sharp.usable
    assert sharp.sharpness > 5 * blurred.sharpness and sharp.score > blurred.score


def test_candidates_at_rendition_size_are_scored_from_a_small_grey_decode(tmp_path):
    sharp, blurred = (frame(tmp_path / f"{k}.jpg", k, (1280, 720)) for k in ("sharp", "blurred"))
    with open_frame(sharp, grey_box=320) as image:
        assert (image.mode, image.size) == ("L", (320, 180))  # scaled by the JPEG decoder, no colour
    with open_frame(sharp) as image:
        assert (image.mode, image.size) == ("RGB", (1280, 720))
    assert score_frame(sharp).sharpness > 5 * score_frame(blurred).sharpness
    assert choose_poster([blurred, sharp]) == sharp


def test_an_all_black_video_still_gets_a_poster(tmp_path):
    candidates = [frame(tmp_path / f"{i}.jpg", "black") for i in range(3)]
    assert choose_poster(candidates) in candidates
    with pytest.raises(ValueError):
        choose_poster([])


def test_the_poster_keeps_the_frame_size(tmp_path):
    size = write_poster(frame(tmp_path / "f.jpg", "sharp", (720, 1280)), tmp_path / "poster.jpg")
    with Image.open(tmp_path / "poster.jpg") as poster:
        assert size == poster.size == (720, 1280) and poster.format == "JPEG"


def test_only_jpeg_frames_of_sane_size_are_opened(tmp_path):
    Image.new("RGB", (10, 10)).save(tmp_path / "f.png")
    with pytest.raises(ValueError):
        open_frame(tmp_path / "f.png")
    Image.new("L", (2000, 2000)).save(tmp_path / "big.jpg")
    with pytest.raises(ValueError):
        open_frame(tmp_path / "big.jpg")


def test_storyboard_sprite_and_vtt(tmp_path):
    frames = [frame(tmp_path / f"storyboard-{i:05d}.jpg", "sharp", (160, 90)) for i in range(23)]
    tile = build_storyboard(frames, 2, tmp_path / "s.jpg", tmp_path / "s.vtt",
                            vtt_url="/media/v/7/storyboard.jpg", duration_s=45.5)
    cues = parse_vtt(tmp_path / "s.vtt")
    with Image.open(tmp_path / "s.jpg") as sprite:
        assert tile == (160, 90) and sprite.size == (1600, 270)  # 10 columns, 3 rows
    assert len(cues) == 23
    assert cues[0] == {"start": 0, "end": 2, "url": "/media/v/7/storyboard.jpg", "x": 0, "y": 0, "w": 160, "h": 90}
    assert (cues[11]["x"], cues[11]["y"]) == (160, 90)
    assert cues[-1]["start"] == 44 and cues[-1]["end"] == 45.5


def test_extra_frames_past_the_end_are_dropped(tmp_path):
    frames = [frame(tmp_path / f"{i}.jpg", "sharp", (90, 160)) for i in range(4)]
    build_storyboard(frames, 2, tmp_path / "s.jpg", tmp_path / "s.vtt", vtt_url="s.jpg", duration_s=5.0)
    cues = parse_vtt(tmp_path / "s.vtt")
    assert len(cues) == 3 and cues[-1]["end"] == 5.0 and (cues[0]["w"], cues[0]["h"]) == (90, 160)

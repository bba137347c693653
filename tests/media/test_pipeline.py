"""The whole job path on real clips: rendition, poster, storyboard and checks."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from workshop.media.pipeline import analyse, process
from workshop.media.probe import MediaRefused, ProbeLimits

from .inspect_media import assert_playable_rendition, extract_frame, gray_pixel, parse_vtt

OUTPUT_FILES = {"rendition.mp4", "poster.jpg", "storyboard.jpg", "storyboard.vtt"}


def run(clip, workdir, ffmpeg, ffprobe, **options):
    workdir.mkdir(exist_ok=True)
    settings = {"limits": ProbeLimits(), "max_duration_s": 60, "storyboard_vtt_url": "storyboard.jpg"}
    settings.update(options)
    return process(str(clip), str(workdir), ffmpeg=ffmpeg, ffprobe=ffprobe, **settings)


def checks_by_name(result) -> dict:
    return {check["name"]: check for check in result.checks}


def check(clip, workdir, ffmpeg, ffprobe, max_duration_s=60) -> dict:
    """The checks job's findings on ``clip`` (``pipeline.analyse``), by name."""
    found = analyse(str(clip), str(workdir), ffmpeg=ffmpeg, ffprobe=ffprobe, limits=ProbeLimits(),
                    max_duration_s=max_duration_s)
    return {c["name"]: c for c in found}


@pytest.mark.parametrize("name, size, audio, remuxed", [
    ("portrait.mp4", (720, 1280), True, False),
    ("rotated.mp4", (240, 320), True, False),
    ("hevc10.mov", (320, 240), True, False),
    ("vp9.webm", (320, 240), True, False),
    ("mjpeg.avi", (320, 240), True, False),
    ("odd.mkv", (320, 240), False, False),
    ("multi_audio.mp4", (320, 240), True, True),
    ("websafe.mp4", (1280, 720), True, True),
])
def test_sources_that_must_work(clips, ffmpeg, ffprobe, tmp_path, name, size, audio, remuxed):
    result = run(clips / name, tmp_path / "out", ffmpeg, ffprobe)

    assert set(os.listdir(tmp_path / "out")) == OUTPUT_FILES
    assert result.remuxed is remuxed
    assert (result.width, result.height) == size
    video = assert_playable_rendition(ffprobe, result.rendition_path, expect_audio=audio, transcoded=not remuxed)
    assert (video["width"], video["height"]) == size
    decoded = subprocess.run([ffmpeg, "-v", "error", "-i", result.rendition_path, "-f", "null", "-"],
                             capture_output=True, text=True, timeout=60)
    assert decoded.returncode == 0 and not decoded.stderr, decoded.stderr

    from PIL import Image

    with Image.open(result.poster_path) as poster:
        assert poster.format == "JPEG" and poster.size == size  # upright: the rendition's orientation
    cues = parse_vtt(result.storyboard_vtt_path)
    with Image.open(result.storyboard_path) as sprite:
        for cue in cues:
            assert cue["url"] == "storyboard.jpg"
            assert cue["x"] + cue["w"] <= sprite.width and cue["y"] + cue["h"] <= sprite.height
            assert (cue["w"] > cue["h"]) == (size[0] > size[1])  # tiles keep the orientation
    assert cues[0]["start"] == 0 and abs(cues[-1]["end"] - result.duration_s) < 0.01
    assert all(a["end"] == b["start"] for a, b in zip(cues, cues[1:]))
    assert result.checks is None  # checked afterwards by the checks job, every frame decoded
    assert set(check(clips / name, tmp_path / "checks", ffmpeg, ffprobe)) == {
        "loudness", "true_peak", "silence", "black", "frozen", "flashing", "duration"}


def test_rotation_is_applied_to_rendition_and_poster(clips, ffmpeg, ffprobe, tmp_path):
    """The source's frames have a white top half; displayed turned 90° counter-clockwise
    (what the display matrix asks), the white half is on the left."""
    result = run(clips / "rotated.mp4", tmp_path / "out", ffmpeg, ffprobe)
    frame = extract_frame(ffmpeg, result.rendition_path, tmp_path / "frame.png")
    for picture in (result.poster_path, frame):
        assert gray_pixel(picture, (0.2, 0.5)) > 200, picture  # left: white
        assert gray_pixel(picture, (0.8, 0.5)) < 50, picture  # right: black
        assert abs(gray_pixel(picture, (0.2, 0.1)) - gray_pixel(picture, (0.2, 0.9))) < 30  # not top/bottom


def test_stills_from_an_interlaced_source_show_no_combing(clips, ffmpeg, ffprobe, tmp_path):
    result = run(clips / "interlaced.mkv", tmp_path / "out", ffmpeg, ffprobe)
    assert result.probe.interlaced and not result.remuxed
    from PIL import Image

    with Image.open(result.poster_path) as poster:
        gray = poster.convert("L")
        column = [gray.getpixel((gray.width // 2, y)) for y in range(gray.height)]
    # Woven fields alternate 255 and 0 from one row to the next; one field is even.
    assert max(abs(a - b) for a, b in zip(column, column[1:])) < 40, column[:8]
    assert assert_playable_rendition(ffprobe, result.rendition_path, expect_audio=True, transcoded=True)


def test_the_default_audio_track_is_kept(clips, ffmpeg, ffprobe, tmp_path):
    # Track 1 is silent, track 2 (default) a tone: a loud-enough rendition means track 2.
    result = run(clips / "multi_audio.mp4", tmp_path / "out", ffmpeg, ffprobe, analyse_now=True)
    assert checks_by_name(result)["loudness"]["detail_code"] == "loudness_ok"
    assert check(clips / "multi_audio.mp4", tmp_path / "checks", ffmpeg, ffprobe)["loudness"]["detail_code"] \
        == "loudness_ok"


@pytest.mark.parametrize("name, name_of_check, status, detail", [
    ("silent.mkv", "loudness", "warn", "silent_track"),
    ("silent.mkv", "silence", "warn", "long_silence"),
    ("quiet.mkv", "loudness", "warn", "too_quiet"),
    ("clipping.mkv", "true_peak", "fail", "clipping"),
    ("black.mkv", "black", "warn", "black_segment"),
    ("frozen.mkv", "frozen", "warn", "frozen_segment"),
    ("flashing.mkv", "flashing", "fail", "flashing"),
    ("slow_swap.mkv", "flashing", "pass", "flashing_ok"),
    ("portrait.mp4", "loudness", "pass", "loudness_ok"),
    ("odd.mkv", "loudness", "warn", "no_audio"),
])
def test_automatic_checks_on_crafted_clips(clips, ffmpeg, ffprobe, tmp_path, name, name_of_check, status, detail):
    found = check(clips / name, tmp_path / "out", ffmpeg, ffprobe)[name_of_check]
    assert (found["status"], found["detail_code"]) == (status, detail), found


def test_checks_locate_what_they_found(clips, ffmpeg, ffprobe, tmp_path):
    black = check(clips / "black.mkv", tmp_path / "b", ffmpeg, ffprobe)["black"]["params"]
    assert abs(black["start_s"] - 1.0) < 0.1 and abs(black["seconds"] - 3.0) < 0.2
    frozen = check(clips / "frozen.mkv", tmp_path / "f", ffmpeg, ffprobe)["frozen"]["params"]
    assert abs(frozen["start_s"] - 1.0) < 0.2 and frozen["seconds"] >= 3.5
    flashing = check(clips / "flashing.mkv", tmp_path / "x", ffmpeg, ffprobe)["flashing"]["params"]
    assert flashing["flashes"] >= 9 and flashing["limit"] == 3


def test_duration_is_checked_against_the_brief(clips, ffmpeg, ffprobe, tmp_path):
    over = check(clips / "portrait.mp4", tmp_path / "a", ffmpeg, ffprobe, max_duration_s=1)
    within = check(clips / "portrait.mp4", tmp_path / "b", ffmpeg, ffprobe, max_duration_s=10)
    assert over["duration"]["status"] == "warn"  # 2 s for a 1 s brief: within the few seconds of grace
    assert within["duration"]["status"] == "pass"


@pytest.fixture
def websafe_flashing(clips, ffmpeg, tmp_path):
    """The flashing clip copied into MP4: web-safe, so it takes the remux path."""
    path = tmp_path / "flashing.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clips / "flashing.mkv"), "-c", "copy", str(path)],
                   check=True, timeout=30)
    return path


def test_the_remux_path_leaves_the_checks_to_a_full_analysis(websafe_flashing, ffmpeg, ffprobe, tmp_path):
    result = run(websafe_flashing, tmp_path / "out", ffmpeg, ffprobe)
    assert result.remuxed and result.checks is None  # nothing judged from key frames
    checks = {c["name"]: c for c in analyse(str(websafe_flashing), str(tmp_path / "checks"), ffmpeg=ffmpeg,
                                            ffprobe=ffprobe, limits=ProbeLimits(), max_duration_s=60)}
    assert (checks["flashing"]["status"], checks["flashing"]["detail_code"]) == ("fail", "flashing")
    assert checks["loudness"]["detail_code"] == "loudness_ok"
    assert os.listdir(tmp_path / "checks") == []  # scratch files only, and removed


@pytest.mark.parametrize("clip", ["flashing.mkv", "frozen.mkv", "quiet.mkv"])
def test_checks_in_the_same_run_find_what_the_checks_job_finds(clips, ffmpeg, ffprobe, tmp_path, clip):
    in_one_run = checks_by_name(run(clips / clip, tmp_path / "out", ffmpeg, ffprobe, analyse_now=True))
    assert in_one_run == check(clips / clip, tmp_path / "checks", ffmpeg, ffprobe)


def test_the_remux_path_can_analyse_every_frame(websafe_flashing, ffmpeg, ffprobe, tmp_path):
    result = run(websafe_flashing, tmp_path / "out", ffmpeg, ffprobe, analyse_now=True)
    assert result.remuxed and checks_by_name(result)["flashing"]["status"] == "fail"


def test_a_rerun_replaces_the_outputs_and_leaves_nothing_else(clips, ffmpeg, ffprobe, tmp_path):
    workdir = tmp_path / "out"
    first = run(clips / "hevc10.mov", workdir, ffmpeg, ffprobe)
    (workdir / "frames.tmp").mkdir()
    (workdir / "frames.tmp" / "storyboard-00099.jpg").write_bytes(b"left by a killed attempt")
    second = run(clips / "hevc10.mov", workdir, ffmpeg, ffprobe)
    assert set(os.listdir(workdir)) == OUTPUT_FILES
    assert first.rendition_path == second.rendition_path
    assert len(parse_vtt(second.storyboard_vtt_path)) == 1


def test_progress_rises_to_one(clips, ffmpeg, ffprobe, tmp_path):
    seen = []
    run(clips / "portrait.mp4", tmp_path / "out", ffmpeg, ffprobe, on_progress=lambda f, speed: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_awkward_work_folder_names_are_handled(clips, ffmpeg, ffprobe, tmp_path):
    """The work folder's path goes into the filter graph (the luma log): escaping must hold."""
    workdir = tmp_path / "it's a [test]: a,b;c=d"
    run(clips / "flashing.mkv", workdir, ffmpeg, ffprobe)
    assert check(clips / "flashing.mkv", workdir, ffmpeg, ffprobe)["flashing"]["status"] == "fail"


def test_refused_input_raises_before_anything_is_written(clips, ffmpeg, ffprobe, tmp_path):
    with pytest.raises(MediaRefused) as refused:
        run(clips / "notes.mp4", tmp_path / "out", ffmpeg, ffprobe)
    assert refused.value.code == "not_media"
    assert os.listdir(tmp_path / "out") == []


def test_the_source_is_left_untouched(clips, ffmpeg, ffprobe, tmp_path):
    source = tmp_path / "source.mp4"
    shutil.copy(clips / "websafe.mp4", source)
    before = source.read_bytes()
    run(source, tmp_path / "out", ffmpeg, ffprobe)
    assert source.read_bytes() == before


@pytest.mark.parametrize("name", ["websafe.mp4", "portrait.mp4"])  # remuxed, transcoded
def test_personal_metadata_does_not_reach_the_rendition(clips, ffmpeg, ffprobe, tmp_path, name):
    tagged = tmp_path / ("tagged-" + name)
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clips / name), "-c", "copy",
                    "-metadata", "location=+06.1754+106.8272/", "-metadata", "title=Budi, kelas 8B",
                    "-metadata:s:v", "handler_name=Budi's phone", str(tagged)], check=True, timeout=30)
    result = run(tagged, tmp_path / "out", ffmpeg, ffprobe)
    rendition = (tmp_path / "out" / "rendition.mp4").read_bytes()
    assert b"106.8272" not in rendition and b"Budi" not in rendition
    assert "Budi" not in str(result.probe.raw)

"""Probing real files: what is accepted, and each refusal with its own reason."""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction

import pytest

from workshop.media.probe import MediaRefused, ProbeLimits, probe
from workshop.media.safe_input import ffprobe_input_options, input_url


def refusal(path, ffprobe, limits=None, timeout=20) -> MediaRefused:
    with pytest.raises(MediaRefused) as caught:
        probe(path, ffprobe=ffprobe, limits=limits or ProbeLimits(), timeout=timeout)
    return caught.value


def test_a_portrait_phone_video(clips, ffprobe, limits):
    result = probe(clips / "portrait.mp4", ffprobe=ffprobe, limits=limits)
    assert (result.width, result.height, result.rotation) == (1080, 1920, 0)
    assert result.portrait and result.demuxer == "mov" and result.video_codec == "h264"
    assert result.frame_rate == Fraction(30) and isinstance(result.frame_rate, Fraction)
    assert result.has_audio and result.audio.codec == "aac"
    assert 1.9 < result.duration_s < 2.1 and result.size_bytes == (clips / "portrait.mp4").stat().st_size
    assert result.raw["format"]["format_name"].startswith("mov")


def test_metadata_tags_are_not_kept(clips, ffmpeg, ffprobe, limits, tmp_path):
    tagged = tmp_path / "tagged.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clips / "websafe.mp4"), "-c", "copy",
                    "-metadata", "location=+06.1754+106.8272/", "-metadata:s:v", "handler_name=Budi's phone",
                    str(tagged)], check=True, timeout=30)
    raw = probe(tagged, ffprobe=ffprobe, limits=limits).raw
    assert "tags" not in raw["format"] and "filename" not in raw["format"]
    assert all("tags" not in stream for stream in raw["streams"])
    assert "106.8272" not in str(raw) and "Budi" not in str(raw)


def test_rotation_metadata_swaps_the_displayed_size(clips, ffprobe, limits):
    result = probe(clips / "rotated.mp4", ffprobe=ffprobe, limits=limits)
    assert (result.coded_width, result.coded_height) == (320, 240)
    assert (result.width, result.height) == (240, 320)
    assert result.rotation == 90


@pytest.mark.parametrize("name, codec, demuxer, depth, audio", [
    ("hevc10.mov", "hevc", "mov", 10, "aac"),
    ("vp9.webm", "vp9", "matroska", 8, "opus"),
    ("mjpeg.avi", "mjpeg", "avi", 8, "pcm_s16le"),
    ("odd.mkv", "h264", "matroska", 8, None),
])
def test_other_sources_are_read(clips, ffprobe, limits, name, codec, demuxer, depth, audio):
    result = probe(clips / name, ffprobe=ffprobe, limits=limits)
    assert (result.video_codec, result.demuxer, result.bit_depth) == (codec, demuxer, depth)
    assert (result.audio.codec if result.audio else None) == audio


def test_odd_dimensions_are_reported_as_they_are(clips, ffprobe, limits):
    result = probe(clips / "odd.mkv", ffprobe=ffprobe, limits=limits)
    assert (result.width, result.height) == (321, 241) and not result.has_audio


def test_the_default_audio_track_is_the_one_kept(clips, ffprobe, limits):
    result = probe(clips / "multi_audio.mp4", ffprobe=ffprobe, limits=limits)
    assert [a.index for a in result.audio_streams] == [1, 2, 3]
    assert result.audio.index == 2


@pytest.mark.parametrize("name, code", [
    ("empty.mp4", "empty"),
    ("notes.mp4", "not_media"),
    ("random.mp4", "not_media"),
    ("truncated.mp4", "damaged"),
    ("truncated_faststart.mp4", "damaged"),
    ("picture_renamed.mp4", "still_image"),
    ("photo.jpg", "still_image"),
    ("still.mov", "still_image"),
    ("song.m4a", "no_video"),
    ("song.mp3", "no_video"),
    ("blink.mp4", "too_short"),
])
def test_refused_files_each_have_their_reason(clips, ffprobe, name, code):
    assert refusal(clips / name, ffprobe).code == code


@pytest.mark.parametrize("name, limits, code, params", [
    ("hevc10.mov", ProbeLimits(max_width=300), "dimensions", {"width": 320, "max_width": 300}),
    ("portrait.mp4", ProbeLimits(max_height=1280), "dimensions", {"height": 1920, "max_height": 1280}),
    ("hevc10.mov", ProbeLimits(max_duration_s=1), "too_long", {"max_s": 1, "max": "0:01"}),
    ("hevc10.mov", ProbeLimits(max_fps=Fraction(20)), "frame_rate", {"fps": "25", "max_fps": "20"}),
    ("multi_audio.mp4", ProbeLimits(max_streams=2), "too_many_streams", {"streams": 4, "max_streams": 2}),
])
def test_limits_are_enforced(clips, ffprobe, name, limits, code, params):
    refused = refusal(clips / name, ffprobe, limits)
    assert refused.code == code
    assert params.items() <= refused.params.items()


# --- files that point at other files ---------------------------------------------------


@pytest.fixture
def segment(clips, ffmpeg, tmp_path):
    """A real MPEG-TS segment next to the playlists, so a playlist would really play."""
    path = tmp_path / "segment.ts"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clips / "websafe.mp4"), "-c", "copy", str(path)],
                   check=True, timeout=30)
    return path


def _hls(target: str) -> str:
    return f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n"


def _ffconcat(target: str) -> str:
    return f"ffconcat version 1.0\nfile {target}\n"


def _opened(ffprobe: str, args: list[str], target) -> bool:
    """Whether ffprobe (at debug level) opened ``target`` while reading with ``args``."""
    done = subprocess.run([ffprobe, "-v", "debug", *args], capture_output=True, text=True, timeout=20)
    return re.search(rf"Opening '[^']*{re.escape(target)}' for reading", done.stderr) is not None


@pytest.mark.parametrize("make, name, followed_unguarded", [
    (_hls, "playlist.m3u8", True),
    (_hls, "playlist.mp4", False),  # ffmpeg 7's hls demuxer itself wants a playlist extension
    (_ffconcat, "list.ffconcat", True),
    (_ffconcat, "list.mp4", True),
])
def test_playlists_are_refused_without_opening_what_they_name(ffprobe, segment, tmp_path, make, name,
                                                              followed_unguarded):
    playlist = tmp_path / name
    playlist.write_text(make(segment.name))
    # The test file is a real threat: without the allow-lists ffprobe opens the segment.
    assert _opened(ffprobe, [str(playlist)], segment.name) is followed_unguarded
    assert refusal(playlist, ffprobe).code == "not_media"
    # The same options probe() uses, at debug level: the segment is never opened.
    assert not _opened(ffprobe, [*ffprobe_input_options(), input_url(playlist)], segment.name)


@pytest.mark.parametrize("make, name", [
    (_hls, "playlist.m3u8"), (_hls, "playlist.mp4"), (_ffconcat, "list.ffconcat"), (_ffconcat, "list.mp4"),
])
def test_a_playlist_reference_is_never_opened(ffprobe, tmp_path, make, name):
    """The referenced path is a FIFO with no writer: opening it to read would block, so a
    probe that followed the reference would hang into the timeout instead of refusing."""
    fifo = tmp_path / "trap.ts"
    os.mkfifo(fifo)
    playlist = tmp_path / name
    playlist.write_text(make(fifo.name))
    assert refusal(playlist, ffprobe, timeout=15).code == "not_media"
    # Nobody holds the FIFO open for reading now either (a writer could not attach).
    with pytest.raises(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def test_a_recording_without_a_duration_is_measured(ffmpeg, ffprobe, limits, tmp_path):
    """Browser recordings (MediaRecorder WebM) carry no duration in their header."""
    path = tmp_path / "recording.webm"
    with open(path, "wb") as f:  # written to a pipe, the muxer cannot go back to fill the duration in
        subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3",
                        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm", "pipe:1"],
                       stdout=f, check=True, timeout=60)
    header = subprocess.run([ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(path)], capture_output=True, text=True, timeout=20).stdout.strip()
    assert header in ("", "N/A")
    assert 2.9 <= probe(path, ffprobe=ffprobe, limits=limits).duration_s <= 3.1
    with pytest.raises(MediaRefused) as refused:
        probe(path, ffprobe=ffprobe, limits=ProbeLimits(max_duration_s=2))
    assert refused.value.code == "too_long"

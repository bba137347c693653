"""Known answers: the automatic checks on clips whose content is known, through the app's
real ffmpeg command and parser (``pipeline.analyse``, what the checks job runs).

Each expected value comes from the recipe in ``clips.py``, not from a previous run:
loudness from ITU-R BS.1770 / EBU R128 for a sine of known amplitude and frequency,
true peak from that amplitude, and the times of silence, black, frozen picture and
flashing from where the recipe puts them.

Every test runs with the ffmpeg the locator picks (``ffmpeg`` fixture). The loudness
and true-peak ones run again with a real ffmpeg older than the floor where one is
installed: Debian 12's 5.1 logged an empty loudness summary first, which once made
every sound track read as silent (-70 LUFS).
"""

from __future__ import annotations

import cmath
import math

import pytest

from workshop.media.pipeline import analyse
from workshop.media.probe import ProbeLimits, probe

from .clips import SINE_AMPLITUDE

# ITU-R BS.1770-4, K-weighting at 48 kHz: a high-shelf (head effects) then the RLB high-pass.
SHELF = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (1.0, -1.69065929318241, 0.73248077421585))
HIGH_PASS = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))
RATE = 48000
LOUDNESS_TOLERANCE_LU = 1.0
# Float PCM carries the samples exactly; the only error left is ebur128's 4× oversampling
# and the 0.1 dB the check rounds to.
PEAK_TOLERANCE_DB = 0.3
FRAME_S = 1 / 25  # the picture clips run at 25 fps: a time is known to within a frame


def k_weighting_gain(frequency: float) -> float:
    """|H(f)| of the two K-weighting biquads at 48 kHz."""
    z = cmath.exp(-2j * math.pi * frequency / RATE)
    gain = 1.0
    for b, a in (SHELF, HIGH_PASS):
        gain *= abs((b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z))
    return gain


def sine_loudness(frequency: float, gain_db: float, channels: int = 2) -> float:
    """Integrated loudness (LUFS) of a steady sine in ``channels`` front channels (weight 1.0).

    BS.1770: L = -0.691 + 10·log10(Σ mean square of the K-weighted channel); a sine of
    amplitude A has mean square A²/2, scaled by the K-weighting's |H(f)|². The gates do
    not apply: every 400 ms block of a steady tone has the same loudness.
    """
    amplitude = SINE_AMPLITUDE * 10 ** (gain_db / 20)
    mean_square = amplitude ** 2 / 2 * k_weighting_gain(frequency) ** 2
    return -0.691 + 10 * math.log10(channels * mean_square)


def sine_true_peak(gain_db: float) -> float:
    """dBTP of a sine: its amplitude (the oversampled waveform reaches every crest)."""
    return 20 * math.log10(SINE_AMPLITUDE * 10 ** (gain_db / 20))


def test_the_theory_matches_the_standards_reference_point():
    # BS.1770: a 0 dBFS 997 Hz sine in one front channel reads -3.01 LKFS.
    assert sine_loudness(997, -20 * math.log10(SINE_AMPLITUDE), channels=1) == pytest.approx(-3.01, abs=0.01)


def checks(clip, workdir, ffmpeg, ffprobe) -> tuple[dict, float]:
    """The checks job's findings on ``clip`` (by name), and the duration the probe found."""
    workdir.mkdir()
    found = analyse(str(clip), str(workdir), ffmpeg=ffmpeg, ffprobe=ffprobe, limits=ProbeLimits(),
                    max_duration_s=None)
    return {check["name"]: check for check in found}, probe(str(clip), ffprobe=ffprobe, limits=ProbeLimits()).duration_s


@pytest.fixture(params=["chosen", "older"])
def analysing_ffmpeg(request, ffmpeg):
    """The locator's ffmpeg; then, where one is installed, a real one older than the floor."""
    if request.param == "chosen":
        return ffmpeg
    return str(request.getfixturevalue("old_ffmpeg_dir") / "ffmpeg")


@pytest.mark.parametrize("name, frequency, gain_db, status, detail", [
    ("ka_997.mkv", 997, 0, "pass", "loudness_ok"),  # -18.1 LUFS
    ("ka_997_aac.mkv", 997, 0, "pass", "loudness_ok"),  # the same through AAC, as uploads come
    ("ka_440_quiet.mkv", 440, -12, "warn", "too_quiet"),  # -30.7 LUFS
    ("ka_near_clipping.mkv", 997, 17.5, "warn", "too_loud"),  # -0.6 LUFS
])
def test_loudness_of_a_sine_is_what_bs1770_says(clips, analysing_ffmpeg, ffprobe, tmp_path,
                                                 name, frequency, gain_db, status, detail):
    found, _ = checks(clips / name, tmp_path / "out", analysing_ffmpeg, ffprobe)
    loudness = found["loudness"]
    expected = sine_loudness(frequency, gain_db)
    assert abs(loudness["params"]["lufs"] - expected) <= LOUDNESS_TOLERANCE_LU, (expected, loudness)
    assert (loudness["status"], loudness["detail_code"]) == (status, detail)


@pytest.mark.parametrize("name, gain_db, status, detail", [
    ("ka_997.mkv", 0, "pass", "peak_ok"),  # -18.1 dBTP
    ("ka_near_clipping.mkv", 17.5, "warn", "near_clipping"),  # -0.6 dBTP
    ("ka_clipping.mkv", 24, "fail", "clipping"),  # +5.9 dBTP
])
def test_true_peak_of_a_sine_is_its_amplitude(clips, analysing_ffmpeg, ffprobe, tmp_path,
                                              name, gain_db, status, detail):
    found, _ = checks(clips / name, tmp_path / "out", analysing_ffmpeg, ffprobe)
    peak = found["true_peak"]
    expected = sine_true_peak(gain_db)
    assert abs(peak["params"]["dbtp"] - expected) <= PEAK_TOLERANCE_DB, (expected, peak)
    assert (peak["status"], peak["detail_code"]) == (status, detail)


def _span(check) -> tuple[float, float]:
    params = check["params"]
    return params["start_s"], params["start_s"] + params["seconds"]


def test_a_long_silence_is_found_from_its_start_to_its_end(clips, analysing_ffmpeg, ffprobe, tmp_path):
    found, _ = checks(clips / "ka_gap.mkv", tmp_path / "out", analysing_ffmpeg, ffprobe)
    silence = found["silence"]
    assert (silence["status"], silence["detail_code"]) == ("warn", "long_silence")
    start, end = _span(silence)
    # Sample-exact silence in float PCM: silencedetect places both ends to the sample.
    assert start == pytest.approx(2.0, abs=0.05) and end == pytest.approx(8.0, abs=0.05), silence
    assert silence["params"]["count"] == 1
    # The tone around it is 997 Hz at -18.06 LUFS; the gated loudness ignores the silence.
    assert found["loudness"]["params"]["lufs"] == pytest.approx(sine_loudness(997, 0), abs=LOUDNESS_TOLERANCE_LU)


def test_a_black_stretch_is_found_from_its_start_to_its_end(clips, ffmpeg, ffprobe, tmp_path):
    found, _ = checks(clips / "ka_black.mkv", tmp_path / "out", ffmpeg, ffprobe)
    black = found["black"]
    assert (black["status"], black["detail_code"]) == ("warn", "black_segment")
    start, end = _span(black)
    assert start == pytest.approx(1.0, abs=FRAME_S) and end == pytest.approx(4.0, abs=FRAME_S), black


def test_a_frozen_stretch_is_found_from_its_start_to_the_end(clips, ffmpeg, ffprobe, tmp_path):
    found, duration = checks(clips / "ka_frozen.mkv", tmp_path / "out", ffmpeg, ffprobe)
    frozen = found["frozen"]
    assert (frozen["status"], frozen["detail_code"]) == ("warn", "frozen_segment")
    start, end = _span(frozen)
    # Still until the last frame: the open freeze is closed at the clip's end.
    assert start == pytest.approx(1.0, abs=FRAME_S) and end == pytest.approx(duration, abs=FRAME_S), frozen
    assert duration == pytest.approx(5.0, abs=FRAME_S)
    assert found["black"]["status"] == "pass"  # colour bars are frozen, not black


def test_flashing_five_times_a_second_fails(clips, ffmpeg, ffprobe, tmp_path):
    found, _ = checks(clips / "flash_5hz.mkv", tmp_path / "out", ffmpeg, ffprobe)
    flashing = found["flashing"]
    # Black/white every 0.1 s: 10 opposing changes, so 5 general flashes, in any second.
    assert (flashing["status"], flashing["detail_code"]) == ("fail", "flashing")
    assert flashing["params"]["flashes"] == 5 and flashing["params"]["limit"] == 3
    assert flashing["params"]["start_s"] < 1.0


def test_a_calm_clip_passes_the_flashing_check(clips, ffmpeg, ffprobe, tmp_path):
    found, _ = checks(clips / "slow_swap.mkv", tmp_path / "out", ffmpeg, ffprobe)
    flashing = found["flashing"]
    # One swap a second: at most one flash in any one-second window.
    assert (flashing["status"], flashing["detail_code"]) == ("pass", "flashing_ok")
    assert flashing["params"]["flashes"] <= 1

"""Parsing ffmpeg's detection output and turning it into checks."""

from __future__ import annotations

import pytest

from workshop.media.analysis import CHECK_NAMES, Findings, build_checks, parse_luma_log, parse_stderr

STDERR = """\
[Parsed_blackdetect_12 @ 0x7f] black_start:1 black_end:4.04 black_duration:3.04
[freezedetect @ 0x7f] lavfi.freezedetect.freeze_start: 5.5
[freezedetect @ 0x7f] lavfi.freezedetect.freeze_duration: 3.5
[freezedetect @ 0x7f] lavfi.freezedetect.freeze_end: 9
[freezedetect @ 0x7f] lavfi.freezedetect.freeze_start: 20
[silencedetect @ 0x7f] silence_start: 2.5
[silencedetect @ 0x7f] silence_end: 8.75 | silence_duration: 6.25
[silencedetect @ 0x7f] silence_start: 28
[Parsed_ebur128_20 @ 0x7f] Summary:

  Integrated loudness:
    I:         -33.4 LUFS
    Threshold: -43.4 LUFS

  Loudness range:
    LRA:         2.1 LU

  True peak:
    Peak:       -0.4 dBFS
"""


def test_parse_stderr():
    found = parse_stderr(STDERR, duration_s=30.0)
    assert found.integrated_lufs == -33.4 and found.true_peak_dbtp == -0.4
    assert found.blacks == [(1.0, 4.04)]
    assert found.freezes == [(5.5, 9.0), (20.0, 30.0)]  # the open one runs to the end
    assert found.silences == [(2.5, 8.75), (28.0, 30.0)]


def test_parse_stderr_of_silence():
    log = "  Integrated loudness:\n    I:         -70.0 LUFS\n\n  True peak:\n    Peak:      -inf dBFS\n"
    found = parse_stderr(log, duration_s=5)
    assert found.integrated_lufs == -70.0 and found.true_peak_dbtp == float("-inf")


def test_the_last_loudness_summary_counts():
    """ffmpeg 5.1 logs an empty summary (from the throw-away graph it builds to learn each
    graph's inputs and outputs) before the real one, as this trimmed 5.1.9 log shows."""
    log = """\
[Parsed_ebur128_1 @ 0x55db423f1440] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  True peak:
    Peak:       -inf dBFS
Input #0, matroska,webm, from 'file:tone.mkv':
[silencedetect @ 0x55db42397000] silence_start: 2
[silencedetect @ 0x55db42397000] silence_end: 8 | silence_duration: 6
[Parsed_ebur128_1 @ 0x55db42397680] Summary:

  Integrated loudness:
    I:         -21.8 LUFS
    Threshold: -31.8 LUFS

  True peak:
    Peak:      -20.8 dBFS
"""
    found = parse_stderr(log, duration_s=10)
    assert found.integrated_lufs == -21.8 and found.true_peak_dbtp == -20.8
    assert found.silences == [(2.0, 8.0)]


def test_parse_luma_log():
    log = ("frame:0    pts:0       pts_time:0\nlavfi.signalstats.YAVG=255\n"
           "frame:1    pts:512     pts_time:0.04\nlavfi.signalstats.YAVG=0\n"
           "frame:2    pts:1024    pts_time:N/A\nlavfi.signalstats.YAVG=12\n")
    assert parse_luma_log(log) == [(0.0, 1.0), (0.04, 0.0)]


def checks(findings=None, **options) -> dict:
    settings = {"has_audio": True, "duration_s": 60.0, "max_duration_s": 120, "luma": []}
    settings.update(options)
    result = build_checks(findings or Findings(integrated_lufs=-18, true_peak_dbtp=-3), **settings)
    assert [c["name"] for c in result] == list(CHECK_NAMES)
    return {c["name"]: (c["status"], c["detail_code"]) for c in result}


def test_a_clean_video_passes_everything():
    assert all(status == "pass" for status, _ in checks().values())


@pytest.mark.parametrize("findings, name, expected", [
    (Findings(integrated_lufs=-34, true_peak_dbtp=-10), "loudness", ("warn", "too_quiet")),
    (Findings(integrated_lufs=-70, true_peak_dbtp=float("-inf")), "loudness", ("warn", "silent_track")),
    (Findings(integrated_lufs=-70, true_peak_dbtp=float("-inf")), "true_peak", ("pass", "silent_peak")),
    (Findings(integrated_lufs=-6, true_peak_dbtp=-0.1), "loudness", ("warn", "too_loud")),
    (Findings(integrated_lufs=-14, true_peak_dbtp=-0.5), "true_peak", ("warn", "near_clipping")),
    (Findings(integrated_lufs=-14, true_peak_dbtp=1.2), "true_peak", ("fail", "clipping")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, silences=[(1, 7)]), "silence", ("warn", "long_silence")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, silences=[(1, 4)]), "silence", ("pass", "silence_ok")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, blacks=[(0, 1.5)]), "black", ("pass", "black_ok")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, blacks=[(10, 12.5)]), "black", ("warn", "black_segment")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, blacks=[(0, 59)]), "black", ("fail", "mostly_black")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, freezes=[(3, 5)]), "frozen", ("pass", "frozen_ok")),
    (Findings(integrated_lufs=-18, true_peak_dbtp=-3, freezes=[(3, 7)]), "frozen", ("warn", "frozen_segment")),
])
def test_thresholds(findings, name, expected):
    assert checks(findings)[name] == expected


def test_no_sound_track():
    result = checks(Findings(), has_audio=False)
    assert result["loudness"] == ("warn", "no_audio")
    assert result["true_peak"] == ("pass", "no_audio") and result["silence"] == ("pass", "no_audio")


def test_flashing_from_the_luma_series():
    strobe = [(i / 20, float(i % 2)) for i in range(60)]
    assert checks(luma=strobe)["flashing"] == ("fail", "flashing")


@pytest.mark.parametrize("duration, maximum, expected", [
    (170, 180, ("pass", "duration_within")),
    (180.4, 180, ("pass", "duration_within")),
    (188, 180, ("warn", "slightly_over")),
    (190, 180, ("fail", "over_limit")),
    (40, 30, ("fail", "over_limit")),
    (34, 30, ("warn", "slightly_over")),
    (500, None, ("pass", "duration_ok")),
])
def test_duration_against_the_brief(duration, maximum, expected):
    assert checks(duration_s=duration, max_duration_s=maximum)["duration"] == expected

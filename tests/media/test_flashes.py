"""General-flash counting (WCAG 2.3.1) on synthetic luminance series."""

from __future__ import annotations

import pytest

from workshop.media.flashes import flash_report, transitions


def square_wave(hz: float, seconds: float = 3.0, fps: int = 60, low: float = 0.0, high: float = 1.0):
    """Luminance switching between low and high ``hz`` full cycles a second."""
    return [(i / fps, high if int(i / fps * hz * 2) % 2 else low) for i in range(int(seconds * fps))]


@pytest.mark.parametrize("hz, flashes, fails", [
    (1, 1, False),
    (3, 3, False),  # three flashes a second is allowed ("more than three" fails)
    (4, 4, True),
    (10, 10, True),
])
def test_flashes_per_second(hz, flashes, fails):
    report = flash_report(square_wave(hz))
    assert report.max_flashes == flashes and report.fails is fails


def test_small_changes_are_not_flashes():
    assert flash_report(square_wave(10, low=0.5, high=0.58)).max_flashes == 0


def test_changes_between_bright_states_are_not_flashes():
    # Darker state at 0.85: above 0.80, so not a general flash however fast.
    assert flash_report(square_wave(10, low=0.85, high=1.0)).max_flashes == 0


def test_noise_on_top_of_a_flash_does_not_add_flashes():
    series = [(t, v + (0.03 if i % 2 else -0.03)) for i, (t, v) in enumerate(square_wave(2))]
    assert flash_report(series).max_flashes == 2


def test_a_slow_fade_is_one_transition():
    fade = [(i / 30, i / 90) for i in range(91)]  # black to white over three seconds
    found = transitions(fade)
    assert len(found) == 1 and found[0].rising and found[0].time == pytest.approx(3.0)


def test_a_single_cut_is_not_a_flash():
    cut = [(i / 30, 0.0 if i < 45 else 1.0) for i in range(90)]
    assert flash_report(cut).max_flashes == 0


def test_where_the_flashing_starts_is_reported():
    series = [(t, 0.2) for t in (i / 60 for i in range(120))] + [(2 + t, v) for t, v in square_wave(8, 1)]
    report = flash_report(series)
    assert report.fails and 1.9 <= report.at_s <= 2.2


def test_empty_and_constant_series():
    assert flash_report([]).max_flashes == 0
    assert flash_report([(i / 30, 0.4) for i in range(90)]).max_flashes == 0

"""Photosensitive flashing: counting general flashes in a luminance series (WCAG 2.3.1).

WCAG 2.3.1 fails content with "more than three general flashes in any one-second
period". A *general flash* is "a pair of opposing changes in relative luminance of
10% or more of the maximum relative luminance where the relative luminance of the
darker image is below 0.80".

Approximation, stated plainly: WCAG measures a flash over any area of about a
quarter of the central visual field (341×256 px at typical viewing distance); we
use the *whole-frame* mean relative luminance per frame. A full-screen strobe or
a cut between bright and dark scenes is caught; a flashing object that fills only
part of the frame changes the frame mean less and can be missed. Red flashes
(the other half of 2.3.1) are not assessed. The check supports a mentor's
judgement; it does not replace a specialist tool such as PEAT.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHANGE = 0.10  # of the maximum relative luminance (1.0)
DARKER_BELOW = 0.80
WINDOW_S = 1.0
MAX_FLASHES_PER_WINDOW = 3


@dataclass(frozen=True)
class Transition:
    """One qualifying change in luminance, ending at ``time`` (seconds)."""

    time: float
    rising: bool


@dataclass(frozen=True)
class FlashReport:
    max_flashes: int  # the most general flashes found in any one-second window
    at_s: float | None  # where that window starts
    transitions: int

    @property
    def fails(self) -> bool:
        return self.max_flashes > MAX_FLASHES_PER_WINDOW


def transitions(samples: list[tuple[float, float]]) -> list[Transition]:
    """Qualifying luminance changes in ``(time_s, relative_luminance)`` samples.

    The series is reduced to its turning points, ignoring wiggles smaller than 10 %
    (a "zigzag" with that threshold): each swing between two turning points that is
    at least 10 % and whose darker end is below 0.80 is one transition.
    """
    if len(samples) < 2:
        return []
    found: list[Transition] = []
    t0, v0 = samples[0]
    low, high = (t0, v0), (t0, v0)  # extremes seen before the first swing
    pivot = None  # the last turning point's value
    extreme = None  # (time, value) of the running extreme of the current swing
    rising = False
    for time, value in samples[1:]:
        if pivot is None:
            if value < low[1]:
                low = (time, value)
            if value > high[1]:
                high = (time, value)
            if high[1] - low[1] >= MIN_CHANGE:
                rising = high[0] > low[0]
                pivot = low[1] if rising else high[1]
                extreme = high if rising else low
            continue
        if (value > extreme[1]) if rising else (value < extreme[1]):
            extreme = (time, value)
        elif abs(extreme[1] - value) >= MIN_CHANGE:  # the swing turned
            _record(found, pivot, extreme, rising)
            pivot, extreme, rising = extreme[1], (time, value), not rising
    if pivot is not None:
        _record(found, pivot, extreme, rising)
    return found


def _record(found: list[Transition], pivot: float, extreme: tuple[float, float], rising: bool) -> None:
    if abs(extreme[1] - pivot) >= MIN_CHANGE and min(pivot, extreme[1]) < DARKER_BELOW:
        found.append(Transition(extreme[0], rising))


def flash_report(samples: list[tuple[float, float]]) -> FlashReport:
    """The most general flashes in any one-second window of the series.

    A flash is a pair of opposing transitions, so a window with n consecutive
    qualifying transitions holds n // 2 flashes.
    """
    found = transitions(samples)
    best, best_at = 0, None
    start = 0
    for end in range(len(found)):
        while found[end].time - found[start].time > WINDOW_S:
            start += 1
        flashes = _pairs(found[start:end + 1])
        if flashes > best:
            best, best_at = flashes, found[start].time
    return FlashReport(max_flashes=best, at_s=best_at, transitions=len(found))


def _pairs(window: list[Transition]) -> int:
    """Flashes among consecutive transitions: opposing pairs, not counting one transition twice."""
    flashes, previous = 0, None
    for transition in window:
        if previous is not None and previous.rising != transition.rising:
            flashes += 1
            previous = None
        else:
            previous = transition
    return flashes

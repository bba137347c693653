"""Where one media job's time goes: one log line per job, always on.

The job and the pipeline call :meth:`Timeline.mark` after each phase; each mark
charges the time since the previous one to that phase (a phase marked twice adds
up). It costs a clock read and a dict update per phase, so it is never switched
off. The worker logs the result at INFO, e.g.::

    version 12 timeline (transcode): queued 35 ms, claim 4 ms, load 3 ms, fetch 0 ms,
    probe 41 ms, ffmpeg 4512 ms, checks 2 ms, poster 14 ms, storyboard 9 ms, finish 1 ms,
    store 1 ms, database 3 ms, notify 6 ms, commit 5 ms, total 4636 ms

``bench/latency.py`` reads these lines back to show where a fixed cost sits.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


class Timeline:
    """Durations of a job's phases, in the order they first ran."""

    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def mark(self, phase: str) -> None:
        """Charge the time since the previous mark (or the start) to ``phase``."""
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + (now - self._last)
        self._last = now

    def add(self, phase: str, seconds: float) -> None:
        """Record a phase measured elsewhere (e.g. before this timeline started)."""
        self.phases[phase] = self.phases.get(phase, 0.0) + max(0.0, seconds)

    def text(self) -> str:
        """``name N ms, ...``, ending with the total since the timeline started."""
        parts = [f"{name} {seconds * 1000:.0f} ms" for name, seconds in self.phases.items()]
        parts.append(f"total {(time.perf_counter() - self.started) * 1000:.0f} ms")
        return ", ".join(parts)


def seconds_since(moment: datetime | None) -> float:
    """Seconds from ``moment`` (aware, or naive UTC as older RQ wrote it) until now; 0 if unknown."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - moment).total_seconds()

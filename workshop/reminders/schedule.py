"""When each reminder and digest may go: functions of the clock alone, tested without a database.

Each reminder has a *window*: it is sent by the first run of the chore inside it, and never
outside it. A window closes when the reminder would no longer help, so a worker that was
down sends nothing late about what has already happened:

* before an assignment is due: ``48h`` from 48 to 6 hours before the due time, ``6h`` from
  6 hours before until the due time (a worker back 5 hours before sends the 6-hour one only);
* a review about to pass the cohort's target: in the last fifth of the target (from 38.4 hours
  after the version was ready, for the default 48), until the target is reached;
* a session: from 18:00 the evening before, in the cohort's time zone, until it starts;
* the mentors' daily digest: from 07:00 in the cohort's time zone, for 12 hours;
* the leads' weekly digest: the same, on Mondays.

A window's *occasion* names it among the reminders about one thing; it holds the time it is
counted from, so a due date or a session moved to another time gets reminders of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ..localtime import local_date

# Reminders before a due time, latest last: each runs until the next one opens.
DUE_SOON = (("48h", timedelta(hours=48)), ("6h", timedelta(hours=6)))
REVIEW_WARNING_SHARE = 0.2  # the last fifth of the cohort's review target
SESSION_EVENING = time(18, 0)
DIGEST_AT = time(7, 0)
DIGEST_WINDOW = timedelta(hours=12)
WEEKLY_DIGEST_DAY = 0  # Monday


@dataclass(frozen=True)
class Window:
    occasion: str
    opens: datetime
    closes: datetime


def stamp(moment: datetime) -> str:
    """A moment as an occasion names it: ``20261204T1100Z`` (UTC, to the minute)."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%MZ")


def _if_open(window: Window, now: datetime) -> Window | None:
    return window if window.opens <= now < window.closes else None


def due_soon(due_at: datetime, now: datetime) -> Window | None:
    """The reminder before ``due_at`` whose window holds ``now``, if any."""
    for position, (name, ahead) in enumerate(DUE_SOON):
        closes = due_at - DUE_SOON[position + 1][1] if position + 1 < len(DUE_SOON) else due_at
        window = _if_open(Window(f"{name}@{stamp(due_at)}", due_at - ahead, closes), now)
        if window is not None:
            return window
    return None


def review_deadline(ready_at: datetime, target_hours: int) -> datetime:
    """When a version ready at ``ready_at`` passes the cohort's review target."""
    return ready_at + timedelta(hours=target_hours)


def review_warning(ready_at: datetime, target_hours: int, now: datetime) -> Window | None:
    """The warning that a review is about to pass its target, if ``now`` is in its window."""
    deadline = review_deadline(ready_at, target_hours)
    opens = deadline - timedelta(hours=target_hours) * REVIEW_WARNING_SHARE
    return _if_open(Window(f"target@{stamp(deadline)}", opens, deadline), now)


def session_eve(starts_at: datetime, zone: ZoneInfo, now: datetime) -> Window | None:
    """The reminder the evening before a session, if ``now`` is in its window."""
    eve = local_date(starts_at, zone) - timedelta(days=1)
    opens = datetime.combine(eve, SESSION_EVENING, tzinfo=zone)
    return _if_open(Window(f"eve@{stamp(starts_at)}", opens, starts_at), now)


def daily_digest(zone: ZoneInfo, now: datetime) -> Window | None:
    """Today's digest in ``zone``, if ``now`` is in its window; its occasion is the local date."""
    today = local_date(now, zone)
    opens = datetime.combine(today, DIGEST_AT, tzinfo=zone)
    return _if_open(Window(today.isoformat(), opens, opens + DIGEST_WINDOW), now)


def weekly_digest(zone: ZoneInfo, now: datetime) -> Window | None:
    """This Monday's digest in ``zone``, if ``now`` is in its window."""
    today: date = local_date(now, zone)
    return daily_digest(zone, now) if today.weekday() == WEEKLY_DIGEST_DAY else None

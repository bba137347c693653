"""A cohort's local time: its zone, and the dates and times people type in it.

Times are typed in the cohort's time zone and stored as UTC; :func:`cohort_zone` is the one
place that turns a cohort into its zone, and :func:`parse_local` the one reading of a typed
date and time.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l

DEFAULT_TIMEZONE = "Asia/Jakarta"


def zone_named(name: str | None) -> ZoneInfo:
    """The zone called ``name``; a missing or unknown name falls back to Asia/Jakarta."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def cohort_zone(cohort) -> ZoneInfo:
    """The cohort's time zone (see :func:`zone_named`)."""
    return zone_named(cohort.timezone if cohort is not None else None)


def parse_time(text: str) -> time:
    """HH:MM, or 09.00 as Indonesians write it; seconds, which browsers send when a step is
    set, are accepted. Raises ValueError with a translated message."""
    cleaned = (text or "").strip().replace(".", ":")
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(cleaned, pattern).time()
        except ValueError:
            pass
    raise ValueError(_l("Enter the time as HH:MM, e.g. 09:30."))


def parse_local(day_text: str, time_text: str, zone: ZoneInfo) -> datetime:
    """A date (YYYY-MM-DD) and a time (see :func:`parse_time`) in ``zone``, as an aware datetime.

    Raises ValueError with a translated message naming what to fix.
    """
    try:
        day = date.fromisoformat((day_text or "").strip())
    except ValueError:
        raise ValueError(_l("Enter the date as YYYY-MM-DD.")) from None
    return datetime.combine(day, parse_time(time_text), tzinfo=zone)

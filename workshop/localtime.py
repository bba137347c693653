"""A cohort's local time: its zone, and the dates and times people type in it.

Times are typed in the cohort's time zone and stored as UTC; :func:`cohort_zone` is the one
place that turns a cohort into its zone, and the ``parse_*`` functions the one reading of a
typed date, time or zone name. They raise ValueError with a translated message naming what
to fix; the caller says which field it was (an ``Invalid(message, field=...)``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l

DEFAULT_TIMEZONE = "Asia/Jakarta"
END_OF_DAY = "23:59"  # the time of a deadline given as a date alone

DATE_FORMAT = _l("Enter the date as YYYY-MM-DD, e.g. 2025-07-14.")
TIME_FORMAT = _l("Enter the time as HH:MM, e.g. 09:30.")
DATE_TIME_FORMAT = _l("Enter the date and time as YYYY-MM-DD HH:MM, e.g. 2025-07-14 18:00.")

# A region's folder ("Asia") is no zone either: ZoneInfo meets a directory and says so.
_NOT_A_ZONE = (ZoneInfoNotFoundError, ValueError, IsADirectoryError)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone called ``name``; a missing or unknown name falls back to Asia/Jakarta."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except _NOT_A_ZONE:
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
    raise ValueError(TIME_FORMAT)


def parse_date(text: str) -> date:
    """A date typed as YYYY-MM-DD (what ``<input type=date>`` sends)."""
    try:
        return datetime.strptime((text or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(DATE_FORMAT) from None


def parse_local(day_text: str, time_text: str, zone: ZoneInfo) -> datetime:
    """A date (YYYY-MM-DD) and a time (see :func:`parse_time`) in ``zone``, as an aware datetime."""
    return datetime.combine(parse_date(day_text), parse_time(time_text), tzinfo=zone)


def parse_local_datetime(text: str, zone: ZoneInfo) -> datetime:
    """A date and time in one (``2025-07-14T18:00`` as a datetime-local input sends it, or with a
    space), in ``zone`` unless it carries an offset of its own; an aware datetime."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise ValueError(DATE_TIME_FORMAT) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_zone_name(text: str) -> str:
    """A time-zone name the tz database knows, e.g. ``Asia/Jakarta``, as typed (trimmed)."""
    name = text.strip() if isinstance(text, str) else ""
    if not name:
        raise ValueError(_l("Choose a time zone."))
    try:
        ZoneInfo(name)
    except _NOT_A_ZONE:
        raise ValueError(_l("“%(zone)s” is not a time zone we know. Use a name such as "
                            "Asia/Jakarta, Asia/Makassar or Asia/Jayapura.", zone=name[:64])) from None
    return name


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The date it is in ``zone`` at ``moment`` (an aware datetime)."""
    return moment.astimezone(zone).date()

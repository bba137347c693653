"""Sessions as iCalendar (RFC 5545), for calendar apps.

Times are written in UTC (``...Z``), so no VTIMEZONE is needed and every app shows them
in its own zone. A session's UID never changes, so an edited session replaces itself
in the calendar instead of appearing twice.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import icalendar
from flask import current_app

from ..db_types import utcnow
from .models import WorkshopSession

PRODID = "-//Karya//Workshop sessions//EN"


def session_uid(session: WorkshopSession) -> str:
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname or "karya"
    return f"karya-session-{session.id}@{host}"


def session_event(session: WorkshopSession, summary: str | None = None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", utcnow())
    event.add("created", session.created_at)
    event.add("dtstart", session.starts_at)
    if session.ends_at:
        event.add("dtend", session.ends_at)
    event.add("summary", summary or session.title)
    if session.location:
        event.add("location", session.location)
    if session.link:
        event.add("url", session.link)
    if session.agenda:
        event.add("description", session.agenda)
    return event


def calendar(name: str, sessions, summary=None) -> bytes:
    """A VCALENDAR named ``name`` with one VEVENT per session.

    ``summary(session)``, when given, makes each event's title (the personal feed adds
    the cohort's name).
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for session in sessions:
        cal.add_component(session_event(session, summary(session) if summary else None))
    return cal.to_ical()

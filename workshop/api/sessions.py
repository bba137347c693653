"""Workshop sessions over the API."""

from __future__ import annotations

from datetime import timezone

from flask import jsonify
from flask_babel import lazy_gettext as _l

from ..access import requires
from ..cohorts.models import Cohort
from ..db_types import iso
from ..errors import Invalid
from ..extensions import db
from ..localtime import cohort_zone
from ..roles import Role
from ..sessions import service
from ..sessions.models import WorkshopSession
from . import bp
from .util import json_body, string_field


def session_json(session: WorkshopSession, cohort: Cohort) -> dict:
    return {
        "id": session.id,
        "cohort_id": session.cohort_id,
        "title": session.title,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "timezone": cohort_zone(cohort).key,
        "location": session.location,
        "link": session.link,
        "agenda": session.agenda,
    }


def _datetime_field(data: dict, name: str, zone, *, required: bool):
    text = string_field(data, name, required=required, max_length=64)
    if text is None:
        return None
    try:
        value = service.parse_iso(text, zone)
        value.astimezone(timezone.utc)  # stored in UTC: early in year 1 east of UTC would be year 0
        return value
    except (ValueError, OverflowError):
        raise Invalid(_l("'%(field)s' must be a date and time in ISO 8601, e.g. 2025-06-03T09:00.",
                         field=name), field=name) from None


@bp.post("/cohorts/<int:cohort_id>/sessions")
@requires(Role.LEAD, Cohort)
def create_session(cohort: Cohort):
    """Schedule a session. A time without an offset is in the cohort's time zone."""
    data = json_body()
    zone = cohort_zone(cohort)
    session = service.save_session(cohort, service.SessionInput(
        title=string_field(data, "title", max_length=service.MAX_TITLE),
        starts_at=_datetime_field(data, "starts_at", zone, required=True),
        ends_at=_datetime_field(data, "ends_at", zone, required=False),
        location=string_field(data, "location", required=False, max_length=service.MAX_LOCATION) or "",
        link=string_field(data, "link", required=False, max_length=service.MAX_LINK) or "",
        agenda=string_field(data, "agenda", required=False, max_length=service.MAX_AGENDA) or "",
    ))
    db.session.commit()
    return jsonify(session_json(session, cohort)), 201


@bp.get("/cohorts/<int:cohort_id>/sessions")
@requires(Role.STUDENT, Cohort)
def list_sessions(cohort: Cohort):
    """The cohort's sessions, earliest first."""
    return jsonify({"sessions": [session_json(s, cohort) for s in service.sessions_of(cohort.id)]})

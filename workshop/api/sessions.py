"""Workshop sessions over the API."""

from __future__ import annotations

from pydantic import Field

from ..access import requires
from ..cohorts.models import Cohort
from ..extensions import db
from ..localtime import cohort_zone
from ..roles import Role
from ..sessions import service
from ..sessions.models import WorkshopSession
from . import bp
from .contract import Answer, Body, DateAndTimeText, Reply, Timestamp, in_zone, operation

IN_COHORT_ZONE = "ISO 8601; without an offset, in the cohort's time zone"


class NewSession(Body):
    title: str = Field(max_length=service.MAX_TITLE)
    starts_at: DateAndTimeText = Field(description=IN_COHORT_ZONE)
    ends_at: DateAndTimeText | None = Field(None, description=IN_COHORT_ZONE + "; after `starts_at`")
    location: str | None = Field(None, max_length=service.MAX_LOCATION)
    link: str | None = Field(None, max_length=service.MAX_LINK, description="An http(s) address")
    agenda: str | None = Field(None, max_length=service.MAX_AGENDA)


class Session(Reply):
    id: int
    cohort_id: int
    title: str
    starts_at: Timestamp = Field(description="In UTC")
    ends_at: Timestamp | None
    timezone: str = Field(description="The cohort's time zone")
    location: str
    link: str
    agenda: str

    @classmethod
    def of(cls, session: WorkshopSession, cohort: Cohort) -> Session:
        return cls(id=session.id, cohort_id=session.cohort_id, title=session.title, starts_at=session.starts_at,
                   ends_at=session.ends_at, timezone=cohort_zone(cohort).key, location=session.location,
                   link=session.link, agenda=session.agenda)


class Sessions(Reply):
    sessions: list[Session]


@bp.post("/cohorts/<int:cohort_id>/sessions")
@requires(Role.LEAD, Cohort)
@operation("Schedule a session (leads)", tag="sessions", body=NewSession,
           answers={201: Answer("The session", Session)}, errors=(403, 409))
def create_session(cohort: Cohort, body: NewSession):
    zone = cohort_zone(cohort)
    session = service.save_session(cohort, service.SessionInput(
        title=body.title, starts_at=in_zone(body.starts_at, zone, "starts_at"),
        ends_at=in_zone(body.ends_at, zone, "ends_at"),
        location=body.location or "", link=body.link or "", agenda=body.agenda or "",
    ))
    db.session.commit()
    return Session.of(session, cohort), 201


@bp.get("/cohorts/<int:cohort_id>/sessions")
@requires(Role.STUDENT, Cohort)
@operation("The cohort's sessions, earliest first (members)", tag="sessions",
           answers={200: Answer("The sessions", Sessions)})
def list_sessions(cohort: Cohort):
    return Sessions(sessions=[Session.of(s, cohort) for s in service.sessions_of(cohort.id)])

"""Scheduling sessions and taking attendance.

One validation (:func:`validate`) serves the page and the API, so both refuse the same
things with the same messages. Times are typed in the cohort's time zone and stored as
UTC (``workshop/localtime.py`` turns a cohort into its zone and reads typed times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..errors import Invalid
from ..extensions import db
from ..roles import Role
from .models import Attendance, AttendanceStatus, WorkshopSession

MAX_TITLE, MAX_LOCATION, MAX_LINK, MAX_AGENDA = 160, 255, 500, 20_000
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


# --- scheduling ------------------------------------------------------------------------

@dataclass
class SessionInput:
    title: str = ""
    starts_at: datetime | None = None  # aware
    ends_at: datetime | None = None
    location: str = ""
    link: str = ""
    agenda: str = ""


class SessionInvalid(Invalid):
    """Everything wrong with a session at once (``errors``: field -> message).

    The API answers the first one (422 with ``field``); the page shows each by its field.
    """

    def __init__(self, errors: dict):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


def validate(data: SessionInput) -> dict:
    """Field -> translated message for each thing that must be fixed (empty when all is well)."""
    errors = {}
    if not data.title.strip():
        errors["title"] = _l("Give the session a title.")
    elif len(data.title.strip()) > MAX_TITLE:
        errors["title"] = _l("The title is too long (at most %(max)d characters).", max=MAX_TITLE)
    if data.starts_at is None:
        errors["starts_at"] = _l("Enter when the session starts.")
    elif data.ends_at is not None and data.ends_at <= data.starts_at:
        errors["ends_at"] = _l("The end must be after the start.")
    if len(data.location.strip()) > MAX_LOCATION:
        errors["location"] = _l("The place is too long (at most %(max)d characters).", max=MAX_LOCATION)
    link = data.link.strip()
    if link:
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in link):
            errors["link"] = _l("The online link must be a web address starting with http:// or https://.")
        elif len(link) > MAX_LINK:
            errors["link"] = _l("The online link is too long (at most %(max)d characters).", max=MAX_LINK)
    if len(data.agenda) > MAX_AGENDA:
        errors["agenda"] = _l("The agenda is too long.")
    return errors


def save_session(cohort: Cohort, data: SessionInput, session: WorkshopSession | None = None,
                 prior_errors: dict | None = None) -> WorkshopSession:
    """Create (or update) a session of ``cohort``; raise :class:`SessionInvalid` if anything is wrong.

    ``prior_errors`` are problems the caller met while reading the input (a date it could
    not parse); they are reported together with the rest. The caller commits.
    """
    errors = {**validate(data), **(prior_errors or {})}
    if errors:
        order = ["title", "starts_at", "ends_at", "location", "link", "agenda"]
        raise SessionInvalid(dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)))
    if session is None:
        session = WorkshopSession(cohort_id=cohort.id)
        db.session.add(session)
    session.title = data.title.strip()
    session.starts_at = data.starts_at.astimezone(timezone.utc)
    session.ends_at = data.ends_at.astimezone(timezone.utc) if data.ends_at else None
    session.location, session.link = data.location.strip(), data.link.strip()
    session.agenda = data.agenda.strip()
    db.session.flush()
    record("session.saved", target=session, title=session.title)
    return session


def delete_session(session: WorkshopSession) -> None:
    """Remove a session and its attendance (SQLite does not enforce the cascade by itself)."""
    record("session.deleted", target=session, title=session.title)
    db.session.execute(sa.delete(Attendance).where(Attendance.session_id == session.id))
    db.session.delete(session)


def sessions_of(cohort_id: int) -> list[WorkshopSession]:
    """All sessions of a cohort, earliest first."""
    return list(db.session.scalars(
        db.select(WorkshopSession).where(WorkshopSession.cohort_id == cohort_id)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)))


def split_upcoming(sessions: list[WorkshopSession], now: datetime | None = None):
    """(upcoming soonest first, past latest first). A session still running counts as upcoming."""
    now = now or utcnow()
    upcoming = [s for s in sessions if (s.ends_at or s.starts_at) >= now]
    past = [s for s in sessions if (s.ends_at or s.starts_at) < now]
    return upcoming, past[::-1]


# --- attendance ------------------------------------------------------------------------

def students_of(cohort_id: int) -> list[User]:
    """The cohort's students (not deleted), by name."""
    return list(db.session.scalars(
        db.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == Role.STUDENT, User.deleted_at.is_(None))
        .order_by(sa.func.lower(User.name), User.id)))


def records_for(session: WorkshopSession) -> dict[int, Attendance]:
    """user id -> attendance row for one session."""
    rows = db.session.scalars(db.select(Attendance).where(Attendance.session_id == session.id))
    return {row.user_id: row for row in rows}


def statuses_for(session: WorkshopSession) -> dict[int, AttendanceStatus]:
    """user id -> recorded status for one session."""
    return {user_id: row.status for user_id, row in records_for(session).items()}


def record_attendance(session: WorkshopSession, choices: dict[int, AttendanceStatus], recorder) -> int:
    """Save the statuses chosen for the cohort's students; return how many were saved.

    Ids that are not (or no longer) students of the cohort are skipped. One upsert makes
    two mentors saving the same list at once safe; a row keeps its recorder and time
    unless its status really changed. The caller commits.
    """
    student_ids = {u.id for u in students_of(session.cohort_id)}
    now = utcnow()
    rows = [{"session_id": session.id, "user_id": uid, "status": status,
             "recorded_by_id": recorder.id, "recorded_at": now}
            for uid, status in choices.items() if uid in student_ids]
    if not rows:
        return 0
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Attendance).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "user_id"],
        set_={"status": stmt.excluded.status, "recorded_by_id": stmt.excluded.recorded_by_id,
              "recorded_at": stmt.excluded.recorded_at},
        where=Attendance.status != stmt.excluded.status,
    )
    db.session.execute(stmt)
    record("attendance.recorded", target=session, count=len(rows))
    return len(rows)


@dataclass
class StudentAttendance:
    student: User
    attended: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.total if self.total else None


@dataclass
class SessionAttendance:
    session: WorkshopSession
    counts: dict = field(default_factory=dict)  # AttendanceStatus -> number
    not_recorded: int = 0


@dataclass
class AttendanceSummary:
    students: list[StudentAttendance]
    sessions: list[SessionAttendance]  # sessions that have begun or have records, latest first
    attended: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.total if self.total else None


def _counts(cohort_id: int, student_ids: list[int], by):
    """(``by`` column, status, number) over the cohort's records of its current students."""
    return db.session.execute(
        db.select(by, Attendance.status, sa.func.count())
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(WorkshopSession.cohort_id == cohort_id, Attendance.user_id.in_(student_ids or [-1]))
        .group_by(by, Attendance.status)).all()


def attendance_summary(cohort: Cohort) -> AttendanceSummary:
    """Per student attended/recorded, per session counts, and the cohort's overall figures.

    Present and late count as attended; a student counts towards a session's total once a
    status is recorded for them (excused and absent both count as not attended). Only the
    cohort's current students are counted, so the rows add up to the overall rate.
    """
    students = students_of(cohort.id)
    ids = [s.id for s in students]
    per_student: dict[int, list[int]] = {i: [0, 0] for i in ids}
    for user_id, status, number in _counts(cohort.id, ids, Attendance.user_id):
        per_student[user_id][1] += number
        if status in ATTENDED:
            per_student[user_id][0] += number
    per_session: dict[int, dict] = {}
    for session_id, status, number in _counts(cohort.id, ids, Attendance.session_id):
        per_session.setdefault(session_id, {})[status] = number
    now = utcnow()
    sessions = [SessionAttendance(s, per_session.get(s.id, {}),
                                  len(ids) - sum(per_session.get(s.id, {}).values()))
                for s in reversed(sessions_of(cohort.id)) if s.starts_at <= now or s.id in per_session]
    rows = [StudentAttendance(s, *per_student[s.id]) for s in students]
    return AttendanceSummary(rows, sessions, sum(r.attended for r in rows), sum(r.total for r in rows))


def attendance_rate(cohort_id: int) -> float | None:
    """The cohort's attendance rate (0..1): present or late over all recorded statuses of its
    current students; None while nothing is recorded. The dashboard shows it."""
    attended = total = 0
    for status, number in db.session.execute(_rate_statement(), {"cohort_id": cohort_id}):
        total += number
        attended += number if status in ATTENDED else 0
    return attended / total if total else None


@cache
def _rate_statement():
    """Statuses counted over the cohort's current students (not deleted), in one query. Built
    once, with a bound parameter: the dashboard asks on every view, and building it cost more
    than running it (docs/performance.md, "What the pages cost")."""
    return (db.select(Attendance.status, sa.func.count())
            .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
            .join(Membership, (Membership.user_id == Attendance.user_id)
                  & (Membership.cohort_id == WorkshopSession.cohort_id) & (Membership.role == Role.STUDENT))
            .join(User, (User.id == Attendance.user_id) & User.deleted_at.is_(None))
            .where(WorkshopSession.cohort_id == sa.bindparam("cohort_id"))
            .group_by(Attendance.status))

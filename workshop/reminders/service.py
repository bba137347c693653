"""Finding the reminders and digests due now, and sending each exactly once.

:func:`send_due_reminders` is a housekeeping chore (``REMINDERS_EVERY_S``, five minutes by
default) that every worker runs. It reads what is due at ``now`` (:mod:`.schedule` says
when each kind may go), then sends them one by one, each in a transaction of its own that
starts by inserting its :class:`~.models.SentReminder` row and makes the notification
(:func:`notifications.service.notify`, which emails it once the transaction commits). The
row's unique key decides between workers that found the same reminder at once: the insert
of all but one fails (PostgreSQL holds the second until the first commits; SQLite lets one
writer in at a time), that worker rolls back and goes on with the next, and no reminder is
lost or sent twice. A worker that restarts finds the rows and sends nothing again.

Who gets what (members of cohorts that are not archived, with a confirmed address):

* ``assignment_due``: each student with nothing uploaded for the assignment (no version
  queued, processing or ready), 48 and 6 hours before it is due;
* ``review_due``: the mentor a waiting version is assigned to (the cohort's leads when it
  has none), when the review is about to pass the cohort's target;
* ``mentor_digest``: each mentor, daily, when something waits: their reviews, how many are
  past the target, and the cohort's videos without a mentor;
* ``session_tomorrow``: everyone in the cohort, the evening before a session;
* ``lead_weekly``: each lead, on Mondays, when the cohort has minors without consent,
  reviews past the target or open safeguarding concerns.

Someone who turned a kind off on the notification settings page gets nothing of it, in
the app or by email. The texts name no student: digests are counts with a link, and
reminders name the assignment or session. Times in them are written in the recipient's
language and the cohort's time zone when the reminder is made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from sqlalchemy import delete, exists, func
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..cohorts.models import Assignment, Cohort, Membership
from ..consent.service import consent_missing_among
from ..db_types import utcnow
from ..extensions import db
from ..localtime import cohort_zone
from ..notifications.service import notify, turned_off_everywhere
from ..roles import Role
from ..sessions.models import WorkshopSession
from ..submissions.allocation import OPEN
from ..submissions.models import ConcernState, SafeguardingConcern, Submission, Version, VersionState
from ..templating import format_moment
from . import schedule
from .models import SentReminder

log = logging.getLogger("karya.reminders")

KINDS = ("assignment_due", "review_due", "mentor_digest", "session_tomorrow", "lead_weekly")
# Longer than any window (the longest is the review warning of the longest target, a fifth of
# 14 days): a row older than this can no longer stop a reminder, and is deleted.
SENT_KEPT_FOR = timedelta(days=7)
# A version counts as uploaded once its upload finished and it was not refused.
UPLOADED = (VersionState.QUEUED, VersionState.PROCESSING, VersionState.READY)


@dataclass(frozen=True)
class Due:
    """One reminder to send: who, about what, which occasion, and the notification's content."""

    kind: str
    subject_id: int
    recipient_id: int
    occasion: str
    cohort_id: int
    link: str
    data: dict

    @property
    def key(self) -> tuple[str, int, int, str]:
        return self.kind, self.subject_id, self.recipient_id, self.occasion


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder and digest due at ``now`` that was not sent yet; return how many
    this run sent. ``now`` lets tests choose the clock."""
    now = now or utcnow()
    due = find_due(now)
    db.session.rollback()  # the reading is over: each send below is a transaction of its own
    sent = sum(_send_once(item, now) for item in due)
    db.session.execute(delete(SentReminder).where(SentReminder.sent_at < now - SENT_KEPT_FOR))
    db.session.commit()
    if sent:
        log.info("sent %d reminders", sent)
    return sent


def _send_once(item: Due, now: datetime) -> bool:
    """Insert the reminder's row and make its notification, in one transaction; False when
    another worker (or an earlier run) has the row."""
    db.session.add(SentReminder(kind=item.kind, subject_id=item.subject_id, recipient_id=item.recipient_id,
                                occasion=item.occasion, cohort_id=item.cohort_id, sent_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    notify(item.recipient_id, item.kind, data=item.data, link=item.link, cohort_id=item.cohort_id)
    db.session.commit()
    return True


def find_due(now: datetime) -> list[Due]:
    """Every reminder due at ``now``, less those already sent and those their person turned off."""
    cohorts = {cohort.id: cohort for cohort in db.session.scalars(
        db.select(Cohort).where(Cohort.archived_at.is_(None)))}
    if not cohorts:
        return []
    waiting = _waiting_reviews(list(cohorts))
    found = [*_assignments_due(cohorts, now), *_reviews_due(cohorts, waiting, now),
             *_sessions_tomorrow(cohorts, now), *_mentor_digests(cohorts, waiting, now),
             *_lead_digests(cohorts, waiting, now)]
    turned_off = turned_off_everywhere(KINDS)
    sent = set(db.session.execute(
        db.select(SentReminder.kind, SentReminder.subject_id, SentReminder.recipient_id, SentReminder.occasion)
        .where(SentReminder.sent_at >= now - SENT_KEPT_FOR)))
    return [item for item in found if (item.recipient_id, item.kind) not in turned_off and item.key not in sent]


# --- who is there, and in which language ------------------------------------------------

def _reachable():
    """SQL: the person can be reminded (not deleted, address confirmed)."""
    return User.deleted_at.is_(None) & User.email_confirmed_at.is_not(None)


def _members(cohort_id: int, roles: Iterable[Role], *where) -> list[tuple[int, str]]:
    """``(user id, language)`` of the cohort's reachable members holding one of ``roles``."""
    rows = db.session.execute(
        db.select(User.id, User.locale).join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role.in_(list(roles)), _reachable(), *where)
        .order_by(User.id))
    return [(user_id, _language(locale)) for user_id, locale in rows]


def _languages(user_ids: Iterable[int]) -> dict[int, str]:
    """The language of each reachable person among ``user_ids``."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(db.select(User.id, User.locale).where(User.id.in_(ids), _reachable()))
    return {user_id: _language(locale) for user_id, locale in rows}


def _language(locale: str | None) -> str:
    """The person's language, as their emails use it (``send_notification_email``)."""
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def when(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A moment as people read it, with its zone named: "Friday, 4 December 2026, 18:00
    (Western Indonesia Time)", "Jumat, 04 Desember 2026 18.00 (Waktu Indonesia Barat)"."""
    return (f"{format_moment(moment, 'full', zone, language)} "
            f"({format_datetime(moment, 'zzzz', tzinfo=zone, locale=language)})")


# --- students: before a due date --------------------------------------------------------

def _assignments_due(cohorts: dict[int, Cohort], now: datetime) -> list[Due]:
    first_ahead = schedule.DUE_SOON[0][1]
    assignments = db.session.scalars(
        db.select(Assignment).where(Assignment.cohort_id.in_(list(cohorts)), Assignment.due_at > now,
                                    Assignment.due_at <= now + first_ahead)
        .order_by(Assignment.due_at, Assignment.id)).all()
    found = []
    for assignment in assignments:
        window = schedule.due_soon(assignment.due_at, now)
        if window is None:
            continue
        uploaded = exists().where(Submission.assignment_id == assignment.id, Submission.student_id == User.id,
                                  Version.submission_id == Submission.id, Version.state.in_(UPLOADED))
        zone = cohort_zone(cohorts[assignment.cohort_id])
        for student_id, language in _members(assignment.cohort_id, (Role.STUDENT,), ~uploaded):
            found.append(Due("assignment_due", assignment.id, student_id, window.occasion, assignment.cohort_id,
                             f"/assignments/{assignment.id}",
                             {"assignment": assignment.title, "due": when(assignment.due_at, zone, language)}))
    return found


# --- mentors: reviews about to pass the target, and the daily digest ----------------------

@dataclass(frozen=True)
class WaitingReview:
    """The newest ready version of a submission waiting for a verdict."""

    version_id: int
    number: int
    ready_at: datetime
    submission_id: int
    mentor_id: int | None
    cohort_id: int
    assignment: str

    def overdue(self, cohort: Cohort, now: datetime) -> bool:
        return schedule.review_deadline(self.ready_at, _target(cohort)) <= now


def _target(cohort: Cohort) -> int:
    return cohort.review_target_hours or 48


def _waiting_reviews(cohort_ids: list[int]) -> list[WaitingReview]:
    rows = db.session.execute(
        db.select(Version.id, Version.number, func.coalesce(Version.ready_at, Version.created_at),
                  Submission.id, Submission.mentor_id, Submission.cohort_id, Assignment.title)
        .join(Submission, Submission.id == Version.submission_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Version.cohort_id.in_(cohort_ids), Version.state == VersionState.READY,
               Submission.cohort_id.in_(cohort_ids), Submission.state.in_(OPEN))
        .order_by(Version.submission_id, Version.number))
    newest = {}
    for row in rows:  # in order of number: the last one of each submission stays
        newest[row[3]] = WaitingReview(*row)
    return list(newest.values())


def _reviews_due(cohorts: dict[int, Cohort], waiting: list[WaitingReview], now: datetime) -> list[Due]:
    warnings = []
    for review in waiting:
        cohort = cohorts[review.cohort_id]
        window = schedule.review_warning(review.ready_at, _target(cohort), now)
        if window is not None:
            warnings.append((review, cohort, window))
    if not warnings:
        return []
    languages = _languages(review.mentor_id for review, _cohort, _window in warnings if review.mentor_id)
    found = []
    for review, cohort, window in warnings:
        if review.mentor_id is not None:
            recipients = [(review.mentor_id, languages[review.mentor_id])] if review.mentor_id in languages else []
        else:  # no mentor in the cohort to give it to: its leads answer for it
            recipients = _members(cohort.id, (Role.LEAD,))
        deadline = schedule.review_deadline(review.ready_at, _target(cohort))
        for user_id, language in recipients:
            found.append(Due("review_due", review.version_id, user_id, window.occasion, cohort.id,
                             f"/versions/{review.version_id}",
                             {"version": review.number, "assignment": review.assignment,
                              "target": _target(cohort), "deadline": when(deadline, cohort_zone(cohort), language)}))
    return found


def _mentor_digests(cohorts: dict[int, Cohort], waiting: list[WaitingReview], now: datetime) -> list[Due]:
    found = []
    for cohort in cohorts.values():
        window = schedule.daily_digest(cohort_zone(cohort), now)
        if window is None:
            continue
        here = [review for review in waiting if review.cohort_id == cohort.id]
        unassigned = sum(review.mentor_id is None for review in here)
        for mentor_id, _language in _members(cohort.id, (Role.MENTOR,)):
            mine = [review for review in here if review.mentor_id == mentor_id]
            if not mine and not unassigned:
                continue  # nothing waits: no email
            overdue = sum(review.overdue(cohort, now) for review in mine)
            found.append(Due("mentor_digest", cohort.id, mentor_id, window.occasion, cohort.id, "/reviews?only=mine",
                             {"cohort": cohort.name, "mine": len(mine), "overdue": overdue,
                              "unassigned": unassigned}))
    return found


# --- everyone: the evening before a session -----------------------------------------------

def _sessions_tomorrow(cohorts: dict[int, Cohort], now: datetime) -> list[Due]:
    # The evening before opens at most 30 hours ahead (18:00 before a session at midnight).
    sessions = db.session.scalars(
        db.select(WorkshopSession).where(WorkshopSession.cohort_id.in_(list(cohorts)),
                                         WorkshopSession.starts_at > now,
                                         WorkshopSession.starts_at <= now + timedelta(hours=31))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    found = []
    for session in sessions:
        cohort = cohorts[session.cohort_id]
        zone = cohort_zone(cohort)
        window = schedule.session_eve(session.starts_at, zone, now)
        if window is None:
            continue
        place = " · ".join(part for part in (session.location.strip(), session.link.strip()) if part) or "—"
        for user_id, language in _members(cohort.id, tuple(Role)):
            found.append(Due("session_tomorrow", session.id, user_id, window.occasion, cohort.id,
                             f"/cohorts/{cohort.id}/sessions",
                             {"title": session.title, "cohort": cohort.name, "place": place,
                              "starts": when(session.starts_at, zone, language)}))
    return found


# --- leads: the weekly digest ---------------------------------------------------------------

def _lead_digests(cohorts: dict[int, Cohort], waiting: list[WaitingReview], now: datetime) -> list[Due]:
    windows = {cohort_id: window for cohort_id, cohort in cohorts.items()
               if (window := schedule.weekly_digest(cohort_zone(cohort), now)) is not None}
    if not windows:
        return []
    concerns = dict(db.session.execute(
        db.select(SafeguardingConcern.cohort_id, func.count())
        .where(SafeguardingConcern.cohort_id.in_(list(windows)), SafeguardingConcern.state == ConcernState.OPEN)
        .group_by(SafeguardingConcern.cohort_id)).all())
    students = db.session.execute(
        db.select(Membership.user_id, Membership.cohort_id)
        .where(Membership.cohort_id.in_(list(windows)), Membership.role == Role.STUDENT))
    without_consent = consent_missing_among((student_id, cohort_id) for student_id, cohort_id in students)
    found = []
    for cohort_id, window in windows.items():
        cohort = cohorts[cohort_id]
        counts = {
            "consents": sum(1 for _student, cohort_of in without_consent if cohort_of == cohort_id),
            "overdue": sum(1 for review in waiting if review.cohort_id == cohort_id and review.overdue(cohort, now)),
            "concerns": concerns.get(cohort_id, 0),
        }
        if not any(counts.values()):
            continue  # nothing needs the lead: no email
        for lead_id, _language in _members(cohort_id, (Role.LEAD,)):
            found.append(Due("lead_weekly", cohort_id, lead_id, window.occasion, cohort_id,
                             f"/cohorts/{cohort_id}/dashboard", {"cohort": cohort.name, **counts}))
    return found

"""Telling each cohort whose data an erasure touched: an audit event and a note to its leads.

A withdrawal in one cohort erases that cohort's data only, unless it ends the person's
last membership: then the account goes with what it still held in cohorts they had
left. Either way, every cohort that loses data learns of it in its own audit log, and
its leads in Karya, so no cohort's records change without its leads knowing.
"""

from __future__ import annotations

from collections import Counter

from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..extensions import db
from ..invitations.models import Invite
from ..notifications.service import notify_cohort
from ..review.models import Comment
from ..roles import Role
from ..sessions.models import Attendance, WorkshopSession
from ..submissions.models import Submission, Version
from ..uploads.models import Upload
from .models import Consent

NOTIFICATION_KIND = "data_deleted"


def cohorts_holding(user: User, version_ids: list[int], scope: int | None) -> dict[int, int]:
    """The cohorts whose data of ``user`` an erasure in ``scope`` (None: every cohort) removes,
    each with how many of the erased versions are theirs."""
    versions = Counter(db.session.scalars(db.select(Version.cohort_id).where(Version.id.in_(version_ids))))
    if scope is not None:
        return {scope: versions.get(scope, 0)}
    cohort_ids = set(versions)
    for query in (
        db.select(Submission.cohort_id).where(Submission.student_id == user.id),
        db.select(Comment.cohort_id).where(Comment.author_id == user.id),
        db.select(Consent.cohort_id).where(Consent.student_id == user.id),
        db.select(Membership.cohort_id).where(Membership.user_id == user.id),
        db.select(Upload.cohort_id).where(Upload.user_id == user.id),
        db.select(Invite.cohort_id).where(db.func.lower(Invite.email) == user.email.lower()),
        db.select(WorkshopSession.cohort_id).join(Attendance, Attendance.session_id == WorkshopSession.id)
        .where(Attendance.user_id == user.id),
    ):
        cohort_ids.update(db.session.scalars(query.distinct()))
    return {cohort_id: versions.get(cohort_id, 0) for cohort_id in cohort_ids}


def tell_cohorts(consent: Consent, touched: dict[int, int], *, files: int, account_erased: bool) -> None:
    """Record ``person.data_deleted`` in each touched cohort and notify its leads (the caller commits).

    The notification names the cohort only: the person's name is among what was erased.
    """
    cohort_ids = sorted(set(touched) | {consent.cohort_id})
    names = dict(db.session.execute(db.select(Cohort.id, Cohort.name).where(Cohort.id.in_(cohort_ids))).all())
    for cohort_id in cohort_ids:
        record("person.data_deleted", target=consent, actor=None, cohort_id=cohort_id,
               student_id=consent.student_id, versions=touched.get(cohort_id, 0),
               files=files if cohort_id == consent.cohort_id else None,
               withdrawn_in=consent.cohort_id, account_erased=account_erased)
        notify_cohort(cohort_id, Role.LEAD, NOTIFICATION_KIND, data={"cohort": names.get(cohort_id, "")},
                      link=f"/cohorts/{cohort_id}/consent")

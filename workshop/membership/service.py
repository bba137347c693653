"""Changing a member's role and taking a member out of a cohort, with what goes with
their reach into it: their waiting reviews, the cohort's calendar feed address, their
notifications about it. Shared by the pages and the API; callers commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..cohorts.service import ensure_not_archived
from ..errors import Conflict
from ..extensions import db
from ..notifications.service import forget_cohort
from ..roles import Role
from ..sessions.feeds import rotate_token
from ..submissions.allocation import release


def _other_leads(membership: Membership) -> int:
    return db.session.scalar(
        db.select(db.func.count(Membership.id)).where(
            Membership.cohort_id == membership.cohort_id, Membership.role == Role.LEAD,
            Membership.id != membership.id)
    )


def change_role(membership: Membership, role: Role) -> None:
    """Give a member another role; a cohort always keeps at least one lead."""
    ensure_not_archived(membership.cohort)
    if role == membership.role:
        return
    if membership.role is Role.LEAD and not _other_leads(membership):
        raise Conflict(_l("A cohort needs at least one workshop lead. "
                          "Make someone else a lead first."), code="last_lead")
    old = membership.role
    membership.role = role
    details = {}
    if role is Role.STUDENT:
        # No longer staff: their waiting reviews go to the mentors, and the staff-only
        # cohort feed address they saw stops working.
        db.session.flush()
        details = _withdraw_staff_reach(membership.cohort, membership.user_id)
    record("membership.role_changed", target=membership.cohort, user_id=membership.user_id,
           old=old.value, new=role.value, **details)


def _withdraw_staff_reach(cohort: Cohort, user_id: int) -> dict:
    """Hand the person's waiting reviews to the cohort's mentors and rotate the cohort's
    feed token; what was done, for the audit log."""
    moved = release(cohort.id, user_id)
    rotated = cohort.calendar_token is not None  # no token yet: no URL was ever seen
    if rotated:
        rotate_token(cohort)
    return {"reassigned": {str(submission_id): mentor_id for submission_id, mentor_id in moved},
            "calendar_token_rotated": rotated}


def remove_member(membership: Membership) -> None:
    """Take a person out of the cohort. Their work stays, for the cohort's records; their
    reach into the cohort goes at once, in the same transaction:

    * the submissions waiting for their review go to the other mentors (allocation rules);
    * their notifications about the cohort are deleted, and no more are made or emailed
      (the notification service checks membership when it creates and when it sends);
    * the cohort's calendar feed gets a new token, so a feed URL they saw stops working.
    """
    cohort = membership.cohort
    ensure_not_archived(cohort)
    if membership.role is Role.LEAD and not _other_leads(membership):
        raise Conflict(_l("A cohort needs at least one workshop lead. "
                          "Make someone else a lead first."), code="last_lead")
    user_id, role = membership.user_id, membership.role
    db.session.delete(membership)
    db.session.flush()  # allocation below must no longer count them as a mentor
    # Students too: a feed URL seen once (as staff, earlier) may have been kept.
    details = _withdraw_staff_reach(cohort, user_id)
    forgotten = forget_cohort(user_id, cohort.id)
    record("membership.removed", target=cohort, cohort_id=cohort.id, user_id=user_id, role=role.value,
           notifications_deleted=forgotten, **details)

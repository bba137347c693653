"""Importing a parsed roster into a cohort: keep it between preview and confirm,
say what each row will do, then do it for the valid rows only.

Between the preview and the confirmation the parsed rows wait in a server-side file
named by a random id (never the uploader's file name, never the session cookie, which
is small and readable by its holder). The file records the cohort and the uploader,
and stops being accepted after :data:`UPLOAD_LIFETIME`.

Re-importing the same file adds no one twice: accounts are matched by email
(lower-cased) and memberships are unique per cohort and person. An address that already
has an account is invited, never added: its owner accepts while signed in.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..accounts import service as accounts
from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..cohorts.service import ensure_not_archived
from ..errors import Conflict, Gone
from ..extensions import db
from ..file_modes import FILE_MODE, private_dirs
from ..invitations import service as invitations
from ..roles import Role
from .parsing import ParsedRoster, RosterRow

UPLOAD_LIFETIME_S = 3600
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")

# What a row will do (or did): the preview's and the result's vocabulary.
NEW, EXISTING, MEMBER, ERROR = "new", "existing", "member", "error"


class UploadGone(Gone):
    """The upload id is unknown, expired, or belongs to another cohort or person."""

    code = "upload_gone"

    def __init__(self):
        super().__init__(_l("That upload has expired or was already imported. Upload the file again."))


def _folder() -> Path:
    # Names, emails and birth years of minors: readable by this service's user only.
    instance = Path(current_app.instance_path)
    folder = instance / "roster-uploads"
    private_dirs(instance, folder)
    return folder


def store_upload(parsed: ParsedRoster, cohort: Cohort, user) -> str:
    """Keep the parsed roster for the confirm step; return its random id."""
    _remove_stale()
    upload_id = secrets.token_urlsafe(24)
    path = _folder() / f"{upload_id}.json"
    payload = {"cohort_id": cohort.id, "user_id": user.id, "created": time.time(), **parsed.to_dict()}
    temporary = path.with_suffix(".tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w",
                   encoding="utf-8") as out:
        json.dump(payload, out)
    os.replace(temporary, path)  # the confirm step never sees a half-written file
    return upload_id


def load_upload(upload_id: str, cohort: Cohort, user) -> ParsedRoster:
    """The parsed roster kept under ``upload_id``, if it is this cohort's and this person's."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise UploadGone()
    path = _folder() / f"{upload_id}.json"
    try:
        with open(path, encoding="utf-8") as stored:
            payload = json.load(stored)
    except (OSError, ValueError):
        raise UploadGone()
    if (payload.get("cohort_id") != cohort.id or payload.get("user_id") != user.id
            or time.time() - payload.get("created", 0) > UPLOAD_LIFETIME_S):
        raise UploadGone()
    return ParsedRoster.from_dict(payload)


def discard_upload(upload_id: str) -> None:
    if _UPLOAD_ID.fullmatch(upload_id or ""):
        (_folder() / f"{upload_id}.json").unlink(missing_ok=True)


def _remove_stale() -> None:
    cutoff = time.time() - UPLOAD_LIFETIME_S
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass  # another process removed it first


@dataclass
class PlannedRow:
    row: RosterRow
    outcome: str                      # NEW, EXISTING, MEMBER or ERROR
    current_role: Role | None = None  # MEMBER: the role they already have


@dataclass
class Plan:
    rows: list[PlannedRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def importable(self) -> int:
        return self.counts.get(NEW, 0) + self.counts.get(EXISTING, 0)


def _users_by_email(emails: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(emails), 500):  # keep each IN list well inside SQLite's limits
        chunk = emails[start:start + 500]
        for user in db.session.scalars(db.select(User).where(db.func.lower(User.email).in_(chunk))):
            found[user.email.lower()] = user
    return found


def plan_import(parsed: ParsedRoster, cohort: Cohort) -> Plan:
    """What importing each row would do now (the preview, and again at confirmation)."""
    valid = [r for r in parsed.rows if r.ok]
    users = _users_by_email([r.email for r in valid])
    roles = dict(db.session.execute(
        db.select(Membership.user_id, Membership.role).where(
            Membership.cohort_id == cohort.id, Membership.user_id.in_([u.id for u in users.values()]))
    ).all()) if users else {}
    planned = []
    for row in parsed.rows:
        user = users.get(row.email) if row.ok else None
        if not row.ok:
            planned.append(PlannedRow(row, ERROR))
        elif user is not None and user.id in roles:
            planned.append(PlannedRow(row, MEMBER, roles[user.id]))
        elif user is not None and not user.is_active:
            row.errors.append({"code": "account_closed"})
            planned.append(PlannedRow(row, ERROR))
        else:
            planned.append(PlannedRow(row, EXISTING if user is not None else NEW))
    counts = {outcome: 0 for outcome in (NEW, EXISTING, MEMBER, ERROR)}
    for item in planned:
        counts[item.outcome] += 1
    return Plan(planned, counts)


class ImportConflict(Conflict):
    """Someone else changed the same accounts meanwhile; the lead should look again."""

    code = "import_conflict"

    def __init__(self):
        super().__init__(_l("Someone changed these accounts while you were importing. Check the preview again."))


def run_import(parsed: ParsedRoster, cohort: Cohort, lead, *, locale: str) -> Plan:
    """Import the valid rows in one transaction; queue the invite emails once it commits.

    New people get an account with no usable password, a membership and an invite to
    choose their password. Existing accounts get only an invite, which their owner
    accepts while signed in: the lead cannot vouch for who holds an account (and its
    details are its owner's to change). Returns the plan carried out, whose counts say
    what happened.
    """
    ensure_not_archived(cohort)
    plan = plan_import(parsed, cohort)
    invites = []
    for item in plan.rows:
        row, role = item.row, Role(item.row.role)
        if item.outcome == NEW:
            user = invitations.create_account_for(
                row.email, row.name, birth_year=row.birth_year, is_minor=row.is_minor,
                guardian_contact=row.guardian_contact, guardian_whatsapp_opt_out=row.guardian_whatsapp_opt_out,
                guardian_contact_cohort_id=cohort.id if row.guardian_contact else None)
            accounts.add_membership(user, cohort, role)
            invite, _raw = invitations.create_invite(cohort, row.email, role, lead)
        elif item.outcome == EXISTING:
            invite, _raw = invitations.pending_or_new_invite(cohort, row.email, role, lead)
        else:
            continue
        invites.append(invite)
    record("roster.imported", target=cohort, **plan.counts)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportConflict()
    invitations.queue_invite_emails([invite.id for invite in invites], locale)
    return plan

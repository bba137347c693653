"""Cohorts over the API."""

from __future__ import annotations

from flask import abort, g, jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import requires, signed_in
from ..cohorts import service
from ..cohorts.models import Cohort
from ..db_types import iso
from ..errors import Invalid
from ..extensions import db
from ..invitations import service as invitations
from ..roles import Role
from . import bp
from .util import json_body


@bp.get("/cohorts/<int:cohort_id>")
@requires(Role.STUDENT, Cohort)
def cohort_detail(cohort: Cohort):
    assignments = service.assignments_by_cohort([cohort.id])[cohort.id]
    return jsonify({
        "id": cohort.id,
        "name": cohort.name,
        "description": cohort.description,
        "role": g.cohort_role.value,
        "starts_on": iso(cohort.starts_on),
        "ends_on": iso(cohort.ends_on),
        "assignments": [
            {"id": a.id, "title": a.title, "due_at": iso(a.due_at), "max_duration_s": a.max_duration_s}
            for a in assignments
        ],
    })


@bp.get("/cohorts/<int:cohort_id>/members")
@requires(Role.MENTOR, Cohort)
def cohort_members(cohort: Cohort):
    return jsonify({"members": [
        {"user_id": m.user_id, "name": m.user.name, "email": m.user.email, "role": m.role.value}
        for m in service.members_of(cohort)
    ]})


# --- creating cohorts and adding members (workshop leads) ---------------------------------

def _membership_json(membership) -> dict:
    return {"user_id": membership.user_id, "name": membership.user.name, "email": membership.user.email,
            "role": membership.role.value, "cohort_id": membership.cohort_id}


@bp.post("/cohorts")
@signed_in
def create_cohort():
    """Programme staff (a lead of some cohort) and admins start a cohort and become its lead."""
    if not service.may_create_cohorts(current_user):
        abort(403)
    data = json_body()
    cohort = service.save_cohort(service.CohortInput(
        name=data.get("name"), description=data.get("description") or "",
        starts_on=data.get("starts_on"), ends_on=data.get("ends_on"),
        timezone=data.get("timezone"), review_target_hours=data.get("review_target_hours"),
    ), creator=current_user)
    db.session.commit()
    return jsonify({"id": cohort.id, "join_code": cohort.join_code, "name": cohort.name,
                    "starts_on": iso(cohort.starts_on), "ends_on": iso(cohort.ends_on),
                    "timezone": cohort.timezone}), 201


@bp.post("/cohorts/<int:cohort_id>/members")
@requires(Role.LEAD, Cohort)
def add_cohort_member(cohort: Cohort):
    """Add a person by email. A new address gets an account and an emailed set-password link
    (201); an existing account is emailed an invite its owner accepts while signed in (202);
    someone already in the cohort is left as they are (200)."""
    data = json_body()
    raw_role = data.get("role", Role.STUDENT.value)
    try:
        role = Role(raw_role)
    except ValueError:
        raise Invalid(_l("'role' must be one of: student, mentor, lead."), field="role")
    outcome, row = invitations.add_member(cohort, data.get("email"), data.get("name"), role, current_user)
    if outcome == "invited":
        return jsonify({"status": "invited", "invite": {
            "id": row.id, "email": row.email, "role": row.role.value, "cohort_id": row.cohort_id,
            "expires_at": iso(row.expires_at)}}), 202
    created = outcome == "created"
    return jsonify({"membership": _membership_json(row), "created": created}), 201 if created else 200

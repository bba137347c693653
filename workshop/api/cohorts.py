"""Cohorts over the API."""

from __future__ import annotations

from flask import g, jsonify

from ..access import requires
from ..cohorts import service
from ..cohorts.models import Cohort, Role
from . import bp
from .util import iso


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

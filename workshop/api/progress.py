"""Leads over the API: assignments and a cohort's progress."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import jsonify
from flask_babel import lazy_gettext as _l

from ..access import requires
from ..assignments.service import AssignmentInput, save_assignment, template_ids_for_keys
from ..cohorts.models import Cohort
from ..dashboard.service import progress
from ..db_types import iso
from ..errors import Invalid
from ..extensions import db
from ..localtime import cohort_zone
from ..roles import Role
from . import bp
from .util import json_body, string_field


@bp.post("/cohorts/<int:cohort_id>/assignments")
@requires(Role.LEAD, Cohort)
def create_assignment(cohort: Cohort):
    data = json_body()
    due_at = None
    if data.get("due_at") is not None:
        text = string_field(data, "due_at", max_length=64)
        try:
            due_at = datetime.fromisoformat(text)
            if due_at.tzinfo is None:  # a wall-clock time in the cohort's own zone
                due_at = due_at.replace(tzinfo=cohort_zone(cohort))
            due_at.astimezone(timezone.utc)  # stored in UTC: early in year 1 east of UTC would be year 0
        except (ValueError, OverflowError):
            raise Invalid(_l("'%(field)s' must be an ISO 8601 date and time.", field="due_at"),
                          field="due_at") from None
    keys = data.get("checklist_template_keys")
    assignment = save_assignment(cohort, AssignmentInput(
        title=string_field(data, "title", max_length=1000),
        brief=string_field(data, "brief", required=False, max_length=40_000) or "",
        due_at=due_at, max_duration_s=data.get("max_duration_s", 900),
        template_ids=template_ids_for_keys(cohort, keys) if keys is not None else None))
    db.session.commit()
    return jsonify({"id": assignment.id, "title": assignment.title, "due_at": iso(assignment.due_at),
                    "max_duration_s": assignment.max_duration_s,
                    "checklist_template_keys": [t.key for t in assignment.checklist_templates]}), 201


@bp.get("/cohorts/<int:cohort_id>/progress")
@requires(Role.LEAD, Cohort)
def cohort_progress(cohort: Cohort):
    p = progress(cohort)
    return jsonify({
        "cohort_id": cohort.id,
        "students": [{"id": sid, "name": name} for sid, name in p.students],
        "assignments": [{"id": a.id, "title": a.title, "due_at": iso(a.due_at)} for a in p.assignments],
        "submissions": [{"student_id": s, "assignment_id": a, "submission_id": c.submission_id, "state": c.state,
                         "versions": c.versions, "latest_version_id": c.latest_version_id}
                        for (s, a), c in sorted(p.cells.items())],
        "review_turnaround_hours": {"median": p.turnaround_median_h, "p90": p.turnaround_p90_h,
                                    "reviews": p.reviews_counted},
        "waiting_reviews": [{"version_id": w.version_id, "student": w.student, "assignment": w.assignment,
                             "mentor": w.mentor, "ready_at": iso(w.ready_at), "overdue": w.overdue}
                            for w in p.waiting],
        "mentor_load": [{"mentor_id": m, "name": n, "open_reviews": o, "assigned": t} for m, n, o, t in p.mentor_load],
        "attendance_rate": p.attendance_rate,
        "open_concerns": p.open_concerns,
    })

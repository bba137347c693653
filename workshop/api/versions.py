"""Submissions and versions over the API."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..access import requires
from ..cohorts.models import Assignment
from ..db_types import iso
from ..errors import NotFound
from ..media.presenters import version_json
from ..roles import Role
from ..submissions import lifecycle, service
from ..submissions.models import Version
from . import bp


@bp.get("/versions/<int:version_id>")
@requires(Role.STUDENT, Version)
def version_detail(version: Version):
    return jsonify(version_json(version))


@bp.get("/assignments/<int:assignment_id>/submission")
@requires(Role.STUDENT, Assignment)
def my_submission(assignment: Assignment):
    """The caller's own submission for this assignment, versions oldest first."""
    submission = service.submission_for(assignment, current_user.id)
    if submission is None:
        raise NotFound(_("You have not uploaded anything for this assignment yet."))
    return jsonify({
        "id": submission.id,
        "assignment_id": assignment.id,
        "state": submission.state.value,
        "locked": lifecycle.is_locked(submission),
        "updated_at": iso(submission.updated_at),
        "versions": [version_json(v) for v in submission.versions],
    })

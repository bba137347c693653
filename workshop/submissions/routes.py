"""Assignment and version pages: upload a draft, follow its processing, watch it."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template
from flask_login import current_user

from ..access import requires
from ..cohorts.models import Assignment, Role
from ..extensions import db
from . import service
from .models import Submission, Version
from .presenters import version_json

bp = Blueprint("submissions", __name__)


@bp.get("/assignments/<int:assignment_id>")
@requires(Role.STUDENT, Assignment)
def assignment(assignment: Assignment):
    role = g.cohort_role
    if role is Role.STUDENT:
        submission = service.submission_for(assignment, current_user.id)
        return render_template(
            "submissions/assignment_student.html", assignment=assignment, submission=submission,
            locked=bool(submission and service.is_locked(submission)),
            max_upload_bytes=current_app.config["UPLOAD_MAX_BYTES"],
        )
    submissions = db.session.scalars(
        db.select(Submission).where(Submission.assignment_id == assignment.id)
        .options(db.joinedload(Submission.student)).order_by(Submission.updated_at.desc())
    ).all()
    return render_template("submissions/assignment_staff.html", assignment=assignment,
                           submissions=submissions, role=role)


@bp.get("/versions/<int:version_id>")
@requires(Role.STUDENT, Version)
def version(version: Version):
    submission = version.submission
    return render_template("submissions/version.html", version=version, submission=submission,
                           assignment=submission.assignment, status=version_json(version),
                           role=g.cohort_role, locked=service.is_locked(submission))

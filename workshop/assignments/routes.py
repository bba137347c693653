"""The assignment pages: a lead writes one (new, edit), and everyone follows it (the
assignment page: a student's draft and upload, or the staff's view of every submission)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import requires
from ..cohorts.models import Assignment, Cohort
from ..cohorts.service import members_of
from ..errors import ApiError
from ..extensions import db
from ..forms import show_error_on
from ..localtime import cohort_zone
from ..review.checklists import available_templates
from ..roles import Role
from ..submissions import lifecycle
from ..submissions.models import Submission
from ..submissions.service import submission_for
from . import service
from .forms import AssignmentForm

bp = Blueprint("assignments", __name__)


@bp.get("/assignments/<int:assignment_id>")
@requires(Role.STUDENT, Assignment)
def assignment(assignment: Assignment):
    role = g.cohort_role
    if role is Role.STUDENT:
        submission = submission_for(assignment, current_user.id)
        return render_template(
            "assignments/student.html", assignment=assignment, submission=submission,
            locked=bool(submission and lifecycle.is_locked(submission)),
            max_upload_bytes=current_app.config["UPLOAD_MAX_BYTES"],
        )
    submissions = db.session.scalars(
        db.select(Submission).where(Submission.assignment_id == assignment.id)
        .options(db.joinedload(Submission.student), db.joinedload(Submission.mentor),
                 db.selectinload(Submission.versions)).order_by(Submission.updated_at.desc())
    ).all()
    return render_template("assignments/staff.html", assignment=assignment,
                           submissions=submissions, role=role,
                           available_templates=available_templates(assignment.cohort_id),
                           mentors=[m for m in members_of(assignment.cohort) if m.role is Role.MENTOR])


@bp.route("/cohorts/<int:cohort_id>/assignments/new", methods=["GET", "POST"])
@requires(Role.LEAD, Cohort)
def new(cohort: Cohort):
    return _form(cohort, None)


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@requires(Role.LEAD, Assignment)
def edit(assignment: Assignment):
    return _form(assignment.cohort, assignment)


def _form(cohort: Cohort, assignment: Assignment | None):
    zone = cohort_zone(cohort)
    form = AssignmentForm(zone) if request.method == "POST" else AssignmentForm.of(assignment, zone)
    if form.validate_on_submit():
        try:
            saved = service.save_assignment(cohort, service.AssignmentInput(
                title=form.title.data, brief=form.brief.data, due_at=form.due_at(),
                max_duration_s=form.max_duration_s(), template_ids=form.template_id.data), assignment)
            db.session.commit()
        except ApiError as exc:
            db.session.rollback()
            if not show_error_on(form, exc, AssignmentForm.SERVICE_FIELDS):
                form.form_errors.append(str(exc.message))
        else:
            flash(_("The assignment is saved."), "success")
            return redirect(url_for("assignments.assignment", assignment_id=saved.id))
    return render_template("assignments/form.html", cohort=cohort, assignment=assignment, form=form,
                           templates=available_templates(cohort.id)), 422 if form.errors else 200

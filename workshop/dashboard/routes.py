"""The home page (your cohorts, their assignments, your work on each), the lead's cohort
dashboard, the progress CSV, and moving a submission to another mentor."""

from __future__ import annotations

import logging

from flask import (Blueprint, Response, flash, g, has_request_context, redirect, render_template,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..access import is_confirmed, requires, signed_in
from ..cohorts.models import Cohort
from ..cohorts.service import assignments_by_cohort, memberships_of
from ..csv_export import csv_stream
from ..db_types import utcnow
from ..errors import ApiError
from ..extensions import db
from ..review.service import staff_cohort_ids
from ..roles import Role
from ..submissions import allocation
from ..submissions.models import Submission
from ..templating import STATE_LABELS, state_label
from ..urls import safe_redirect_target
from .forms import ReassignForm
from .service import progress

bp = Blueprint("dashboard", __name__)
log = logging.getLogger("karya.dashboard")


@bp.app_context_processor
def _header_links():
    """``reviews_anywhere()`` for the header: whether to link to the review queue (the
    person is a mentor or lead in some cohort, or an administrator). One query per page
    at most, and only on pages that ask."""
    def reviews_anywhere() -> bool:
        if not (has_request_context() and current_user.is_authenticated):
            return False
        if "reviews_anywhere" not in g:
            try:
                g.reviews_anywhere = bool(staff_cohort_ids(current_user))
            except SQLAlchemyError:  # the error page of a failed request must still render
                log.exception("could not read the person's cohorts for the header")
                g.reviews_anywhere = False
        return g.reviews_anywhere

    return {"reviews_anywhere": reviews_anywhere}


@bp.get("/")
@signed_in
def home():
    cohorts = memberships_of(current_user)
    assignments = assignments_by_cohort([cohort.id for cohort, _role in cohorts])
    # A student's own submission per assignment (one query), for its state beside each assignment.
    mine = {s.assignment_id: s
            for s in db.session.scalars(db.select(Submission).where(Submission.student_id == current_user.id))}
    # Who may start a cohort (cohorts/service.py: may_create_cohorts), read off the memberships already here.
    may_create = current_user.is_admin or any(role == Role.LEAD for _cohort, role in cohorts)
    return render_template("dashboard/home.html", cohorts=cohorts, assignments=assignments, mine=mine,
                           now=utcnow(), may_create=may_create,
                           unconfirmed=not is_confirmed(current_user))


@bp.get("/cohorts/<int:cohort_id>/dashboard")
@requires(Role.LEAD, Cohort)
def dashboard(cohort: Cohort):
    return render_template("dashboard/dashboard.html", cohort=cohort, p=progress(cohort))


@bp.post("/submissions/<int:submission_id>/mentor")
@requires(Role.LEAD, Submission)
def reassign(submission: Submission):
    form = ReassignForm()
    try:
        allocation.reassign(submission, form.mentor_id.data or 0, current_user)
        db.session.commit()
        flash(_("The submission has a new mentor."), "success")
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(safe_redirect_target(form.next.data,
                                         url_for("dashboard.dashboard", cohort_id=submission.cohort_id)))


@bp.get("/cohorts/<int:cohort_id>/progress.csv")
@requires(Role.LEAD, Cohort)
def progress_csv(cohort: Cohort):
    """One row per student and assignment, streamed as it is written."""
    p = progress(cohort)
    # Plain values only: the body is written after the view returns, when the database
    # session is gone and ORM rows could no longer load anything.
    students, assignments = list(p.students), [(a.id, a.title) for a in p.assignments]

    # In the reader's language, in a fixed column order (docs/guide-lead.md).
    header = [_("Student"), _("Assignment"), _("State"), _("Versions")]
    labels = {state: state_label(state) for state in STATE_LABELS}

    def rows():
        yield header
        for student_id, name in students:
            for assignment_id, title in assignments:
                cell = p.cells.get((student_id, assignment_id))
                state = cell.state if cell else "not_started"
                yield [name, title, labels.get(state, state), cell.versions if cell else 0]

    return Response(stream_with_context(csv_stream(rows())), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="progress-cohort-{cohort.id}.csv"'})

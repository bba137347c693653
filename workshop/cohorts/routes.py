"""The home page and the cohort pages every member sees."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam

from ..access import is_confirmed, requires, signed_in
from ..accounts import service as accounts
from ..accounts.forms import JoinCohortForm
from ..db_types import utcnow
from ..extensions import db
from ..roles import Role
from ..submissions.models import Submission
from . import service
from .models import Cohort

bp = Blueprint("cohorts", __name__)


@bp.get("/")
@signed_in
def home():
    cohorts = service.memberships_of(current_user)
    assignments = service.assignments_by_cohort([cohort.id for cohort, _role in cohorts])
    # A student's own submission per assignment (one query), for its state beside each assignment.
    mine = {s.assignment_id: s for s in db.session.scalars(_own_submissions(), {"student_id": current_user.id})}
    # Who may start a cohort (operations.may_create_cohorts), read off the memberships already here.
    may_create = current_user.is_admin or any(role == Role.LEAD for _cohort, role in cohorts)
    return render_template("cohorts/home.html", cohorts=cohorts, assignments=assignments, mine=mine,
                           now=utcnow(), may_create=may_create,
                           unconfirmed=not is_confirmed(current_user))


@cache
def _own_submissions():
    """Built once (see cohorts/service.py)."""
    return db.select(Submission).where(Submission.student_id == bindparam("student_id"))


@bp.route("/join", methods=["GET", "POST"])
@signed_in
def join():
    form = JoinCohortForm()
    if form.validate_on_submit():
        try:
            cohort = accounts.join_with_code(current_user, form.join_code.data)
        except accounts.AccountError as error:
            db.session.rollback()
            form.join_code.errors = [str(error.message)]
        else:
            flash(_("You joined %(cohort)s.", cohort=cohort.name), "success")
            return redirect(url_for("cohorts.overview", cohort_id=cohort.id))
    return render_template("cohorts/join.html", form=form), 422 if form.errors else 200


@bp.get("/cohorts/<int:cohort_id>")
@requires(Role.STUDENT, Cohort)
def overview(cohort: Cohort):
    assignments = service.assignments_by_cohort([cohort.id])[cohort.id]
    return render_template("cohorts/overview.html", cohort=cohort, role=g.cohort_role, assignments=assignments)


@bp.get("/cohorts/<int:cohort_id>/people")
@requires(Role.MENTOR, Cohort)
def people(cohort: Cohort):
    return render_template("cohorts/people.html", cohort=cohort, role=g.cohort_role,
                           members=service.members_of(cohort))

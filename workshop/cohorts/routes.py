"""The cohort pages: what every member sees (the cohort, its people) and the lead's pages
for running it (create and edit it, its join code, archiving).

Views parse, authorise (one decorator each) and call ``service.py``; an ApiError from it
becomes a field error or a flash message. Inviting people is in invitations/, changing
roles and removing members in membership/, the roster import in roster/.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import is_confirmed, requires, signed_in, unconfirmed_response
from ..errors import ApiError
from ..extensions import db
from ..forms import show_error_on
from ..localtime import cohort_zone
from ..roles import Role
from ..templating import format_moment
from ..urls import absolute_url
from . import service
from .forms import SUGGESTED_TIMEZONES, CohortForm, JoinCodeExpiryForm
from .models import Cohort

bp = Blueprint("cohorts", __name__)
admin_bp = Blueprint("cohort_admin", __name__)


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


# --- the lead's pages -------------------------------------------------------------------------

def _cohort_input(form: CohortForm) -> service.CohortInput:
    return service.CohortInput(
        name=form.name.data, description=form.description.data, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, timezone=form.timezone.data,
        review_target_hours=form.review_target_hours.data)


def refuse_on_manage_page(error: ApiError, cohort: Cohort):
    """A refused button press (archived cohort, last lead): say why on the manage page."""
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


def refuse_on_form(error: ApiError, form, cohort: Cohort, page: Callable[[], ResponseReturnValue]):
    """A lead's refused form: the refusal on the field it names, shown by ``page()`` (the form
    again, as sent), else on the manage page (:func:`refuse_on_manage_page`)."""
    db.session.rollback()
    if show_error_on(form, error):
        return page()
    return refuse_on_manage_page(error, cohort)


def joined(cohort: Cohort):
    """Where a person who just joined ``cohort`` (with a code or an invite) goes: its page."""
    flash(_("You joined %(cohort)s.", cohort=cohort.name), "success")
    return redirect(url_for("cohorts.overview", cohort_id=cohort.id))


@admin_bp.route("/cohorts/new", methods=["GET", "POST"])
@signed_in
def new_cohort():
    if not is_confirmed(current_user):
        return unconfirmed_response()
    if not service.may_create_cohorts(current_user):
        abort(403)
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = service.save_cohort(_cohort_input(form), creator=current_user)
        except ApiError as error:
            db.session.rollback()
            show_error_on(form, error) or flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("%(cohort)s is created. Share the join code or invite people.", cohort=cohort.name), "success")
            return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))
    return render_template("cohorts/manage/new.html", form=form, timezones=SUGGESTED_TIMEZONES), \
        422 if form.errors else 200


def _expiry_form(cohort: Cohort) -> JoinCodeExpiryForm:
    """The join code's expiry as the cohort's local date and time, as date and time inputs want them."""
    if cohort.join_code_expires_at is None:
        return JoinCodeExpiryForm(formdata=None)
    local = cohort.join_code_expires_at.astimezone(cohort_zone(cohort))
    return JoinCodeExpiryForm(formdata=None, expires_on=local.date().isoformat(), expires_time=local.strftime("%H:%M"))


def _manage_page(cohort: Cohort, form: CohortForm | None = None, expiry_form: JoinCodeExpiryForm | None = None):
    if form is None:
        form = CohortForm(obj=cohort, formdata=None)
        form.starts_on.data = cohort.starts_on.isoformat() if cohort.starts_on else ""
        form.ends_on.data = cohort.ends_on.isoformat() if cohort.ends_on else ""
        form.review_target_hours.data = str(cohort.review_target_hours)
    if expiry_form is None:
        expiry_form = _expiry_form(cohort)
    status = 422 if form.errors or expiry_form.errors else 200
    return render_template(
        "cohorts/manage/manage.html", cohort=cohort, form=form, expiry_form=expiry_form,
        timezones=SUGGESTED_TIMEZONES, join_link=absolute_url("accounts.signup", code=cohort.join_code),
        join_code_valid=cohort.join_code_valid(),
        expiry_shown=format_moment(cohort.join_code_expires_at, zone=cohort_zone(cohort)),
    ), status


@admin_bp.get("/cohorts/<int:cohort_id>/manage")
@requires(Role.LEAD, Cohort)
def manage(cohort: Cohort):
    return _manage_page(cohort)


@admin_bp.post("/cohorts/<int:cohort_id>/manage")
@requires(Role.LEAD, Cohort)
def save_settings(cohort: Cohort):
    form = CohortForm()
    if form.validate_on_submit():
        try:
            service.save_cohort(_cohort_input(form), cohort)
        except ApiError as error:
            return refuse_on_form(error, form, cohort, lambda: _manage_page(cohort, form=form))
        else:
            db.session.commit()
            flash(_("The cohort's settings are saved."), "success")
            return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))
    return _manage_page(cohort, form=form)


@admin_bp.post("/cohorts/<int:cohort_id>/join-code/rotate")
@requires(Role.LEAD, Cohort)
def rotate_join_code(cohort: Cohort):
    try:
        code = service.rotate_join_code(cohort)
    except ApiError as error:
        return refuse_on_manage_page(error, cohort)
    db.session.commit()
    flash(_("The new join code is %(code)s. The old code no longer works.", code=code), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@admin_bp.post("/cohorts/<int:cohort_id>/join-code/expiry")
@requires(Role.LEAD, Cohort)
def set_join_code_expiry(cohort: Cohort):
    form = JoinCodeExpiryForm()
    try:
        service.set_join_code_expiry(cohort, form.expires_on.data, form.expires_time.data)
    except ApiError as error:
        return refuse_on_form(error, form, cohort, lambda: _manage_page(cohort, expiry_form=form))
    db.session.commit()
    flash(_("The join code's expiry is saved.") if cohort.join_code_expires_at
          else _("The join code now works until you change it."), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@admin_bp.post("/cohorts/<int:cohort_id>/archive")
@requires(Role.LEAD, Cohort)
def archive(cohort: Cohort):
    service.set_archived(cohort, True)
    db.session.commit()
    flash(_("%(cohort)s is archived: it is read-only and its join code no longer works.",
            cohort=cohort.name), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@admin_bp.post("/cohorts/<int:cohort_id>/unarchive")
@requires(Role.LEAD, Cohort, while_archived=True)
def unarchive(cohort: Cohort):
    service.set_archived(cohort, False)
    db.session.commit()
    flash(_("%(cohort)s is active again.", cohort=cohort.name), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))

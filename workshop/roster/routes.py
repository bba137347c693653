"""The roster import pages: upload a CSV, preview what every row will do, confirm.

Parsing is ``parsing.py``'s, keeping and importing ``service.py``'s; these views only
move between the three steps.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from ..access import requires
from ..cohorts.models import Cohort
from ..cohorts.service import ensure_not_archived
from ..errors import ApiError
from ..roles import Role
from . import service
from .forms import RosterUploadForm
from .parsing import HEADER_ALIASES, MAX_BYTES, MAX_ROWS, RosterFileError, parse_roster, problem_text

bp = Blueprint("roster", __name__)


def _upload_page(cohort: Cohort, form: RosterUploadForm, status: int = 200):
    return render_template("roster/upload.html", cohort=cohort, form=form,
                           aliases=HEADER_ALIASES, max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS), status


def _refuse_archived(cohort: Cohort):
    try:
        ensure_not_archived(cohort)
    except ApiError as error:
        flash(str(error.message), "error")
        return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))
    return None


@bp.get("/cohorts/<int:cohort_id>/roster")
@requires(Role.LEAD, Cohort)
def upload_form(cohort: Cohort):
    return _refuse_archived(cohort) or _upload_page(cohort, RosterUploadForm())


@bp.post("/cohorts/<int:cohort_id>/roster")
@requires(Role.LEAD, Cohort)
def upload(cohort: Cohort):
    refused = _refuse_archived(cohort)
    if refused:
        return refused
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _upload_page(cohort, form, 422)
    data = form.file.data.stream.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse
    try:
        parsed = parse_roster(data)
    except RosterFileError as error:
        form.file.errors = [str(error.message)]
        return _upload_page(cohort, form, error.status)  # 413 for a file over the limit
    upload_id = service.store_upload(parsed, cohort, current_user)
    return redirect(url_for("roster.preview", cohort_id=cohort.id, upload_id=upload_id))


def _gone(cohort: Cohort, error: service.UploadGone):
    flash(str(error.message), "error")
    return redirect(url_for("roster.upload_form", cohort_id=cohort.id))


@bp.get("/cohorts/<int:cohort_id>/roster/<upload_id>")
@requires(Role.LEAD, Cohort)
def preview(cohort: Cohort, upload_id: str):
    try:
        parsed = service.load_upload(upload_id, cohort, current_user)
    except service.UploadGone as error:
        return _gone(cohort, error)
    plan = service.plan_import(parsed, cohort)
    return render_template("roster/preview.html", cohort=cohort, parsed=parsed, plan=plan,
                           upload_id=upload_id, problem_text=problem_text)


@bp.post("/cohorts/<int:cohort_id>/roster/<upload_id>")
@requires(Role.LEAD, Cohort)
def confirm(cohort: Cohort, upload_id: str):
    refused = _refuse_archived(cohort)
    if refused:
        return refused
    try:
        parsed = service.load_upload(upload_id, cohort, current_user)
    except service.UploadGone as error:
        return _gone(cohort, error)
    try:
        plan = service.run_import(parsed, cohort, current_user, locale=str(get_locale() or "en"))
    except service.ImportConflict as error:
        flash(str(error.message), "error")
        return redirect(url_for("roster.preview", cohort_id=cohort.id, upload_id=upload_id))
    service.discard_upload(upload_id)
    counts = plan.counts
    flash(_("Roster imported. New people: %(new)d (each is emailed a link to set a password) · existing "
            "accounts invited (they must accept): %(existing)d · already in the cohort: %(member)d · rows with "
            "errors, skipped: %(error)d.", **counts), "success")
    return redirect(url_for("cohorts.people", cohort_id=cohort.id))

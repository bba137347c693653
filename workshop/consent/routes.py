"""Leads' consent pages, the evidence download, and the data-export downloads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from ..access import requires, signed_in
from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..errors import ApiError
from ..extensions import db
from ..forms import show_error_on
from ..localtime import cohort_zone
from ..media.storage import get_storage
from ..notifications import whatsapp
from ..roles import Role
from ..templating import format_day
from . import evidence, requests, service
from .forms import ConsentForm, ConsentRequestForm, WithdrawalForm
from .export import slug, write_export
from .models import Consent

bp = Blueprint("consent", __name__)


@bp.app_context_processor
def _flags():
    # Templates of other features (the version page, the review queue) show the flag.
    # A student's own pages show where their consent stands (never who or how to reach).
    return {"consent_missing": service.consent_missing, "consent_missing_among": service.consent_missing_among,
            "consent_standing": requests.standing_of}


@bp.get("/cohorts/<int:cohort_id>/consent")
@requires(Role.LEAD, Cohort)
def index(cohort: Cohort):
    entries = service.roster(cohort)
    return render_template("consent/index.html", cohort=cohort, entries=entries,
                           grace_days=service.grace_period().days, asked=requests.latest_by_student(cohort),
                           channels=requests.channels(), status_of=requests.status_of,
                           relationships=requests.RELATIONSHIPS)


@bp.post("/cohorts/<int:cohort_id>/consent/requests")
@requires(Role.LEAD, Cohort)
def send_request(cohort: Cohort):
    form = ConsentRequestForm()
    try:
        sent = requests.send_request(cohort, form.student_id.data, form.channel.data or requests.EMAIL,
                                     by=current_user)
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("A consent request is on its way to %(name)s's guardian. The link works until %(date)s.",
                name=db.session.get(User, sent.student_id).name, date=format_day(sent.expires_at, "long", cohort_zone(cohort))), "success")
    return redirect(url_for("consent.index", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/consent/requests/all")
@requires(Role.LEAD, Cohort)
def send_all_requests(cohort: Cohort):
    form = ConsentRequestForm()
    try:
        result = requests.send_to_all_missing(cohort, form.channel.data or requests.EMAIL, by=current_user)
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("consent.index", cohort_id=cohort.id))
    flash(ngettext("%(num)d consent request sent.", "%(num)d consent requests sent.", result.sent), "success")
    if result.skipped:
        flash(_("Not sent, for lack of a guardian contact for this channel: %(names)s.",
                names=", ".join(result.skipped)), "error")
    if result.limited:
        flash(_("Not sent, as their guardians were already sent several requests today: %(names)s.",
                names=", ".join(result.limited)), "error")
    return redirect(url_for("consent.index", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/consent/new", methods=["GET", "POST"])
@requires(Role.LEAD, Cohort, while_archived=True)  # consent records outlive the workshop
def new(cohort: Cohort):
    students = service.minor_students(cohort)
    today = service.today_in(cohort, utcnow()).isoformat()
    if request.method == "POST":
        form = ConsentForm()
    else:  # "Record consent" beside a student on the consent list names them
        chosen = next((s for s in students if s.id == request.args.get("student_id", type=int)), None)
        form = ConsentForm(formdata=None, student_id=chosen.id if chosen else None, given_on=today,
                           guardian_contact=service.suggested_guardian_contact(cohort, chosen) if chosen else "")
    error, status = None, 200
    if form.validate_on_submit():
        try:
            given_on = service.parse_day(form.given_on.data, "given_on")
            service.record_consent(
                cohort, form.student_id.data, guardian_name=form.guardian_name.data,
                guardian_contact=form.guardian_contact.data, given_on=given_on,
                evidence_file=form.evidence.data, by=current_user,
                guardian_whatsapp_opt_out=form.guardian_no_whatsapp.data)
        except ApiError as exc:
            db.session.rollback()
            show_error_on(form, exc)
            error, status = str(exc.message), exc.status
        else:
            flash(_("Consent is recorded."), "success")
            return redirect(url_for("consent.index", cohort_id=cohort.id))
    return render_template("consent/new.html", cohort=cohort, students=students, form=form, error=error,
                           today=today, max_mb=evidence.MAX_BYTES // (1024 * 1024),
                           offer_whatsapp=whatsapp.enabled()), status


@bp.get("/consents/<int:consent_id>/evidence")
@requires(Role.LEAD, Consent)
def evidence_file(consent: Consent):
    if not consent.evidence_key:
        abort(404)
    kind = evidence.kind_of_key(consent.evidence_key)
    student = db.session.get(User, consent.student_id)
    record("consent.evidence_viewed", target=consent, student_id=consent.student_id)
    db.session.commit()
    given_on = consent.given_at.astimezone(_zone_of(consent)).date()
    name = f"consent-{slug(student.name, 'student')}-{given_on:%Y-%m-%d}.{kind.extension}"
    return get_storage().send(consent.evidence_key, mimetype=kind.mimetype, download_name=name)


@bp.route("/consents/<int:consent_id>/withdraw", methods=["GET", "POST"])
@requires(Role.LEAD, Consent, while_archived=True)  # a guardian may withdraw at any time
def withdraw(consent: Consent):
    cohort = db.session.get(Cohort, consent.cohort_id)
    student = db.session.get(User, consent.student_id)
    if consent.withdrawn_at is not None:
        flash(_("This consent has already been withdrawn."), "error")
        return redirect(url_for("consent.index", cohort_id=cohort.id))
    form = WithdrawalForm()
    form.withdrawn_on.data = form.withdrawn_on.data or service.today_in(cohort, utcnow()).isoformat()
    error, status, confirming, due = None, 200, False, None
    if form.validate_on_submit():
        try:
            withdrawn_at = service.start_of_day(service.parse_day(form.withdrawn_on.data, "withdrawn_on"), cohort)
            service.check_withdrawal(consent, withdrawn_at)
            if form.confirmed:
                service.withdraw(consent, withdrawn_at=withdrawn_at, by=current_user)
                db.session.commit()
                flash(_("Consent is withdrawn. %(name)s's videos and personal data in this cohort will be deleted "
                        "on %(date)s.",
                        name=student.name, date=format_day(consent.deletion_due_at, "long", _zone_of(consent))), "success")
                return redirect(url_for("consent.index", cohort_id=cohort.id))
            confirming, due = True, service.deletion_due()
        except ApiError as exc:
            db.session.rollback()
            show_error_on(form, exc)
            error, status = str(exc.message), exc.status
    return render_template("consent/withdraw.html", cohort=cohort, consent=consent, student=student, form=form,
                           confirming=confirming, due=due, error=error,
                           grace_days=service.grace_period().days), status


def _zone_of(consent: Consent) -> ZoneInfo:
    return cohort_zone(db.session.get(Cohort, consent.cohort_id))


# --- data export -----------------------------------------------------------------------

def _send_export(user: User, cohort_id: int | None):
    archive = write_export(user, cohort_id)
    record("data.exported", target=user, cohort_id=cohort_id, student_id=user.id)
    db.session.commit()
    name = f"karya-{slug(user.name, 'data')}-{utcnow():%Y-%m-%d}.zip"
    response = send_file(archive, mimetype="application/zip", as_attachment=True, download_name=name,
                         max_age=0, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/me/export.zip")
@signed_in
def my_export():
    return _send_export(current_user, None)


@bp.get("/cohorts/<int:cohort_id>/people/<int:user_id>/export.zip")
@requires(Role.LEAD, Cohort)
def person_export(cohort: Cohort, user_id: int):
    member = db.session.scalar(db.select(Membership).where(
        Membership.cohort_id == cohort.id, Membership.user_id == user_id))
    person = db.session.get(User, user_id) if member else None
    if person is None or person.deleted_at is not None:
        abort(404)
    return _send_export(person, cohort.id)

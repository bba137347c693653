"""The guardian's pages: no log-in, the unguessable link is the key (consent/requests.py).

Every problem with a link (unknown, expired, locked, or about data already erased)
answers a page that says what happened and what to do, in the guardian's language.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_babel import force_locale, gettext as _

from ..access import public
from ..accounts.models import User
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..errors import ApiError
from ..extensions import db
from ..forms import show_error_on
from ..roles import Role
from . import requests, service
from .forms import CodeRequestForm, GuardianDecisionForm, GuardianWithdrawalForm
from .models import Consent, ConsentRequest

bp = Blueprint("guardian_consent", __name__, url_prefix="/guardian/consent")


def _answer(request: ConsentRequest | None, template: str, status: int = 200, **context):
    """A page in the language the guardian chose here, else the one the link was sent in;
    never cached (it holds a student's first name and the link's state)."""
    language = session.get("locale") or (request.language if request is not None else None)
    if language:
        with force_locale(language):
            body = render_template(template, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _problem(request: ConsentRequest | None, problem: requests.LinkProblem):
    return _answer(request, "consent/guardian_problem.html", problem.status, reason=problem.code,
                   days=requests.expiry().days)


def _load(token: str) -> ConsentRequest:
    request = requests.find(token)
    requests.opened(request)
    db.session.commit()
    return request


def _show(token: str, request: ConsentRequest, *, decision=None, withdrawal=None, error=None, status=200):
    cohort = db.session.get(Cohort, request.cohort_id)
    student = db.session.get(User, request.student_id)
    consent = db.session.get(Consent, request.consent_id) if request.consent_id else None
    leads = db.session.scalars(db.select(User.name).join(Membership, Membership.user_id == User.id).where(
        Membership.cohort_id == cohort.id, Membership.role == Role.LEAD).order_by(User.name)).all()
    code_active = request.code_hash is not None and request.code_expires_at > utcnow()
    return _answer(
        request, "consent/guardian.html", status, token=token, asked=request, cohort=cohort,
        child=requests.first_name(student), consent=consent, leads=leads, code_active=code_active,
        may_decide=requests.may_decide(request), may_withdraw=requests.may_withdraw(request),
        decision=decision or GuardianDecisionForm(formdata=None), code_form=CodeRequestForm(),
        withdrawal=withdrawal or GuardianWithdrawalForm(formdata=None), error=error,
        relationships=requests.RELATIONSHIPS, text_template=requests.TEXT_TEMPLATES[request.text_version],
        grace_days=service.grace_period().days, code_minutes=current_app.config["CONSENT_CODE_MINUTES"])


@bp.get("/<token>")
@public
def page(token: str):
    try:
        request = _load(token)
    except requests.LinkProblem as problem:
        return _problem(_quiet_find(token), problem)
    return _show(token, request)


@bp.post("/<token>/code")
@public
def send_code(token: str):
    try:
        request = _load(token)
    except requests.LinkProblem as problem:
        return _problem(_quiet_find(token), problem)
    try:
        requests.send_code(request)
        db.session.commit()
    except requests.LinkProblem as problem:
        db.session.rollback()
        return _problem(request, problem)
    except ApiError as exc:
        db.session.rollback()
        return _show(token, request, error=str(exc.message), status=exc.status)
    with force_locale(session.get("locale") or request.language):
        flash(_("We sent a code. It works for %(minutes)d minutes.",
                minutes=current_app.config["CONSENT_CODE_MINUTES"]), "success")
    return redirect(url_for("guardian_consent.page", token=token) + "#confirm")


@bp.post("/<token>/decision")
@public
def decide(token: str):
    form = GuardianDecisionForm()
    return _answer_with_code(
        token, form, "decision",
        lambda request: requests.decide(request, give=form.decision.data == "give", code=form.code.data,
                                        guardian_name=form.guardian_name.data, relationship=form.relationship.data),
        lambda request: (_("Thank you. Your consent is recorded.") if request.status == requests.GIVEN
                         else _("Thank you. Your answer is recorded: you do not give consent.")))


@bp.post("/<token>/withdraw")
@public
def withdraw(token: str):
    form = GuardianWithdrawalForm()
    return _answer_with_code(
        token, form, "withdrawal", lambda request: requests.withdraw(request, code=form.code.data),
        lambda request: _("Consent is withdrawn. The student's videos and personal data in this workshop "
                          "will be deleted."))


def _answer_with_code(token: str, form, shown_as: str, act, thanks):
    """A guardian's answer confirmed by a code (a decision or a withdrawal): ``act(request)`` and
    commit, then the page with ``thanks(request)``. A refusal shows the page again with the form
    as ``shown_as`` (its code emptied); a problem with the link, the page that explains it."""
    try:
        request = _load(token)
    except requests.LinkProblem as problem:
        return _problem(_quiet_find(token), problem)
    try:
        act(request)
        db.session.commit()
    except requests.LinkProblem as problem:
        db.session.rollback()
        return _problem(request, problem)
    except ApiError as exc:
        db.session.rollback()
        request = requests.find(token)  # the wrong code was counted and committed
        show_error_on(form, exc)
        form.code.data = ""  # a code is never shown back
        return _show(token, request, error=str(exc.message), status=exc.status, **{shown_as: form})
    with force_locale(session.get("locale") or request.language):
        flash(thanks(request), "success")
    return redirect(url_for("guardian_consent.page", token=token))


def _quiet_find(token: str) -> ConsentRequest | None:
    """The request for its language on a problem page, if the token names one."""
    try:
        return requests.find(token)
    except requests.LinkProblem:
        return None

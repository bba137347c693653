"""The lead's pages for running a cohort: create and edit it, its join code, archiving,
invites, members' roles, and the welcome page where a lead-made account sets its password.

Views parse, authorise (one decorator each) and call ``operations.py`` or
``invitations.py``; an ApiError from those becomes a field error or a flash message.
The roster import pages are in ``manage_roster.py`` on the same blueprint.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import is_confirmed, public, requires, signed_in, unconfirmed_response
from ..accounts import confirmation, service as accounts
from ..accounts.auth import sign_in
from ..accounts.forms import InviteSignUpForm
from ..errors import ApiError
from ..extensions import db
from ..localtime import cohort_zone
from ..roles import Role
from ..templating import ROLE_LABELS
from ..urls import absolute_url
from . import invitations, operations
from .manage_forms import SUGGESTED_TIMEZONES, CohortForm, InviteForm, JoinCodeExpiryForm, show_error_on
from .models import Cohort, Invite, Membership

bp = Blueprint("cohort_admin", __name__)


def _cohort_input(form: CohortForm) -> operations.CohortInput:
    return operations.CohortInput(
        name=form.name.data, description=form.description.data, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, timezone=form.timezone.data,
        review_target_hours=form.review_target_hours.data)


def _refuse(error: ApiError, cohort: Cohort):
    """A refused button press (archived cohort, last lead): say why on the manage page."""
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@signed_in
def new_cohort():
    if not is_confirmed(current_user):
        return unconfirmed_response()
    if not operations.may_create_cohorts(current_user):
        abort(403)
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = operations.save_cohort(_cohort_input(form), creator=current_user)
        except ApiError as error:
            db.session.rollback()
            show_error_on(form, error) or flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("%(cohort)s is created. Share the join code or invite people.", cohort=cohort.name), "success")
            return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))
    return render_template("cohorts/manage/new.html", form=form, timezones=SUGGESTED_TIMEZONES), \
        422 if form.errors else 200


def _expiry_local(cohort: Cohort) -> str:
    """The join code's expiry as the cohort's local time, as a datetime-local input wants it."""
    if cohort.join_code_expires_at is None:
        return ""
    return cohort.join_code_expires_at.astimezone(cohort_zone(cohort)).strftime("%Y-%m-%dT%H:%M")


def _manage_page(cohort: Cohort, form: CohortForm | None = None, expiry_form: JoinCodeExpiryForm | None = None):
    if form is None:
        form = CohortForm(obj=cohort, formdata=None)
        form.starts_on.data = cohort.starts_on.isoformat() if cohort.starts_on else ""
        form.ends_on.data = cohort.ends_on.isoformat() if cohort.ends_on else ""
        form.review_target_hours.data = str(cohort.review_target_hours)
    if expiry_form is None:
        expiry_form = JoinCodeExpiryForm(formdata=None, expires_at=_expiry_local(cohort))
    status = 422 if form.errors or expiry_form.errors else 200
    return render_template(
        "cohorts/manage/manage.html", cohort=cohort, form=form, expiry_form=expiry_form,
        timezones=SUGGESTED_TIMEZONES, join_link=absolute_url("accounts.signup", code=cohort.join_code),
        join_code_valid=cohort.join_code_valid(), expiry_local=_expiry_local(cohort),
    ), status


@bp.get("/cohorts/<int:cohort_id>/manage")
@requires(Role.LEAD, Cohort)
def manage(cohort: Cohort):
    return _manage_page(cohort)


@bp.post("/cohorts/<int:cohort_id>/manage")
@requires(Role.LEAD, Cohort)
def save_settings(cohort: Cohort):
    form = CohortForm()
    if form.validate_on_submit():
        try:
            operations.save_cohort(_cohort_input(form), cohort)
        except ApiError as error:
            db.session.rollback()
            if not show_error_on(form, error):
                return _refuse(error, cohort)
        else:
            db.session.commit()
            flash(_("The cohort's settings are saved."), "success")
            return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))
    return _manage_page(cohort, form=form)


@bp.post("/cohorts/<int:cohort_id>/join-code/rotate")
@requires(Role.LEAD, Cohort)
def rotate_join_code(cohort: Cohort):
    try:
        code = operations.rotate_join_code(cohort)
    except ApiError as error:
        return _refuse(error, cohort)
    db.session.commit()
    flash(_("The new join code is %(code)s. The old code no longer works.", code=code), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/join-code/expiry")
@requires(Role.LEAD, Cohort)
def set_join_code_expiry(cohort: Cohort):
    form = JoinCodeExpiryForm()
    try:
        operations.set_join_code_expiry(cohort, form.expires_at.data)
    except ApiError as error:
        db.session.rollback()
        if not show_error_on(form, error):
            return _refuse(error, cohort)
        return _manage_page(cohort, expiry_form=form)
    db.session.commit()
    flash(_("The join code's expiry is saved.") if cohort.join_code_expires_at
          else _("The join code now works until you change it."), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/archive")
@requires(Role.LEAD, Cohort)
def archive(cohort: Cohort):
    operations.set_archived(cohort, True)
    db.session.commit()
    flash(_("%(cohort)s is archived: it is read-only and its join code no longer works.",
            cohort=cohort.name), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/unarchive")
@requires(Role.LEAD, Cohort, while_archived=True)
def unarchive(cohort: Cohort):
    operations.set_archived(cohort, False)
    db.session.commit()
    flash(_("%(cohort)s is active again.", cohort=cohort.name), "success")
    return redirect(url_for("cohort_admin.manage", cohort_id=cohort.id))


# --- invites ------------------------------------------------------------------------------

def _invites_page(cohort: Cohort, form: InviteForm | None = None, *, link: str | None = None,
                  invited: Invite | None = None, status: int = 200):
    share = None
    if link:
        message = _("You are invited to %(cohort)s on Karya: %(link)s", cohort=cohort.name, link=link)
        share = "https://wa.me/?text=" + quote(message)
    return render_template(
        "cohorts/manage/invites.html", cohort=cohort, form=form or InviteForm(formdata=None),
        invites=invitations.pending_invites(cohort), link=link, invited=invited, share_link=share,
    ), status


@bp.get("/cohorts/<int:cohort_id>/invites")
@requires(Role.LEAD, Cohort)
def invites(cohort: Cohort):
    return _invites_page(cohort)


@bp.post("/cohorts/<int:cohort_id>/invites")
@requires(Role.LEAD, Cohort)
def send_invite(cohort: Cohort):
    form = InviteForm()
    if not form.validate_on_submit():
        return _invites_page(cohort, form, status=422)
    try:
        invite, link = invitations.invite_person(cohort, form.email.data, Role(form.role.data), current_user)
    except ApiError as error:
        db.session.rollback()
        if not show_error_on(form, error):
            return _refuse(error, cohort)
        return _invites_page(cohort, form, status=422)
    # Shown here, once, rather than flashed: the session cookie is no place for a token.
    # No link at all when only the invited person may hold it: then the page says "emailed".
    return _invites_page(cohort, link=link, invited=invite, status=201)


@bp.post("/invites/<int:invite_id>/resend")
@requires(Role.LEAD, Invite)
def resend_invite(invite: Invite):
    try:
        link = invitations.resend_invite(invite, current_user)
    except ApiError as error:
        return _refuse(error, invite.cohort)
    return _invites_page(invite.cohort, link=link, invited=invite)


@bp.post("/invites/<int:invite_id>/revoke")
@requires(Role.LEAD, Invite)
def revoke_invite(invite: Invite):
    cohort, email = invite.cohort, invite.email
    invitations.revoke_invite(invite)
    db.session.commit()
    flash(_("The invite for %(email)s is revoked: its link no longer works.", email=email), "success")
    return redirect(url_for("cohort_admin.invites", cohort_id=cohort.id))


# --- members ------------------------------------------------------------------------------

@bp.post("/memberships/<int:membership_id>/role")
@requires(Role.LEAD, Membership)
def change_role(membership: Membership):
    cohort = membership.cohort
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        abort(400)
    try:
        operations.change_role(membership, role)
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=membership.user.name, role=ROLE_LABELS[role]), "success")
    return redirect(url_for("cohorts.people", cohort_id=cohort.id))


@bp.post("/memberships/<int:membership_id>/remove")
@requires(Role.LEAD, Membership)
def remove_member(membership: Membership):
    cohort, name = membership.cohort, membership.user.name
    try:
        operations.remove_member(membership)
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is no longer in %(cohort)s.", name=name, cohort=cohort.name), "success")
    return redirect(url_for("cohorts.people", cohort_id=cohort.id))


# --- the welcome link of a lead-made account ----------------------------------------------

@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str):
    try:
        invite = accounts.invite_for_token(token)
    except accounts.AccountError as error:
        return render_template("error.html", status=410, message=error.message), 410
    user = invitations.user_by_email(invite.email)
    if (user is None or invitations.has_password(user) or user.email_confirmed_at is not None
            or current_user.is_authenticated):
        # Nothing to set up here: the ordinary invite page signs up, logs in or accepts.
        return redirect(url_for("accounts.invite", token=token))
    form = InviteSignUpForm()
    if request.method == "GET":
        form.name.data = user.name
    if form.validate_on_submit():
        try:
            confirmed = invitations.set_first_password(invite, user, name=form.name.data,
                                                       password=form.password.data,
                                                       confirm_token=request.args.get("confirm"))
        except accounts.AccountError as error:
            db.session.rollback()
            form.password.errors = [str(error.message)]
        else:
            sign_in(user)
            if confirmed:
                flash(_("Welcome to Karya, %(name)s!", name=user.name), "success")
                return redirect(url_for("cohorts.overview", cohort_id=invite.cohort_id))
            # A link shown to a lead proves nothing about the mailbox: confirm from there.
            confirmation.send_confirmation(user)
            flash(_("Welcome to Karya, %(name)s! We emailed a link to %(email)s: open it to confirm your "
                    "address.", name=user.name, email=user.email), "success")
            return redirect(url_for("cohorts.home"))
    return render_template("cohorts/manage/welcome.html", form=form, invite=invite, user=user), \
        422 if form.errors else 200


from . import manage_roster  # noqa: E402,F401  (the roster pages join this blueprint)

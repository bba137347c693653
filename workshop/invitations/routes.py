"""Bringing people into a cohort by invitation: the lead's invites page (send, resend,
revoke), the invite link a person opens to sign up or accept, and the welcome link
where an account a lead made chooses its password.

Views parse, authorise (one decorator each) and call ``service.py``; an ApiError from
it becomes a field error or a flash message.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import is_confirmed, public, requires
from ..accounts import confirmation
from ..accounts.auth import sign_in
from ..accounts.forms import AcceptInviteForm, InviteSignUpForm
from ..accounts.routes import sign_up_page
from ..accounts.models import User
from ..cohorts.models import Cohort
from ..cohorts.routes import joined, refuse_on_form, refuse_on_manage_page
from ..errors import ApiError
from ..extensions import db
from ..roles import Role
from . import service
from .forms import InviteForm
from .models import Invite

bp = Blueprint("invitations", __name__)


# --- the lead's invites page --------------------------------------------------------------

def _invites_page(cohort: Cohort, form: InviteForm | None = None, *, link: str | None = None,
                  invited: Invite | None = None, status: int = 200):
    share = None
    if link:
        message = _("You are invited to %(cohort)s on Karya: %(link)s", cohort=cohort.name, link=link)
        share = "https://wa.me/?text=" + quote(message)
    return render_template(
        "invitations/invites.html", cohort=cohort, form=form or InviteForm(formdata=None),
        invites=service.pending_invites(cohort), link=link, invited=invited, share_link=share,
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
        invite, link = service.invite_person(cohort, form.email.data, Role(form.role.data), current_user)
    except ApiError as error:
        return refuse_on_form(error, form, cohort, lambda: _invites_page(cohort, form, status=422))
    # Shown here, once, rather than flashed: the session cookie is no place for a token.
    # No link at all when only the invited person may hold it: then the page says "emailed".
    return _invites_page(cohort, link=link, invited=invite, status=201)


@bp.post("/invites/<int:invite_id>/resend")
@requires(Role.LEAD, Invite)
def resend_invite(invite: Invite):
    try:
        link = service.resend_invite(invite, current_user)
    except ApiError as error:
        return refuse_on_manage_page(error, invite.cohort)
    return _invites_page(invite.cohort, link=link, invited=invite)


@bp.post("/invites/<int:invite_id>/revoke")
@requires(Role.LEAD, Invite)
def revoke_invite(invite: Invite):
    cohort, email = invite.cohort, invite.email
    service.revoke_invite(invite)
    db.session.commit()
    flash(_("The invite for %(email)s is revoked: its link no longer works.", email=email), "success")
    return redirect(url_for("invitations.invites", cohort_id=cohort.id))


# --- the invite link ----------------------------------------------------------------------

@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept(token: str):
    try:
        invitation = service.invite_for_token(token)
    except ApiError as error:
        return render_template("error.html", status=410, message=error.message), 410

    if current_user.is_authenticated:
        if not service.invite_is_for(invitation, current_user):
            return render_template("invitations/accept.html", form=None, invite=invitation,
                                   wrong_account=True), 403
        if not is_confirmed(current_user):
            return render_template("invitations/accept.html", form=None, invite=invitation,
                                   unconfirmed=True), 403
        form = AcceptInviteForm()
        if form.validate_on_submit():
            service.accept_invite(invitation, current_user)
            return joined(invitation.cohort)
        return render_template("invitations/accept.html", form=form, invite=invitation)

    existing = db.session.scalar(db.select(User.id).where(User.email == invitation.email))
    if existing is not None:
        flash(_("You already have an account. Log in to accept the invite."), "info")
        return redirect(url_for("accounts.login", next=request.path))

    form = InviteSignUpForm()
    return sign_up_page(form, lambda: service.sign_up_with_invite(
        invitation, name=form.name.data, password=form.password.data, locale=session.get("locale")),
        "invitations/signup.html", invite=invitation)


# --- the welcome link of a lead-made account ----------------------------------------------

@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str):
    try:
        invite = service.invite_for_token(token)
    except ApiError as error:
        return render_template("error.html", status=410, message=error.message), 410
    user = service.user_by_email(invite.email)
    if (user is None or service.has_password(user) or user.email_confirmed_at is not None
            or current_user.is_authenticated):
        # Nothing to set up here: the ordinary invite page signs up, logs in or accepts.
        return redirect(url_for("invitations.accept", token=token))
    form = InviteSignUpForm()
    if request.method == "GET":
        form.name.data = user.name
    if form.validate_on_submit():
        try:
            confirmed = service.set_first_password(invite, user, name=form.name.data,
                                                       password=form.password.data,
                                                       confirm_token=request.args.get("confirm"))
        except ApiError as error:
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
            return redirect(url_for("dashboard.home"))
    return render_template("invitations/welcome.html", form=form, invite=invite, user=user), \
        422 if form.errors else 200

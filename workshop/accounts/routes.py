"""Log-in, log-out, sign-up and joining another cohort with a join code, email confirmation,
password reset and language choice. (Signing up through an invite is in invitations/.)"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _, refresh
from flask_login import current_user

from ..access import is_confirmed, public, signed_in
from ..cohorts.routes import joined
from ..errors import ApiError
from ..extensions import db
from ..mail import send_email
from ..urls import absolute_url, safe_redirect_target
from . import confirmation, service
from .auth import sign_in, sign_out
from .forms import (ForgotPasswordForm, JoinCohortForm, LanguageForm, LoginForm, ResetPasswordForm, SignUpForm,
                    apply_form_error)
from .models import User
from .throttle import login_attempts, may_send_reset_email

bp = Blueprint("accounts", __name__)


def _next_or_home() -> str:
    """Where ``?next=`` asks to go after logging in, if that is a path on this site."""
    return safe_redirect_target(request.args.get("next"), url_for("dashboard.home"))


@bp.route("/login", methods=["GET", "POST"])
@public
@login_attempts
def login():
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(_next_or_home())
        form.password.errors = [_("That email and password do not match. Try again, or reset your password.")]
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    sign_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.join"))
    form = SignUpForm()
    if request.method == "GET" and request.args.get("code"):
        form.join_code.data = request.args["code"]
    return sign_up_page(form, lambda: service.sign_up_with_code(
        email=form.email.data, name=form.name.data, password=form.password.data,
        join_code=form.join_code.data, locale=session.get("locale")), "accounts/signup.html")


def sign_up_page(form, sign_up: Callable[[], User], template: str, **context):
    """A sign-up form's page (with a join code here, through an invite in invitations/): a valid
    form is sent to ``sign_up()``, whose refusal goes on the form's field; the new account is
    welcomed and goes home."""
    if form.validate_on_submit():
        try:
            user = sign_up()
        except ApiError as error:
            db.session.rollback()
            apply_form_error(form, error)
        else:
            confirmation.welcome_new_account(user)
            return redirect(url_for("dashboard.home"))
    return render_template(template, form=form, **context), 422 if form.errors else 200


@bp.route("/join", methods=["GET", "POST"])
@signed_in
def join():
    form = JoinCohortForm()
    if form.validate_on_submit():
        try:
            cohort = service.join_with_code(current_user, form.join_code.data)
        except ApiError as error:
            db.session.rollback()
            form.join_code.errors = [str(error.message)]
        else:
            return joined(cohort)
    return render_template("accounts/join.html", form=form), 422 if form.errors else 200


@bp.get("/confirm")
@signed_in
def confirm_needed():
    """The "confirm your email" page, with its resend button."""
    if is_confirmed(current_user):
        return redirect(url_for("dashboard.home"))
    return render_template("accounts/confirm_needed.html")


@bp.post("/confirm/resend")
@signed_in
def resend_confirmation():
    if is_confirmed(current_user):
        flash(_("Your email address is already confirmed."), "info")
        return redirect(url_for("dashboard.home"))
    if confirmation.send_confirmation(current_user, locale=session.get("locale")):
        flash(_("We sent a new link to %(email)s. Check your inbox (and the spam folder).",
                email=current_user.email), "success")
        return redirect(url_for("accounts.confirm_needed"))
    flash(_("We have sent you several links already. Check your inbox (and the spam folder), or try again "
            "in %(minutes)d minutes.", minutes=confirmation.WINDOW_S // 60), "error")
    return render_template("accounts/confirm_needed.html"), 429


@bp.get("/confirm/<token>")
@public
def confirm_email(token: str):
    """Opening the emailed link while signed in as its account confirms the address.
    Knowing the password and reading the mailbox together prove ownership: someone
    who set a password through a link shown to them cannot confirm without the mailbox,
    and the mailbox's owner without the password resets it (which ends theirs)."""
    if not current_user.is_authenticated:
        flash(_("Log in to confirm your email address."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    try:
        confirmation.confirm(token, current_user)
    except ApiError as error:
        db.session.rollback()
        return render_template("accounts/confirm_needed.html", refused=error.message), 400
    flash(_("Your email address is confirmed. Welcome!"), "success")
    return redirect(url_for("dashboard.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = service.normalise_email(form.email.data)
        user = db.session.scalar(db.select(User).where(User.email == email))
        # Every request counts towards the limits, whether or not the account exists, and
        # past them nothing is sent: the same answer either way, so no address probing.
        if may_send_reset_email(email) and user is not None and user.is_active:
            _send_reset_email(user)
        flash(_("If an account uses that email, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


def _send_reset_email(user: User) -> None:
    link = absolute_url("accounts.reset_password", token=service.make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE_S"] // 60
    with force_locale(user.locale or session.get("locale") or "en"):
        send_email(
            user.email,
            _("Choose a new Karya password"),
            render_template("email/password_reset.txt", user=user, link=link, minutes=minutes),
        )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        user = service.user_for_reset_token(token)
    except ApiError as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        signed_in_here = current_user.is_authenticated and current_user.id == user.id
        # The link reached the mailbox, which proves the address is this person's.
        confirmation.mark_confirmed(user, via="reset")
        try:
            service.set_password(user, form.password.data)  # ends every session and token
        except ApiError as error:
            db.session.rollback()
            apply_form_error(form, error)
        else:
            if signed_in_here:
                sign_in(user)
                flash(_("Your password is changed. You are logged out everywhere else."), "success")
                return redirect(url_for("dashboard.home"))
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language: on the account if signed in, else in the session."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)  # only a forged button names another language
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db.session.commit()
    refresh()  # reading the form looked the language up already (its fields' default labels)
    return redirect(safe_redirect_target(form.next.data, url_for("dashboard.home")))

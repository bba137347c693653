"""Account forms. Every label and message is translatable."""

from email_validator import EmailNotValidError, validate_email
from flask import current_app, flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..forms import show_error_on

_required = DataRequired(message=_l("Please fill this in."))


def _email(form, field) -> None:
    """A syntactically valid address. The embedded default and tests also accept
    the reserved ``.test`` domain its demo accounts use."""
    allow_test = current_app.config["KARYA_EMBEDDED"] or current_app.testing
    try:
        validate_email(field.data or "", check_deliverability=False, test_environment=allow_test)
    except EmailNotValidError:
        raise ValidationError(_l("Please enter a valid email address."))


class LoginForm(FlaskForm):
    # No format check at log-in: a wrong address simply does not match.
    email = EmailField(_l("Email"), validators=[_required, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[_required])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SignUpForm(FlaskForm):
    join_code = StringField(_l("Join code"), validators=[_required, Length(max=32)])
    name = StringField(_l("Your name"), validators=[_required, Length(max=120)])
    email = EmailField(_l("Email"), validators=[_required, _email, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        _required, Length(min=8, message=_l("Use at least %(min)d characters for your password.")),
    ])
    confirm = PasswordField(_l("Password again"), validators=[
        _required, EqualTo("password", message=_l("The two passwords are not the same.")),
    ])


class InviteSignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[_required, Length(max=120)])
    password = PasswordField(_l("Password"), validators=[
        _required, Length(min=8, message=_l("Use at least %(min)d characters for your password.")),
    ])
    confirm = PasswordField(_l("Password again"), validators=[
        _required, EqualTo("password", message=_l("The two passwords are not the same.")),
    ])


class AcceptInviteForm(FlaskForm):
    """Just a CSRF-protected button for someone already signed in."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[_required, _email])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        _required, Length(min=8, message=_l("Use at least %(min)d characters for your password.")),
    ])
    confirm = PasswordField(_l("New password again"), validators=[
        _required, EqualTo("password", message=_l("The two passwords are not the same.")),
    ])


class JoinCohortForm(FlaskForm):
    join_code = StringField(_l("Join code"), validators=[_required, Length(max=32)])


class LanguageForm(FlaskForm):
    """The language buttons in every page's header: ``locale`` is the button pressed,
    ``next`` the page to go back to."""

    locale = HiddenField()
    next = HiddenField()

    def validate_locale(self, field) -> None:
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose English or Bahasa Indonesia."))


def apply_form_error(form, error) -> None:
    """Put a service's refusal on the form field it names, else flash it."""
    if not show_error_on(form, error):
        flash(str(error.message), "error")

"""Consent forms: recording a guardian's consent, and withdrawing it in two steps.

The checks live in ``service.py`` (the same ones whatever asks); these forms carry what
the lead typed, so a refused form comes back as it was sent.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField

from ..forms import WholeNumberField


class ConsentForm(FlaskForm):
    student_id = WholeNumberField(_l("Student"))
    guardian_name = StringField(_l("Name of the parent or guardian"), default="")
    guardian_contact = StringField(_l("Their phone or email"), default="")
    guardian_no_whatsapp = BooleanField(_l("They do not want WhatsApp messages"))
    given_on = StringField(_l("Date consent was given"), default="")
    evidence = FileField(_l("Signed consent form"))


class WithdrawalForm(FlaskForm):
    """The date first; then, with ``confirm`` set to "yes", the same date again to carry it out."""

    withdrawn_on = StringField(_l("Date consent was withdrawn"), default="")
    confirm = HiddenField()

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == "yes"


# --- consent by link ------------------------------------------------------------------------

class ConsentRequestForm(FlaskForm):
    """A lead's request for one student's guardian, or (no student) for every one still missing."""

    student_id = WholeNumberField(_l("Student"))
    channel = StringField(_l("Send by"), default="email")


class CodeRequestForm(FlaskForm):
    """The guardian asks for a one-time code: nothing but the CSRF token."""


class GuardianDecisionForm(FlaskForm):
    """The guardian's code, name and relationship, and which button they pressed."""

    code = StringField(_l("Code"), default="")
    guardian_name = StringField(_l("Your name"), default="")
    relationship = StringField(_l("You are the student's"), default="")
    decision = StringField(default="")


class GuardianWithdrawalForm(FlaskForm):
    code = StringField(_l("Code"), default="")

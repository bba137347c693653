"""The notification settings form: which kinds also come by email and by WhatsApp, and the
number WhatsApp messages go to."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField

from .service import KINDS


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(code, kind.label) for code, kind in KINDS.items()]


class EmailChoicesForm(FlaskForm):
    # The kinds ticked; one left unticked is not sent at all, and the service ignores unknown ones.
    email = SelectMultipleField(_l("Send me an email"), default=list, validate_choice=False,
                                choices=_kind_choices())
    whatsapp = SelectMultipleField(_l("Send me a WhatsApp message"), default=list, validate_choice=False,
                                   choices=_kind_choices())
    # Only carried: the service reads the number (workshop/phones.py) and refuses it on this field.
    phone = StringField(_l("Mobile number for WhatsApp"))
    whatsapp_opt_in = BooleanField(_l("Send my notifications by WhatsApp too"))

"""The email settings form: which kinds of notification also come by email."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField

from .service import KINDS


class EmailChoicesForm(FlaskForm):
    # The kinds ticked; one left unticked is not sent at all, and the service ignores unknown ones.
    email = SelectMultipleField(_l("Send me an email"), default=list, validate_choice=False,
                                choices=[SelectChoice(code, kind.label) for code, kind in KINDS.items()])

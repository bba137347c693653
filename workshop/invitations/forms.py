"""The invite form of the lead's invites page. It only carries and labels the values: the
checks live in ``service.py``, shared with the API."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField

from ..roles import Role
from ..templating import ROLE_LABELS


def role_choices():
    return [(role.value, ROLE_LABELS[role]) for role in Role]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"))
    role = SelectField(_l("Role"), choices=role_choices, default=Role.STUDENT.value)

"""The invite form of the lead's invites page. It only carries and labels the values: the
checks live in ``service.py``, shared with the API, and their errors are put back on these
fields by name (``workshop/forms.py``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField

from ..forms import role_choices
from ..roles import Role


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"))
    role = SelectField(_l("Role"), choices=role_choices, default=Role.STUDENT.value)

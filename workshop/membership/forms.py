"""The role form in each row of the people page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..forms import role_choices


class RoleForm(FlaskForm):
    """A member's role, chosen in their row of the people page (only a forged one is refused)."""

    role = SelectField(_l("Role"), choices=role_choices)

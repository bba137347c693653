"""What every feature's forms share: lenient number fields, and putting a refusal on its field.

Each feature keeps its own forms (``review/forms.py``, ``sessions/forms.py``, ...). Most of
them only carry and label what was typed: the checks live in the services, shared with the
API, and a service's refusal names the field to put its message on (:func:`show_error_on`).
A POST-only view may read a form with no checks of its own without ``validate()``:
CSRFProtect has already checked every POST's token. WTForms' own messages have no Indonesian translation, so the
fields here never produce one: they hand the service what they could read and let it say
what is wrong, and every validator a form has is given a message of Karya's.
"""

from __future__ import annotations

from wtforms import Field, SelectChoice
from wtforms.widgets import HiddenInput

from .roles import Role
from .templating import ROLE_LABELS


def _whole_number(text) -> int | None:
    text = text.strip() if isinstance(text, str) else ""
    return int(text) if text.isdigit() else None


class WholeNumberField(Field):
    """A whole number (an id, a time in milliseconds), or None when the input is empty or not one."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        self.data = _whole_number(valuelist[0]) if valuelist else None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class WholeNumberListField(Field):
    """Every value of a repeated input (ticked checkboxes) that is a whole number; others are left out."""

    def process_formdata(self, valuelist):
        self.data = [number for number in map(_whole_number, valuelist) if number is not None]

    def process_data(self, value):
        self.data = list(value or [])


def role_choices() -> list[SelectChoice]:
    """The roles a member can hold, for a select (the invite form's, the people page's)."""
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


def show_error_on(form, error, fields: dict[str, str] | None = None) -> bool:
    """Put a service's refusal on the form field it names; False when it names none here.

    ``fields`` maps the service's (and the API's) field names to the form's where they
    differ, e.g. ``{"due_at": "due_date"}``.
    """
    name = error.extra.get("field") or ""
    field = getattr(form, (fields or {}).get(name, name), None) if name else None
    if field is None:
        return False
    field.errors = list(field.errors or []) + [str(error.message)]
    return True


def first_error(form) -> str | None:
    """The first message of a refused form, for pages that say one thing at the top."""
    for messages in form.errors.values():
        if messages:
            return str(messages[0])
    return None

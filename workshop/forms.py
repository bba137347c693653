"""What every feature's forms share.

Most forms only carry and label what was typed: the checks live in the services, shared
with the API, and a service's refusal names the field to put its message on.
"""

from __future__ import annotations


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

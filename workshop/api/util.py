"""Helpers for reading JSON requests."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from ..errors import BadRequest, Invalid, UnsupportedMediaType


def json_body() -> dict:
    """The request's JSON object, or a 400/415/422 ApiError saying what is wrong."""
    if not request.is_json:
        raise UnsupportedMediaType(_l("Send a JSON body with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_l("The body must be a JSON object."))
    for name, value in data.items():
        if _unstorable(name) or _unstorable(value):
            raise Invalid(_l("'%(field)s' contains a character that cannot be saved, such as a "
                             "NUL character.", field=name), field=name)
    return data


def _unstorable(value) -> bool:
    """Whether a JSON value holds text that no database column can store.

    JSON may carry a NUL character (``\\u0000``) or half of a surrogate pair
    (``\\ud800``); PostgreSQL refuses the first and UTF-8 cannot encode the second.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    return False


def string_field(data: dict, name: str, *, required: bool = True, max_length: int = 10_000) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Invalid(_l("'%(field)s' is required.", field=name), field=name)
        return None
    if not isinstance(value, str):
        raise Invalid(_l("'%(field)s' must be a string.", field=name), field=name)
    if len(value) > max_length:
        raise Invalid(_l("'%(field)s' is too long.", field=name), field=name)
    return value

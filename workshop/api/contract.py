"""The API's contract, declared once per route with pydantic models.

Each route of ``/api/v1`` carries one :func:`operation` decorator, innermost (after
the access decorator, so nobody learns anything about a request they may not make).
It names the request body (a :class:`~workshop.schemas.Body` model), the query (a
:class:`~workshop.schemas.Query` model) and the answers (a :class:`~workshop.schemas.Reply`
model per status). The same declaration

* reads and validates the request: the view receives ``body`` or ``query`` as a model;
  a request that does not fit is refused as :class:`~workshop.errors.Invalid` (422) naming
  the field, in the caller's language;
* serialises the view's answer: a view returns a model (with a status and headers when
  they are not 200), and the model is written as JSON;
* describes the route in ``/api/v1/openapi.json`` (``openapi.py`` reads the declarations
  off the URL map).

Rules that need the database or the whole request (an approval's ``must`` items, an end
after its start) stay in the services, which raise ``Invalid`` themselves.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError

from ..errors import BadRequest, Invalid, UnsupportedMediaType
# The models' vocabulary, named here too: every declaration reads it from this module.
from ..schemas import Body, DateAndTimeText, DateText, DateTimeText, Query, Reply, Timestamp  # noqa: F401


# --- declaring an operation -----------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """One documented answer: a model (JSON), or none (headers or an empty body)."""

    description: str
    model: type[Reply] | None = None
    headers: tuple[str, ...] = ()
    raw: tuple[str, dict] | None = None  # (media type, JSON schema) of an answer that is no model


@dataclass(frozen=True)
class Header:
    """A request header the operation reads (the tus protocol's)."""

    name: str
    description: str = ""
    required: bool = True
    pattern: str | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    description: str
    answers: dict[int, Answer]
    body: type[Body] | None = None
    query: type[Query] | None = None
    errors: tuple[int, ...] = ()
    headers: tuple[Header, ...] = ()
    raw_body: tuple[str, dict] | None = None  # (media type, JSON schema) of a body that is not JSON
    path_descriptions: dict[str, str] = field(default_factory=dict)


def operation(summary: str, *, tag: str, answers: dict[int, Answer], body: type[Body] | None = None,
              query: type[Query] | None = None, errors: tuple[int, ...] = (), headers: tuple[Header, ...] = (),
              raw_body: tuple[str, dict] | None = None, path_descriptions: dict[str, str] | None = None,
              guard: Callable[[], bool] | None = None):
    """Declare what a route takes and gives; validate the request and write the answer by it.

    The view's docstring becomes the operation's description. ``errors`` lists the
    statuses beyond those every operation of its kind may answer (``openapi.py`` adds
    401, 403/404 for an id in the path, and 400/415/422 for a JSON body). ``guard`` is a
    check of the caller beyond the access decorator's, answered 403 when it fails; it runs
    before the request is read, so a refused caller learns nothing from validation.
    """

    def decorate(view):
        declared = Operation(summary, tag, inspect.getdoc(view) or "", answers, body, query, errors,
                             headers, raw_body, path_descriptions or {})

        @functools.wraps(view)
        def run(*args, **kwargs):
            if guard is not None and not guard():
                abort(403)
            if body is not None:
                kwargs["body"] = _validated(body, _json_object())
            if query is not None:
                kwargs["query"] = _validated(query, request.args.to_dict())
            return _written(declared, view(*args, **kwargs))

        run.api_operation = declared
        return run

    return decorate


def _json_object() -> dict:
    """The request's JSON object. Any text in it, wherever it sits, must be storable: JSON
    can carry a NUL character (PostgreSQL refuses it) and half of a surrogate pair (UTF-8
    cannot encode it)."""
    if not request.is_json:
        raise UnsupportedMediaType(_l("Send a JSON body with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_l("The body must be a JSON object."))
    for name, value in data.items():
        if _unstorable(name) or _unstorable(value):
            raise Invalid(refusal({"type": "unstorable", "loc": (name,)}), field=name)
    return data


def _unstorable(value) -> bool:
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


def _written(declared: Operation, result):
    """The view's model as a JSON response; anything else (an empty 204) as Flask takes it."""
    parts = result if isinstance(result, tuple) else (result,)
    if not isinstance(parts[0], Reply):
        return result
    model = parts[0]
    status = parts[1] if len(parts) > 1 else 200
    headers = parts[2] if len(parts) > 2 else None
    expected = declared.answers[status].model
    if type(model) is not expected:
        raise TypeError(f"answered {status} with {type(model).__name__}, declared {expected}")
    return current_app.response_class(model.model_dump_json(), status=status, headers=headers,
                                      mimetype="application/json")


# --- refusing what does not fit, in the caller's language -------------------------------------

def _validated(model: type[BaseModel], data: dict):
    """``data`` as ``model``; the first mistake becomes a 422 naming its top-level field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        named = {"field": str(error["loc"][0])} if error["loc"] else {}
        raise Invalid(refusal(error), **named) from None


def _where(location: tuple) -> str:
    """``answers[0].note`` for ``("answers", 0, "note")``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def refusal(error: dict):
    """The translated sentence for one pydantic error (``ValidationError.errors()`` item)."""
    where, kind, context = _where(error["loc"]), error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _l("'%(field)s' is required.", field=where)
    if kind == "unstorable":
        return _l("'%(field)s' contains a character that cannot be saved, such as a NUL character.",
                  field=where)
    if kind in ("string_type", "string_sub_type"):
        return _l("'%(field)s' must be a string.", field=where)
    if kind == "string_too_long":
        return _l("'%(field)s' is too long (at most %(n)s characters).", field=where,
                  n=context.get("max_length"))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _l("'%(field)s' must be a whole number.", field=where)
    if kind in ("greater_than_equal", "greater_than"):
        return _l("'%(field)s' must be at least %(n)s.", field=where,
                  n=context.get("ge", context.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _l("'%(field)s' must be at most %(n)s.", field=where, n=context.get("le", context.get("lt")))
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _l("'%(field)s' must be a number.", field=where)
    if kind == "too_long":
        return _l("'%(field)s' can have at most %(n)s items.", field=where, n=context.get("max_length"))
    if kind == "too_short":
        return _l("'%(field)s' needs at least %(n)s items.", field=where, n=context.get("min_length"))
    if kind in ("bool_type", "bool_parsing"):
        return _l("'%(field)s' must be true or false.", field=where)
    if kind in ("enum", "literal_error"):
        # pydantic's ctx names the choices as "'a', 'b' or 'c'"; the sentence lists them itself.
        choices = ", ".join(re.findall(r"'([^']*)'", str(context.get("expected", ""))))
        return _l("'%(field)s' must be one of: %(choices)s.", field=where, choices=choices)
    if kind == "list_type":
        return _l("'%(field)s' must be a list.", field=where)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _l("'%(field)s' must be an object.", field=where)
    if kind == "iso_datetime":
        return _l("'%(field)s' must be a date and time in ISO 8601, e.g. 2025-06-03T09:00.", field=where)
    if kind.startswith("date"):
        return _l("'%(field)s' must be a date as YYYY-MM-DD, e.g. 2025-07-14.", field=where)
    return _l("'%(field)s' is not valid.", field=where)


def in_zone(value: datetime | None, zone, field: str) -> datetime | None:
    """A parsed time, put in ``zone`` when it came without an offset. Refused (422 on
    ``field``) when it cannot be stored in UTC: early on 1 January of year 1 east of UTC
    is in year 0, which Python's datetime cannot hold."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise Invalid(refusal({"type": "iso_datetime", "loc": (field,)}), field=field) from None
    return value

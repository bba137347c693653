"""The pydantic vocabulary of JSON: request bodies, query strings and answers.

``workshop/api/contract.py`` declares each route of the API with these models; they sit
here, below every feature, because a page shows some answers too (a version's status on
the version page is the API's ``VersionStatus``, in ``media/presenters.py``), and a
feature may not import the API that imports it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError


class Body(BaseModel):
    """A JSON request body. Strict: ``"5"`` is not a number and ``"yes"`` not a boolean;
    fields a model does not name are ignored. JSON carries enums, dates and times as text:
    enum fields say ``strict=False``, and the ``Date...Text`` types below parse the text."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Query(BaseModel):
    """A query string: text only, so not strict; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


class Reply(BaseModel):
    """A JSON answer. Every field is always present (``null`` when there is nothing)."""

    model_config = ConfigDict(extra="forbid")


def _isoformat(value: datetime) -> str:
    return value.isoformat()


# Answers give times as Python writes them (``+00:00``, not pydantic's ``Z``).
Timestamp = Annotated[datetime, PlainSerializer(_isoformat, return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]


def _from_iso(value: Any, *, needs_time: bool):
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or (needs_time and len(value.strip()) <= 10):
        raise PydanticCustomError("iso_datetime", "not an ISO 8601 date and time")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("iso_datetime", "not an ISO 8601 date and time") from None


# Dates and times arrive as ISO 8601 text and are parsed as Python's fromisoformat does. A
# time without an offset stays naive: the view puts it in the cohort's zone.
# ``DateTimeText`` also takes a bare date (midnight); ``DateAndTimeText`` needs the time.
DateTimeText = Annotated[datetime, BeforeValidator(functools.partial(_from_iso, needs_time=False))]
DateAndTimeText = Annotated[datetime, BeforeValidator(functools.partial(_from_iso, needs_time=True))]


def _date_text(value: Any):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise PydanticCustomError("date_text", "not an ISO 8601 date") from None


DateText = Annotated[date, BeforeValidator(_date_text)]

"""Column types shared by every feature's models, and the way their timestamps are written out."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind Karya stores)."""
    return datetime.now(timezone.utc)


def iso(value) -> str | None:
    """A date or datetime as ISO 8601, or None."""
    return value.isoformat() if value is not None else None


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always read back as aware UTC.

    SQLite keeps no time zone, PostgreSQL would convert to the session's zone;
    storing plain UTC behaves the same on both.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class seconds_between(FunctionElement):
    """``seconds_between(start, end)``: the seconds from one UTCDateTime to another, as a
    float worked out by the database.

    For aggregates over many rows (the dashboard's review turnaround): reading both
    timestamps back costs two datetime objects a row, parsed from text on SQLite, where
    the database hands over one number.
    """

    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between(element, compiler, **kw):
    start, end = element.clauses
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    # SQLite keeps them as ISO text, which julianday() reads as a fraction of days since 4714 BC:
    # that double carries about 40 µs of error, so the result is rounded to the millisecond.
    start, end = element.clauses
    return (f"ROUND((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
            " * 86400.0, 3)")


def str_enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: a VARCHAR with a CHECK, storing the members' values."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# Ids are INTEGER columns. PostgreSQL refuses even to compare one with a larger number
# ("integer out of range"), so an id taken from a URL or a request is checked first.
MAX_ID = 2**31 - 1


def possible_id(value) -> bool:
    """Whether ``value`` is an int that an id column could hold (bools are not ids)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID

"""Reading plain columns without the ORM's object machinery.

``db.session.execute`` runs every statement through the ORM: a compile state, then a
loader that would turn rows into objects. For a statement that selects columns only
(counts, ids, names, the dashboard's aggregates) there are no objects to make, yet
that path cost about a seventh of the busiest pages. These run the same statement on
the session's connection, in the same transaction, and return the same rows.
"""

from __future__ import annotations

from .extensions import db


def rows(statement, params: dict | None = None):
    """The result of a column-only ``statement``, after flushing pending changes if the
    session autoflushes, as ``db.session.execute`` would."""
    session = db.session()
    if session.autoflush:
        session.flush()  # nothing to do, and no round trip, when nothing is pending
    return session.connection().execute(statement, params or {})


def scalar(statement, params: dict | None = None):
    """The first column of the first row (or None) of a column-only ``statement``."""
    return rows(statement, params).scalar()


def scalars(statement, params: dict | None = None) -> list:
    """The first column of every row of a column-only ``statement``."""
    return rows(statement, params).scalars().all()

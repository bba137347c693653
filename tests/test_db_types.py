"""Column types and SQL helpers shared by every feature (workshop/db_types.py), on the test database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import literal, select


@pytest.mark.parametrize("gap", [timedelta(hours=2, minutes=1, seconds=1.25), timedelta(0),
                                 timedelta(seconds=-30.5), timedelta(days=40, microseconds=1000)])
def test_seconds_between_is_worked_out_by_the_database_to_the_millisecond(app, gap):
    from workshop.db_types import UTCDateTime, seconds_between
    from workshop.extensions import db

    start = datetime(2026, 3, 1, 23, 59, 58, 500000, tzinfo=timezone.utc)
    with app.app_context():
        seconds = db.session.scalar(select(seconds_between(literal(start, UTCDateTime()),
                                                           literal(start + gap, UTCDateTime()))))
    assert isinstance(seconds, float)
    assert seconds == pytest.approx(gap.total_seconds(), abs=0.0005)


def test_utc_datetimes_are_read_back_aware_and_refused_naive(app):
    from sqlalchemy.exc import StatementError

    from workshop.db_types import UTCDateTime
    from workshop.extensions import db

    moment = datetime(2026, 11, 23, 7, 0, tzinfo=timezone(timedelta(hours=7)))  # 07:00 in Jakarta
    with app.app_context():
        read = db.session.scalar(select(literal(moment, UTCDateTime())))
        assert read == moment and read.tzinfo == timezone.utc and read.hour == 0
        with pytest.raises(StatementError, match="naive"):
            db.session.scalar(select(literal(datetime(2026, 11, 23), UTCDateTime())))

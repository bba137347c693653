"""A cohort's local time: one zone lookup and one reading of typed dates and times, used by
sessions, assignments, consent records and the API alike."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from workshop.localtime import cohort_zone, parse_local, parse_time, zone_named


def test_a_cohort_zone_falls_back_to_jakarta_when_missing_or_unknown():
    assert cohort_zone(SimpleNamespace(timezone="Asia/Jayapura")) == ZoneInfo("Asia/Jayapura")
    for name in (None, "", "Mars/Olympus_Mons", "../etc/passwd"):
        assert zone_named(name) == ZoneInfo("Asia/Jakarta"), name
    assert cohort_zone(None) == ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize("typed", ["09:30", "09.30", " 9:30 ", "09:30:00"])
def test_times_are_read_as_people_type_them(typed):
    assert parse_time(typed).strftime("%H:%M") == "09:30"


def test_a_typed_date_and_time_is_that_moment_in_the_cohorts_zone(app):
    with app.test_request_context():
        moment = parse_local("2026-12-02", "14.57", ZoneInfo("Asia/Makassar"))  # UTC+8
        assert moment.astimezone(timezone.utc) == datetime(2026, 12, 2, 6, 57, tzinfo=timezone.utc)
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_local("02/12/2026", "14:57", ZoneInfo("Asia/Jakarta"))
        with pytest.raises(ValueError, match="HH:MM"):
            parse_local("2026-12-02", "2pm", ZoneInfo("Asia/Jakarta"))


def test_an_assignment_due_date_without_a_time_is_due_at_the_end_of_that_day(app, client, make):
    from workshop.cohorts.models import Assignment
    from workshop.extensions import db

    from .helpers import PASSWORD

    cohort = make.cohort(name="Kelas Waktu", timezone="Asia/Jayapura")  # UTC+9
    lead = make.user(name="Bu Lead")
    make.member(lead, cohort, "lead")
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    answer = client.post(f"/cohorts/{cohort.id}/assignments/new",
                         data={"title": "Tidur cukup", "due_date": "2026-12-24", "due_time": ""})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]
    with app.app_context():
        due = db.session.execute(db.select(Assignment.due_at)).scalar_one()
    assert due.replace(tzinfo=due.tzinfo or timezone.utc) == datetime(2026, 12, 24, 14, 59, tzinfo=timezone.utc)

    wrong = client.post(f"/cohorts/{cohort.id}/assignments/new",
                        data={"title": "Makan sehat", "due_date": "2026-12-24", "due_time": "jam 9"})
    assert wrong.status_code == 422 and "HH:MM" in wrong.get_data(as_text=True)

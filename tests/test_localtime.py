"""A cohort's local time: one zone lookup and one reading of typed dates and times, used by
sessions, assignments, consent records and the API alike."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from workshop.localtime import (cohort_zone, local_date, parse_date, parse_local, parse_local_datetime,
                                parse_time, parse_zone_name, start_of_day, zone_named)


def test_a_cohort_zone_falls_back_to_jakarta_when_missing_or_unknown():
    assert cohort_zone(SimpleNamespace(timezone="Asia/Jayapura")) == ZoneInfo("Asia/Jayapura")
    for name in (None, "", "Mars/Olympus_Mons", "../etc/passwd", "Asia"):
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


def test_a_typed_date_a_date_and_time_and_a_zone_name(app):
    papua = ZoneInfo("Asia/Jayapura")  # UTC+9
    with app.test_request_context():
        assert parse_date(" 2025-07-14 ").isoformat() == "2025-07-14"
        moment = parse_local_datetime("2025-07-14T18:00", papua)
        assert moment.astimezone(timezone.utc) == datetime(2025, 7, 14, 9, 0, tzinfo=timezone.utc)
        assert parse_local_datetime("2025-07-14 18:00+07:00", papua).utcoffset().total_seconds() == 7 * 3600
        assert parse_zone_name(" Asia/Makassar ") == "Asia/Makassar"
        refusals = [(parse_date, ("14/07/2025",), "Enter the date as YYYY-MM-DD, e.g. 2025-07-14."),
                    (parse_local_datetime, ("next week", papua),
                     "Enter the date and time as YYYY-MM-DD HH:MM, e.g. 2025-07-14 18:00."),
                    (parse_zone_name, ("",), "Choose a time zone."),
                    (parse_zone_name, ("Asia",), "“Asia” is not a time zone we know."),
                    (parse_zone_name, ("Mars/Olympus",), "“Mars/Olympus” is not a time zone we know.")]
        for parse, typed, message in refusals:
            with pytest.raises(ValueError) as refused:
                parse(*typed)
            assert str(refused.value.args[0]).startswith(message), typed


def test_the_start_of_a_local_day_and_the_date_it_is_there():
    papua = ZoneInfo("Asia/Jayapura")
    assert start_of_day(datetime(2025, 7, 14).date(), papua).astimezone(timezone.utc) == datetime(
        2025, 7, 13, 15, 0, tzinfo=timezone.utc)
    late_evening_utc = datetime(2025, 7, 13, 20, 0, tzinfo=timezone.utc)
    assert local_date(late_evening_utc, papua).isoformat() == "2025-07-14"
    assert local_date(late_evening_utc, ZoneInfo("UTC")).isoformat() == "2025-07-13"


def test_every_page_says_the_same_about_a_date_it_cannot_read(app, client, make):
    """Sessions, cohort settings, consent records and the join code's expiry all read typed
    dates with localtime.py, so a wrong one is refused with the same words everywhere."""
    from .helpers import PASSWORD

    cohort = make.cohort(name="Kelas Tanggal")
    lead = make.user(name="Bu Lead")
    make.member(lead, cohort, "lead")
    client.post("/login", data={"email": lead.email, "password": PASSWORD})
    date_message = "Enter the date as YYYY-MM-DD, e.g. 2025-07-14."
    answers = {
        "session": client.post(f"/cohorts/{cohort.id}/sessions/new",
                               data={"title": "Editing", "date": "3 June", "start_time": "09:00"}),
        "cohort settings": client.post(f"/cohorts/{cohort.id}/manage", data={
            "name": "Kelas Tanggal", "starts_on": "1/7/2025", "timezone": "Asia/Jakarta",
            "review_target_hours": "48"}),
        "consent": client.post(f"/cohorts/{cohort.id}/consent/new", data={"given_on": "31/12/2024"}),
        "assignment": client.post(f"/cohorts/{cohort.id}/assignments/new",
                                  data={"title": "Tidur", "due_date": "24-12-2026"}),
    }
    for page, answer in answers.items():
        assert answer.status_code == 422 and date_message in answer.get_data(as_text=True), page
    expiry = client.post(f"/cohorts/{cohort.id}/join-code/expiry", data={"expires_on": "Friday"})
    assert expiry.status_code == 422 and date_message in expiry.get_data(as_text=True)
    region = client.post(f"/cohorts/{cohort.id}/manage", data={"name": "Kelas Tanggal", "timezone": "Asia"})
    assert region.status_code == 422 and "“Asia” is not a time zone we know" in region.get_data(as_text=True)

"""Workshop sessions: scheduling in the cohort's time zone, attendance, the CSV export,
calendar feeds and the sessions API."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from .helpers import PASSWORD, bearer, login

UTC = timezone.utc
FUTURE = datetime(2030, 6, 3, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
PAST = datetime(2020, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def cohort_people(make):
    """A cohort with a lead, a mentor and two students, and an outsider in another cohort."""
    cohort, other = make.cohort(name="Kelas Sehat"), make.cohort(name="Elsewhere")
    people = {
        "lead": make.user(name="Lia Lead"), "mentor": make.user(name="Mas Mentor"),
        "ani": make.user(name="Ani"), "budi": make.user(name="Budi"), "outsider": make.user(name="Oscar"),
    }
    make.member(people["lead"], cohort, "lead")
    make.member(people["mentor"], cohort, "mentor")
    make.member(people["ani"], cohort, "student")
    make.member(people["budi"], cohort, "student")
    make.member(people["outsider"], other, "student")
    return cohort, other, people


def add_session(app, cohort, title="Storyboards", starts_at=FUTURE, hours=2, **fields):
    from workshop.sessions.models import WorkshopSession
    from workshop.extensions import db

    with app.app_context():
        session = WorkshopSession(cohort_id=cohort.id, title=title, starts_at=starts_at,
                                  ends_at=starts_at + timedelta(hours=hours) if hours else None, **fields)
        db.session.add(session)
        db.session.commit()
        return session.id


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def stored(app, session_id):
    from workshop.sessions.models import WorkshopSession
    from workshop.extensions import db

    with app.app_context():
        session = db.session.get(WorkshopSession, session_id)
        if session is not None:
            db.session.expunge(session)
        return session


FORM = {"title": "Editing on a phone", "date": "2030-06-03", "start_time": "09:00", "end_time": "11:30",
        "location": "Ruang 3, SMA 8", "link": "https://meet.example.org/abc", "agenda": "Cuts\nSound"}


# --- scheduling ------------------------------------------------------------------------------

def test_lead_schedules_in_the_cohorts_time_zone_and_it_is_stored_as_utc(app, make, cohort_people):
    cohort, _other, people = cohort_people
    papua = make.cohort(name="Jayapura", timezone="Asia/Jayapura")  # UTC+9
    make.member(people["lead"], papua, "lead")
    lead = as_user(app, people["lead"])

    response = lead.post(f"/cohorts/{cohort.id}/sessions/new", data=FORM)
    assert response.status_code == 302
    assert lead.post(f"/cohorts/{papua.id}/sessions/new", data={**FORM, "start_time": "09.00"}).status_code == 302

    from workshop.sessions.models import WorkshopSession
    from workshop.extensions import db

    with app.app_context():
        rows = {s.cohort_id: s for s in db.session.scalars(db.select(WorkshopSession))}
    jakarta, jayapura = rows[cohort.id], rows[papua.id]
    assert jakarta.starts_at == datetime(2030, 6, 3, 2, 0, tzinfo=UTC)
    assert jakarta.ends_at == datetime(2030, 6, 3, 4, 30, tzinfo=UTC)
    assert (jakarta.location, jakarta.link, jakarta.agenda) == ("Ruang 3, SMA 8", "https://meet.example.org/abc", "Cuts\nSound")
    assert jayapura.starts_at == datetime(2030, 6, 3, 0, 0, tzinfo=UTC)

    # The edit form shows the times as they were typed, in the cohort's zone.
    edit = lead.get(f"/sessions/{jakarta.id}/edit").data.decode()
    assert 'value="2030-06-03"' in edit and 'value="09:00"' in edit and 'value="11:30"' in edit
    assert lead.post(f"/sessions/{jakarta.id}/edit", data={**FORM, "start_time": "10:00"}).status_code == 302
    assert stored(app, jakarta.id).starts_at == datetime(2030, 6, 3, 3, 0, tzinfo=UTC)

    listing = lead.get(f"/cohorts/{cohort.id}/sessions", headers={"Accept-Language": "en"}).data.decode()
    assert "Editing on a phone" in listing and "Monday, 3 June 2030, 10:00" in listing
    assert "Asia/Jakarta" in listing and "Ruang 3, SMA 8" in listing


def test_a_refused_form_explains_each_problem_and_keeps_what_was_typed(app, cohort_people):
    cohort, _other, people = cohort_people
    lead = as_user(app, people["lead"])
    bad = {**FORM, "title": "  ", "end_time": "08:00", "link": "javascript:alert(1)", "agenda": "Keep <me>"}
    response = lead.post(f"/cohorts/{cohort.id}/sessions/new", data=bad, headers={"Accept-Language": "en"})
    page = response.data.decode()
    assert response.status_code == 422
    assert "Give the session a title." in page
    assert "The end must be after the start." in page
    assert "The online link must be a web address starting with http:// or https://." in page
    assert 'value="javascript:alert(1)"' in page and "Keep &lt;me&gt;" in page and 'value="08:00"' in page

    unreadable = lead.post(f"/cohorts/{cohort.id}/sessions/new", headers={"Accept-Language": "en"},
                           data={**FORM, "date": "3 June", "start_time": ""}).data.decode()
    assert "Enter the date as YYYY-MM-DD, e.g. 2025-07-14." in unreadable and 'value="3 June"' in unreadable
    no_time = lead.post(f"/cohorts/{cohort.id}/sessions/new", data={**FORM, "start_time": ""}).data.decode()
    assert "Enter the start time." in no_time

    indonesian = lead.post(f"/cohorts/{cohort.id}/sessions/new", data={**FORM, "title": ""},
                           headers={"Accept-Language": "id"}).data.decode()
    assert "Beri judul untuk sesi ini." in indonesian
    from workshop.sessions.models import WorkshopSession
    from workshop.extensions import db

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WorkshopSession)) == 0


def test_lead_deletes_a_session_after_confirming_and_its_attendance_goes_too(app, cohort_people):
    cohort, _other, people = cohort_people
    session_id = add_session(app, cohort, starts_at=PAST)
    mentor = as_user(app, people["mentor"])
    mentor.post(f"/sessions/{session_id}/attendance", data={f"status-{people['ani'].id}": "present"})
    lead = as_user(app, people["lead"])
    confirm = lead.get(f"/sessions/{session_id}/delete")
    assert confirm.status_code == 200 and b"This cannot be undone." in confirm.data
    assert stored(app, session_id) is not None  # asking is not deleting
    assert mentor.post(f"/sessions/{session_id}/delete").status_code == 403
    assert lead.post(f"/sessions/{session_id}/delete").status_code == 302
    assert stored(app, session_id) is None
    from workshop.sessions.models import Attendance
    from workshop.extensions import db

    with app.app_context():
        assert db.session.scalars(db.select(Attendance)).all() == []


def test_everyone_in_the_cohort_sees_upcoming_first_then_past(app, cohort_people):
    cohort, _other, people = cohort_people
    add_session(app, cohort, title="Long ago", starts_at=PAST)
    add_session(app, cohort, title="Later still", starts_at=FUTURE + timedelta(days=7))
    soon = add_session(app, cohort, title="Next up", starts_at=FUTURE, location="Aula", link="https://zoom.example/j/1",
                       agenda="Bring your phone")
    student = as_user(app, people["ani"])
    page = student.get(f"/cohorts/{cohort.id}/sessions").data.decode()
    assert page.index("Next up") < page.index("Later still") < page.index("Long ago")
    assert "Aula" in page and 'href="https://zoom.example/j/1"' in page and "Bring your phone" in page
    assert f"/sessions/{soon}/event.ics" in page and "Add to my calendar" in page
    assert "Take attendance" not in page and f"/sessions/{soon}/edit" not in page
    assert "/calendar/me/" in page and "/calendar/cohort/" not in page  # the shared feed is for staff
    overview = student.get(f"/cohorts/{cohort.id}").data.decode()
    assert f"/cohorts/{cohort.id}/sessions" in overview and f"/cohorts/{cohort.id}/attendance" not in overview
    assert f"/cohorts/{cohort.id}/attendance" in as_user(app, people["mentor"]).get(f"/cohorts/{cohort.id}").data.decode()


# --- attendance --------------------------------------------------------------------------------

def test_attendance_is_taken_remembered_and_summarised(app, cohort_people):
    from workshop.sessions.service import attendance_rate

    cohort, _other, people = cohort_people
    ani, budi = people["ani"].id, people["budi"].id
    first = add_session(app, cohort, title="First", starts_at=PAST)
    second = add_session(app, cohort, title="Second", starts_at=PAST + timedelta(days=7))
    add_session(app, cohort, title="Future", starts_at=FUTURE)
    with app.app_context():
        assert attendance_rate(cohort.id) is None  # nothing recorded yet

    mentor = as_user(app, people["mentor"])
    page = mentor.get(f"/sessions/{first}/attendance").data.decode()
    assert "<legend>Ani</legend>" in page and "<legend>Budi</legend>" in page
    assert "<legend>Mas Mentor</legend>" not in page  # students only
    assert page.count('type="radio"') == 8

    saved = mentor.post(f"/sessions/{first}/attendance", data={f"status-{ani}": "present", f"status-{budi}": "late"})
    assert saved.status_code == 302
    reopened = mentor.get(f"/sessions/{first}/attendance").data.decode()
    assert re.search(rf'name="status-{ani}" value="present" checked', reopened)
    assert re.search(rf'name="status-{budi}" value="late" checked', reopened)

    lead = as_user(app, people["lead"])
    lead.post(f"/sessions/{second}/attendance", data={f"status-{ani}": "absent", f"status-{budi}": "excused"})
    # A correction replaces the earlier status rather than adding a row.
    lead.post(f"/sessions/{second}/attendance", data={f"status-{ani}": "present", f"status-{budi}": "excused"})

    with app.app_context():
        assert attendance_rate(cohort.id) == pytest.approx(3 / 4)
    summary = lead.get(f"/cohorts/{cohort.id}/attendance", headers={"Accept-Language": "en"}).data.decode()
    assert "Overall attendance rate: 75%" in summary
    assert re.search(r"<td>Ani</td><td[^>]*>2 of 2</td><td[^>]*>100%</td>", summary)
    assert re.search(r"<td>Budi</td><td[^>]*>1 of 2</td><td[^>]*>50%</td>", summary)
    assert "Future" not in summary  # a session yet to happen is not counted


def test_a_tampered_status_is_refused_and_keeps_the_other_choices(app, cohort_people):
    cohort, _other, people = cohort_people
    session_id = add_session(app, cohort, starts_at=PAST)
    mentor = as_user(app, people["mentor"])
    response = mentor.post(f"/sessions/{session_id}/attendance", headers={"Accept-Language": "en"},
                           data={f"status-{people['ani'].id}": "asleep", f"status-{people['budi'].id}": "late"})
    assert response.status_code == 422
    assert b"Choose present, late, excused or absent for each student." in response.data
    assert re.search(rf'name="status-{people["budi"].id}" value="late" checked', response.data.decode())
    # Someone outside the cohort cannot be recorded through a forged field.
    mentor.post(f"/sessions/{session_id}/attendance", data={f"status-{people['outsider'].id}": "present"})
    from workshop.sessions.models import Attendance
    from workshop.extensions import db

    with app.app_context():
        assert db.session.scalars(db.select(Attendance)).all() == []


def test_students_cannot_take_attendance_and_outsiders_see_nothing(app, cohort_people):
    cohort, _other, people = cohort_people
    session_id = add_session(app, cohort)
    student = as_user(app, people["ani"])
    assert student.get(f"/sessions/{session_id}/attendance").status_code == 403
    assert student.post(f"/sessions/{session_id}/attendance",
                        data={f"status-{people['ani'].id}": "present"}).status_code == 403
    assert student.get(f"/cohorts/{cohort.id}/attendance").status_code == 403
    assert student.get(f"/cohorts/{cohort.id}/attendance.csv").status_code == 403
    assert student.get(f"/cohorts/{cohort.id}/sessions/new").status_code == 403
    assert student.get(f"/sessions/{session_id}/edit").status_code == 403
    assert student.get(f"/sessions/{session_id}/event.ics").status_code == 200
    assert as_user(app, people["mentor"]).get(f"/cohorts/{cohort.id}/attendance.csv").status_code == 403

    outsider = as_user(app, people["outsider"])
    for path in (f"/cohorts/{cohort.id}/sessions", f"/sessions/{session_id}/attendance",
                 f"/cohorts/{cohort.id}/attendance", f"/sessions/{session_id}/event.ics",
                 f"/sessions/{session_id}/edit", f"/cohorts/{cohort.id}/attendance.csv"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.post(f"/cohorts/{cohort.id}/calendar/rotate").status_code == 404


# --- calendar feeds ----------------------------------------------------------------------------

def feed_urls(client, cohort_id) -> dict:
    page = client.get(f"/cohorts/{cohort_id}/sessions").data.decode()
    return dict(re.findall(r'id="(my-feed|cohort-feed)" class="feed-url" readonly value="http://localhost([^"]+)"', page))


def events_of(response) -> dict:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_cohort_feed_holds_its_sessions_as_utc_events_with_stable_uids(app, cohort_people, make):
    cohort, other, people = cohort_people
    first = add_session(app, cohort, title="Lighting", location="Ruang 3", link="https://meet.example.org/x",
                        agenda="Windows\nLamps")
    open_ended = add_session(app, cohort, title="Open studio", starts_at=FUTURE + timedelta(days=1), hours=0)
    add_session(app, other, title="Not ours")
    anonymous = app.test_client()  # calendar apps send no cookies
    url = feed_urls(as_user(app, people["mentor"]), cohort.id)["cohort-feed"]
    events = events_of(anonymous.get(url))
    assert set(events) == {f"karya-session-{first}@karya", f"karya-session-{open_ended}@karya"}
    event = events[f"karya-session-{first}@karya"]
    assert event.decoded("DTSTART") == FUTURE and event.decoded("DTEND") == FUTURE + timedelta(hours=2)
    assert b"DTSTART:20300603T020000Z" in anonymous.get(url).data
    assert (str(event["SUMMARY"]), str(event["LOCATION"]), str(event["URL"]), str(event["DESCRIPTION"])) == (
        "Lighting", "Ruang 3", "https://meet.example.org/x", "Windows\nLamps")
    assert "DTEND" not in events[f"karya-session-{open_ended}@karya"]

    # The single download behind "Add to my calendar" has the same UID, so it does not double up.
    single = events_of(as_user(app, people["ani"]).get(f"/sessions/{first}/event.ics"))
    assert list(single) == [f"karya-session-{first}@karya"]


def test_a_persons_feed_holds_the_sessions_of_all_their_cohorts(app, cohort_people, make):
    cohort, other, people = cohort_people
    second = make.cohort(name="Kelas Dua")
    make.member(people["ani"], second, "student")
    mine = add_session(app, cohort, title="Sound")
    theirs = add_session(app, second, title="Framing")
    add_session(app, other, title="Not Ani's")
    url = feed_urls(as_user(app, people["ani"]), cohort.id)["my-feed"]
    events = events_of(app.test_client().get(url))
    assert set(events) == {f"karya-session-{mine}@karya", f"karya-session-{theirs}@karya"}
    assert str(events[f"karya-session-{theirs}@karya"]["SUMMARY"]) == "Framing (Kelas Dua)"


def test_wrong_tokens_get_404_and_rotation_retires_the_old_address(app, cohort_people):
    cohort, _other, people = cohort_people
    add_session(app, cohort)
    anonymous = app.test_client()
    lead = as_user(app, people["lead"])
    urls = feed_urls(lead, cohort.id)
    assert urls == feed_urls(lead, cohort.id)  # made once, then kept
    for url in urls.values():
        assert anonymous.get(url).status_code == 200
        token = url.rsplit("/", 1)[1].removesuffix(".ics")
        wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert anonymous.get(url.replace(token, wrong)).status_code == 404
        assert anonymous.get(url.replace(token, "short")).status_code == 404

    assert lead.post(f"/cohorts/{cohort.id}/calendar/rotate").status_code == 302
    assert lead.post("/calendar/me/rotate", data={"cohort_id": cohort.id}).status_code == 302
    fresh = feed_urls(lead, cohort.id)
    for kind in ("my-feed", "cohort-feed"):
        assert fresh[kind] != urls[kind]
        assert anonymous.get(urls[kind]).status_code == 404
        assert anonymous.get(fresh[kind]).status_code == 200
    # Only leads rotate the cohort's address.
    assert as_user(app, people["mentor"]).post(f"/cohorts/{cohort.id}/calendar/rotate").status_code == 403


# --- export ------------------------------------------------------------------------------------

def test_the_attendance_csv_is_streamed_one_row_per_student_and_session(app, make, cohort_people):
    cohort, _other, people = cohort_people
    sneaky = make.user(name="=HYPERLINK(\"http://evil.example\")")
    make.member(sneaky, cohort, "student")
    first = add_session(app, cohort, title="+SUM(A1)", starts_at=PAST)
    add_session(app, cohort, title="Second", starts_at=PAST + timedelta(days=1))
    as_user(app, people["mentor"]).post(f"/sessions/{first}/attendance", data={
        f"status-{people['ani'].id}": "present", f"status-{sneaky.id}": "late"})

    response = as_user(app, people["lead"]).get(f"/cohorts/{cohort.id}/attendance.csv", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Start", "Session", "Student", "Email", "Status", "Recorded at"]
    assert len(rows) == 1 + 2 * 3  # two sessions × three students
    by_key = {(r[2], r[3]): r for r in rows[1:]}
    assert by_key[("'+SUM(A1)", "Ani")][:2] == ["2020-03-10", "10:00"]
    assert by_key[("'+SUM(A1)", "Ani")][5] == "Present"
    assert by_key[("'+SUM(A1)", "'=HYPERLINK(\"http://evil.example\")")][5] == "Late"
    assert by_key[("Second", "Budi")][5] == ""
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_neutralise_quotes_every_formula_start():
    from workshop.csv_export import neutralise

    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@SUM", "\tx", "plain", None, 5)] == [
        "'=1+1", "'+1", "'-1", "'@SUM", "'\tx", "plain", "", "5"]


def test_a_formula_after_a_semicolon_stays_inside_its_quoted_cell(app, make, cohort_people):
    """Excel in Indonesian splits on ';': an unquoted "Budi;=cmd..." would start a formula cell."""
    cohort, _other, people = cohort_people
    evil = "Budi;=cmd|' /C calc'!A0"
    make.member(make.user(name=evil), cohort, "student")
    add_session(app, cohort, title="Week, one; part", starts_at=PAST)

    body = as_user(app, people["lead"]).get(f"/cohorts/{cohort.id}/attendance.csv").get_data().decode("utf-8-sig")
    shown = "Budi;'=cmd|' /C calc'!A0"  # what follows a ';' is neutralised as a cell of its own
    assert f',"{shown}",' in body and '"Week, one; part"' in body
    for delimiter in (",", ";"):
        cells = [cell for row in csv.reader(io.StringIO(body), delimiter=delimiter) for cell in row]
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), delimiter
    assert shown in [row[3] for row in csv.reader(io.StringIO(body))]


def test_csv_cell_neutralises_then_quotes_separators_of_every_locale():
    from workshop.csv_export import csv_cell, csv_line

    assert csv_cell("Budi;=cmd") == '"Budi;\'=cmd"' and csv_cell("a; -1") == '"a;\' -1"'
    assert csv_cell("a,b") == '"a,b"' and csv_cell('say "hi"') == '"say ""hi"""'
    assert csv_cell("line\nbreak") == '"line\nbreak"' and csv_cell("=1;2") == "\"'=1;2\""
    assert csv_cell("x\n@SUM") == "\"x\n'@SUM\"" and csv_cell('a;"=b') == '"a;\'""=b"'
    assert csv_cell("plain") == "plain" and csv_cell(3) == "3"
    assert csv_line(["-1", None, "x;y"]) == "'-1,,\"x;y\"\r\n"


# --- API ---------------------------------------------------------------------------------------

def api_token(client, user):
    return client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]


def test_api_schedules_sessions_in_the_cohorts_zone_and_lists_them(app, client, cohort_people):
    cohort, _other, people = cohort_people
    lead = bearer(api_token(client, people["lead"]))
    created = client.post(f"/api/v1/cohorts/{cohort.id}/sessions", headers=lead, json={
        "title": "Interviews", "starts_at": "2030-06-03T09:00", "ends_at": "2030-06-03T11:00:00+07:00",
        "location": "Lab", "link": "https://meet.example.org/i", "agenda": "Questions"})
    assert created.status_code == 201
    body = created.json
    assert body["starts_at"] == "2030-06-03T02:00:00+00:00" and body["ends_at"] == "2030-06-03T04:00:00+00:00"
    assert body["timezone"] == "Asia/Jakarta" and body["title"] == "Interviews"
    assert stored(app, body["id"]).starts_at == FUTURE
    utc = client.post(f"/api/v1/cohorts/{cohort.id}/sessions", headers=lead,
                      json={"title": "Late", "starts_at": "2030-06-04T01:00:00Z"})
    assert utc.status_code == 201 and utc.json["ends_at"] is None

    student = bearer(api_token(client, people["ani"]))
    listed = client.get(f"/api/v1/cohorts/{cohort.id}/sessions", headers=student)
    assert [s["title"] for s in listed.json["sessions"]] == ["Interviews", "Late"]


@pytest.mark.parametrize("payload, field, message", [
    ({"starts_at": "2030-06-03T09:00"}, "title", "'title' is required."),
    ({"title": " ", "starts_at": "2030-06-03T09:00"}, "title", "Give the session a title."),
    ({"title": "x"}, "starts_at", "'starts_at' is required."),
    ({"title": "x", "starts_at": "next Monday"}, "starts_at", None),
    ({"title": "x", "starts_at": "2030-06-03"}, "starts_at", None),
    ({"title": "x", "starts_at": "2030-06-03T09:00", "ends_at": "2030-06-03T08:00"}, "ends_at",
     "The end must be after the start."),
    ({"title": "x", "starts_at": "2030-06-03T09:00", "link": "ftp://files.example"}, "link", None),
    ({"title": "x", "starts_at": "2030-06-03T09:00", "location": 5}, "location", "'location' must be a string."),
])
def test_api_refuses_invalid_sessions_naming_the_field(client, cohort_people, payload, field, message):
    cohort, _other, people = cohort_people
    response = client.post(f"/api/v1/cohorts/{cohort.id}/sessions", json=payload,
                           headers={**bearer(api_token(client, people["lead"])), "Accept-Language": "en"})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid" and error["field"] == field
    if message:
        assert error["message"] == message


def test_api_session_creation_is_for_leads_of_the_cohort(client, cohort_people):
    cohort, _other, people = cohort_people
    payload = {"title": "x", "starts_at": "2030-06-03T09:00"}
    for name, status in (("mentor", 403), ("ani", 403), ("outsider", 404)):
        response = client.post(f"/api/v1/cohorts/{cohort.id}/sessions", json=payload,
                               headers=bearer(api_token(client, people[name])))
        assert response.status_code == status, name
    assert client.get(f"/api/v1/cohorts/{cohort.id}/sessions",
                      headers=bearer(api_token(client, people["outsider"]))).status_code == 404


# --- languages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language, expected", [
    ("en", ["Upcoming", "Add to my calendar", "Take attendance", "Attendance summary", "Save attendance",
            "Schedule a session", "Overall attendance rate", "Present"]),
    ("id", ["Akan datang", "Tambahkan ke kalender saya", "Catat kehadiran", "Ringkasan kehadiran",
            "Simpan kehadiran", "Jadwalkan sesi", "Tingkat kehadiran keseluruhan", "Hadir"]),
])
def test_the_pages_render_in_english_and_indonesian(app, cohort_people, language, expected):
    cohort, _other, people = cohort_people
    session_id = add_session(app, cohort, starts_at=FUTURE)
    lead = as_user(app, people["lead"])
    headers = {"Accept-Language": language}
    pages = [lead.get(path, headers=headers) for path in (
        f"/cohorts/{cohort.id}/sessions", f"/sessions/{session_id}/attendance", f"/cohorts/{cohort.id}/attendance",
        f"/cohorts/{cohort.id}/sessions/new", f"/sessions/{session_id}/edit", f"/sessions/{session_id}/delete")]
    assert [p.status_code for p in pages] == [200] * 6
    text = "".join(p.data.decode() for p in pages)
    assert f'<html lang="{language}">' in text
    for phrase in expected:
        assert phrase in text, phrase
    if language == "id":
        assert "Senin, 03 Juni 2030" in text

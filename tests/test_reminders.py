"""Reminders and digests (workshop/reminders/): each at its time and not before or after, to the
right people in their language, and exactly once however many workers run the chore.

The clock is the ``now`` passed to the chore; nothing here waits.
"""

from __future__ import annotations

import logging
import multiprocessing
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from rq import Queue, SimpleWorker

from workshop import housekeeping
from workshop.reminders import schedule, service
from workshop.reminders.models import SentReminder
from workshop.notifications import service as notifications
from workshop.notifications.models import Notification
from workshop.redis_conn import get_redis
from workshop.submissions.models import SubmissionState, VersionState

JAKARTA = ZoneInfo("Asia/Jakarta")
DUE = datetime(2026, 12, 10, 17, 0, tzinfo=JAKARTA)  # a Thursday, 17:00 in Jakarta


def _run(app, now) -> int:
    with app.app_context():
        return service.send_due_reminders(now)


def _sent(app, kind=None) -> list[tuple[int, str, dict]]:
    """(recipient, kind, data) of every notification made, in order."""
    from workshop.extensions import db

    with app.app_context():
        query = db.select(Notification).order_by(Notification.id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return [(n.user_id, n.kind, n.data) for n in db.session.scalars(query)]


def _recipients(app, kind=None) -> list[int]:
    return sorted(user_id for user_id, _kind, _data in _sent(app, kind))


# --- the windows, without a database --------------------------------------------------------

def test_the_windows_open_and_close_at_their_times():
    minute = timedelta(minutes=1)
    assert schedule.due_soon(DUE, DUE - timedelta(hours=48) - minute) is None
    assert schedule.due_soon(DUE, DUE - timedelta(hours=48)).occasion == "48h@20261210T1000Z"
    assert schedule.due_soon(DUE, DUE - timedelta(hours=6) - minute).occasion.startswith("48h@")
    assert schedule.due_soon(DUE, DUE - timedelta(hours=6)).occasion == "6h@20261210T1000Z"
    assert schedule.due_soon(DUE, DUE - minute).occasion.startswith("6h@")
    assert schedule.due_soon(DUE, DUE) is None  # a worker back after the due time sends nothing

    ready = datetime(2026, 12, 10, 0, 0, tzinfo=timezone.utc)  # target 48 h: warned from 38.4 h on
    assert schedule.review_warning(ready, 48, ready + timedelta(hours=38, minutes=23)) is None
    assert schedule.review_warning(ready, 48, ready + timedelta(hours=38, minutes=24)) is not None
    assert schedule.review_warning(ready, 48, ready + timedelta(hours=48)) is None

    session = datetime(2026, 12, 11, 9, 0, tzinfo=JAKARTA)
    assert schedule.session_eve(session, JAKARTA, datetime(2026, 12, 10, 17, 59, tzinfo=JAKARTA)) is None
    assert schedule.session_eve(session, JAKARTA, datetime(2026, 12, 10, 18, 0, tzinfo=JAKARTA)) is not None
    assert schedule.session_eve(session, JAKARTA, session) is None

    monday = datetime(2026, 12, 7, 7, 0, tzinfo=JAKARTA)
    assert schedule.daily_digest(JAKARTA, monday - timedelta(minutes=1)) is None
    assert schedule.daily_digest(JAKARTA, monday).occasion == "2026-12-07"
    assert schedule.daily_digest(JAKARTA, monday + timedelta(hours=12)) is None
    assert schedule.weekly_digest(JAKARTA, monday) is not None
    assert schedule.weekly_digest(JAKARTA, monday + timedelta(days=1)) is None
    # In another zone, 07:00 is another moment.
    assert schedule.daily_digest(ZoneInfo("Asia/Jayapura"), monday - timedelta(hours=2)) is not None


# --- students --------------------------------------------------------------------------------

def test_a_student_with_nothing_uploaded_is_reminded_48_and_6_hours_before_once_each(app, make, caplog):
    cohort, other = make.cohort("Kelas Vlog"), make.cohort("Kelas Lain")
    people = make.people(cohort, {"lead": "lead", "sari": "student", "budi": "student", "dewi": "student",
                                  "eko": "student"}, sari={"locale": "id"})
    outsider = make.people(other, {"tono": "student"}, domain="other.test")["tono"]
    assignment = make.assignment(cohort, "Jaga Diri Online", due_at=DUE)
    make.assignment(other, "Tugas Lain", due_at=DUE + timedelta(days=5))
    make.version(assignment, people["budi"])  # uploaded: no reminder
    make.version(assignment, people["eko"], state=VersionState.FAILED)  # refused: still nothing uploaded
    with app.app_context():
        notifications.set_email_choices(people["dewi"].id, set(notifications.KINDS) - {"assignment_due"})
    waiting_for = sorted([people["sari"].id, people["eko"].id])

    assert _run(app, DUE - timedelta(hours=49)) == 0
    assert _run(app, DUE - timedelta(hours=47)) == 2
    assert _recipients(app) == waiting_for
    assert _run(app, DUE - timedelta(hours=46)) == 0  # the next run, or a restarted worker: nothing new
    assert _run(app, DUE - timedelta(hours=5)) == 2
    assert _run(app, DUE - timedelta(hours=1)) == 0
    assert _run(app, DUE + timedelta(minutes=1)) == 0
    sent = _sent(app)
    assert sorted(user_id for user_id, _k, _d in sent) == sorted(waiting_for * 2)
    assert {kind for _u, kind, _d in sent} == {"assignment_due"}
    assert outsider.id not in {user_id for user_id, _k, _d in sent}

    # Sari reads Indonesian: the date in the notification and the whole email are hers.
    [sari_first, _] = [data for user_id, _k, data in sent if user_id == people["sari"].id]
    assert sari_first == {"assignment": "Jaga Diri Online", "due": "Kamis, 10 Desember 2026 17.00 "
                                                                   "(Waktu Indonesia Barat)"}
    [eko_first, _] = [data for user_id, _k, data in sent if user_id == people["eko"].id]
    assert eko_first["due"] == "Thursday, 10 December 2026, 17:00 (Western Indonesia Time)"
    caplog.set_level(logging.INFO, logger="karya.mail")
    assert Queue("default", connection=get_redis(app)).count == 4  # one email per reminder
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    assert "To: sari@karya.test\nSubject: Tenggat tugas sudah dekat" in caplog.text
    assert "Tenggat “Jaga Diri Online” adalah Kamis, 10 Desember 2026 17.00" in caplog.text
    assert "To: eko@karya.test\nSubject: An assignment is due soon" in caplog.text
    assert f"/assignments/{assignment.id}\n" in caplog.text


def test_a_worker_back_late_sends_only_the_reminder_still_useful(app, make):
    cohort = make.cohort()
    student = make.people(cohort, {"sari": "student"})["sari"]
    assignment = make.assignment(cohort, due_at=DUE)
    assert _run(app, DUE - timedelta(hours=3)) == 1  # down from 48 h to 3 h before: the 6-hour one only
    [(_user, _kind, _data)] = _sent(app)
    with app.app_context():
        from workshop.extensions import db

        [row] = db.session.scalars(db.select(SentReminder)).all()
        assert (row.kind, row.subject_id, row.recipient_id) == ("assignment_due", assignment.id, student.id)
        assert row.occasion.startswith("6h@")
    # A due date moved later is a new occasion: reminded again before the new one.
    with app.app_context():
        from workshop.cohorts.models import Assignment

        db.session.get(Assignment, assignment.id).due_at = DUE + timedelta(days=3)
        db.session.commit()
    assert _run(app, DUE + timedelta(days=1, hours=1)) == 1
    assert _run(app, DUE + timedelta(days=3, minutes=1)) == 0


# --- mentors -----------------------------------------------------------------------------------

def test_a_mentor_is_warned_in_the_last_fifth_of_the_target_and_gets_a_daily_digest(app, make):
    cohort = make.cohort("Kelas Vlog", review_target_hours=10)
    people = make.people(cohort, {"mentor": "mentor", "idle": "mentor", "lead": "lead", "sari": "student",
                                  "budi": "student"})
    assignment = make.assignment(cohort, "Vlog")
    # Ready at 20:00 in Jakarta: the warning comes at 04:00, outside the digests' hours.
    ready = datetime(2026, 12, 8, 13, 0, tzinfo=timezone.utc)
    version = make.version(assignment, people["sari"], submission_state=SubmissionState.AWAITING_REVIEW,
                           ready_at=ready)
    with app.app_context():
        from workshop.extensions import db
        from workshop.submissions.models import Submission

        db.session.get(Submission, version.submission_id).mentor_id = people["mentor"].id
        db.session.commit()
    # Budi's waits for a mentor (the cohort's mentors were busy): the leads answer for it.
    make.version(assignment, people["budi"], submission_state=SubmissionState.AWAITING_REVIEW, ready_at=ready)

    assert _run(app, ready + timedelta(hours=7, minutes=59)) == 0
    assert _run(app, ready + timedelta(hours=8)) == 2
    warning = {"version": 1, "assignment": "Vlog", "target": 10,
               "deadline": "Wednesday, 9 December 2026, 06:00 (Western Indonesia Time)"}
    assert sorted(_sent(app)) == sorted([(people["mentor"].id, "review_due", warning),
                                         (people["lead"].id, "review_due", warning)])
    assert _run(app, ready + timedelta(hours=9)) == 0
    assert _run(app, ready + timedelta(hours=10)) == 0  # past the target: the digest tells it now

    morning = datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)
    assert _run(app, morning - timedelta(minutes=1)) == 0
    assert _run(app, morning) == 2  # both mentors: one video waits for a mentor
    digests = {user_id: data for user_id, _k, data in _sent(app, "mentor_digest")}
    assert digests == {
        people["mentor"].id: {"cohort": "Kelas Vlog", "mine": 1, "overdue": 1, "unassigned": 1},
        people["idle"].id: {"cohort": "Kelas Vlog", "mine": 0, "overdue": 0, "unassigned": 1},
    }
    assert _run(app, morning + timedelta(hours=3)) == 0  # once a day
    assert _run(app, morning + timedelta(days=1)) == 2
    with app.app_context():
        [link] = set(db.session.scalars(db.select(Notification.link).where(Notification.kind == "mentor_digest")))
    assert link == "/reviews?only=mine"


# --- everyone in a cohort --------------------------------------------------------------------

def test_the_evening_before_a_session_every_member_of_its_cohort_hears_where_it_is(app, make):
    cohort, other = make.cohort("Kelas Vlog"), make.cohort("Kelas Lain")
    people = make.people(cohort, {"lead": "lead", "mentor": "mentor", "sari": "student", "tono": "student"},
                         sari={"locale": "id"})
    make.people(other, {"outsider": "student"}, domain="other.test")
    starts = datetime(2026, 12, 11, 9, 0, tzinfo=JAKARTA)
    session = make.session(cohort, "Menyunting di ponsel", location="Ruang 2", link="https://meet.example/abc")
    make.session(other, "Sesi lain", location="Aula")
    archived = make.cohort("Kelas Lama", archived_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    make.people(archived, {"alumnus": "student"}, domain="old.test")
    make.session(archived, "Reuni")  # an archived cohort reminds nobody
    with app.app_context():
        from workshop.extensions import db
        from workshop.sessions.models import WorkshopSession

        for row in db.session.scalars(db.select(WorkshopSession)):
            row.starts_at = starts
        db.session.commit()
        notifications.set_email_choices(people["tono"].id, set(notifications.KINDS) - {"session_tomorrow"})

    assert _run(app, datetime(2026, 12, 10, 17, 59, tzinfo=JAKARTA)) == 0
    assert _run(app, datetime(2026, 12, 10, 18, 0, tzinfo=JAKARTA)) == 4  # three here (Tono said no), one there
    assert _run(app, datetime(2026, 12, 10, 21, 0, tzinfo=JAKARTA)) == 0
    assert _run(app, starts) == 0
    here = {user_id: data for user_id, _k, data in _sent(app) if data["cohort"] == "Kelas Vlog"}
    assert set(here) == {people["lead"].id, people["mentor"].id, people["sari"].id}
    assert here[people["sari"].id] == {"title": "Menyunting di ponsel", "cohort": "Kelas Vlog",
                                       "place": "Ruang 2 · https://meet.example/abc",
                                       "starts": "Jumat, 11 Desember 2026 09.00 (Waktu Indonesia Barat)"}
    with app.app_context():
        links = set(db.session.scalars(db.select(Notification.link).where(Notification.cohort_id == cohort.id)))
    assert links == {f"/cohorts/{cohort.id}/sessions"} and session.cohort_id == cohort.id


# --- leads -------------------------------------------------------------------------------------

def test_a_lead_gets_the_weekly_counts_on_monday_morning_without_names(app, make, caplog):
    cohort, quiet = make.cohort("Kelas Vlog", review_target_hours=24), make.cohort("Kelas Tenang")
    people = make.people(cohort, {"lead": "lead", "mentor": "mentor", "siti_rahma": "student", "signed": "student"},
                         siti_rahma={"is_minor": True}, signed={"is_minor": True})
    quiet_lead = make.people(quiet, {"quiet_lead": "lead"}, domain="quiet.test")["quiet_lead"]
    make.consent(cohort, people["signed"], people["lead"])
    assignment = make.assignment(cohort)
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=JAKARTA)
    late = make.version(assignment, people["siti_rahma"], submission_state=SubmissionState.AWAITING_REVIEW,
                        ready_at=monday - timedelta(hours=30))
    make.concern(late, people["mentor"])

    with app.app_context():
        notifications.set_email_choices(people["mentor"].id, set())  # the mentor's digest off: leads only
    assert _run(app, monday - timedelta(days=1)) == 0  # Sunday
    assert _run(app, monday) == 1
    [(lead_id, kind, data)] = _sent(app)
    assert (lead_id, kind) == (people["lead"].id, "lead_weekly") and quiet_lead.id != lead_id
    assert data == {"cohort": "Kelas Vlog", "consents": 1, "overdue": 1, "concerns": 1}
    assert _run(app, monday + timedelta(hours=2)) == 0
    assert _run(app, monday + timedelta(days=1)) == 0  # Tuesday
    caplog.set_level(logging.INFO, logger="karya.mail")
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    assert ("To: lead@karya.test\nSubject: Your cohort's week\n\nHello Lead,\n\nThis week in Kelas Vlog. "
            "Consent missing: 1. Reviews past the target: 1. Open safeguarding concerns: 1.") in caplog.text
    assert "Siti" not in caplog.text  # the minor behind those counts is named nowhere in the email


# --- several workers -----------------------------------------------------------------------------

def _chore_in_a_process(app, now, results):
    from workshop.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)  # connections of its own, not the parent's
        results.put(service.send_due_reminders(now))


def test_two_workers_at_once_send_each_reminder_exactly_once(app, make, monkeypatch):
    """Two processes, each with its own connections, both find the same reminders due before
    either sends one (they meet at a barrier after reading): the unique key decides."""
    assert "reminders" in [chore.name for chore in housekeeping.chores()]
    cohort = make.cohort()
    students = make.people(cohort, {f"s{n}": "student" for n in range(6)})
    make.assignment(cohort, due_at=DUE)
    context = multiprocessing.get_context("fork")
    both_have_read = context.Barrier(2, timeout=30)
    reading = service.find_due

    def find_then_wait(now):
        found = reading(now)
        both_have_read.wait()
        return found

    monkeypatch.setattr(service, "find_due", find_then_wait)
    now = DUE - timedelta(hours=40)
    results = context.Queue()
    workers = [context.Process(target=_chore_in_a_process, args=(app, now, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert results.get(timeout=5) + results.get(timeout=5) == len(students)
    assert _recipients(app) == sorted(s.id for s in students.values())  # each one once
    assert Queue("default", connection=get_redis(app)).count == len(students)  # one email each

    monkeypatch.setattr(service, "find_due", reading)
    assert _run(app, now + timedelta(minutes=5)) == 0  # a restarted worker sends nothing new
    assert len(_sent(app)) == len(students)

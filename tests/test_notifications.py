"""Notifications: in the app (the bell) and by email through the RQ default queue."""

from __future__ import annotations

import logging
import socket

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import event

from workshop.notifications import service
from workshop.notifications.models import Notification
from workshop.redis_conn import get_redis

from .helpers import PASSWORD, csrf_token_from, login

VERDICT = {"version": 2, "assignment": "Jaga Diri Online", "verdict": "changes_requested"}


def _default_queue(app) -> Queue:
    return Queue("default", connection=get_redis(app))


def _notify(app, user, kind="verdict", data=VERDICT, link="/", commit=True) -> int:
    from workshop.extensions import db

    with app.app_context():
        notification = service.notify(user.id, kind, data=data, link=link)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return notification.id


def _count_rows(app) -> int:
    from workshop.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Notification.id)))


# --- creating and queueing ----------------------------------------------------------------

def test_notify_and_commit_makes_a_row_and_queues_exactly_one_email(app, make):
    user = make.user()
    notification_id = _notify(app, user)
    assert _count_rows(app) == 1
    [job] = _default_queue(app).get_jobs()
    assert job.func_name == "workshop.notifications.service.send_notification_email"
    assert job.args == (notification_id,)


def test_a_rollback_leaves_no_row_and_queues_nothing(app, make):
    from workshop.extensions import db

    user = make.user()
    _notify(app, user, commit=False)
    with app.app_context():  # a later commit in the same session must not send the discarded one
        db.session.commit()
    assert _count_rows(app) == 0
    assert _default_queue(app).count == 0


def test_an_opted_out_kind_keeps_the_in_app_row_but_sends_no_email(app, make):
    user = make.user()
    with app.app_context():
        service.set_email_choices(user.id, enabled=["version_ready"])  # verdict off
    _notify(app, user, kind="verdict")
    assert _count_rows(app) == 1
    assert _default_queue(app).count == 0


def test_redis_down_is_logged_and_the_notification_stands(app, make, monkeypatch, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setitem(app.extensions, "karya_redis",
                        Redis(port=dead_port, socket_connect_timeout=1))
    user = make.user()
    _notify(app, user)  # must not raise
    assert _count_rows(app) == 1
    assert "could not queue the email for notification" in caplog.text


def test_links_must_be_paths_on_this_site(app, make):
    user = make.user()
    with app.app_context():
        for link in ("https://evil.example", "//evil.example", "/\\evil.example", "notifications"):
            with pytest.raises(ValueError):
                service.notify(user.id, "verdict", data=VERDICT, link=link)
        with pytest.raises(ValueError):
            service.notify(user.id, "no_such_kind", data={}, link="/")


def test_notify_cohort_reaches_one_role_except_the_actor(app, make):
    from workshop.roles import Role

    cohort = make.cohort()
    mentor, other_mentor, student = make.user(), make.user(), make.user()
    make.member(mentor, cohort, "mentor")
    make.member(other_mentor, cohort, "mentor")
    make.member(student, cohort, "student")
    with app.app_context():
        from workshop.extensions import db

        made = service.notify_cohort(cohort.id, Role.MENTOR, "review_needed", link="/",
                                     data={"student": "Sari", "version": 1, "assignment": "A"},
                                     exclude_user_id=other_mentor.id)
        db.session.commit()
        assert [n.user_id for n in made] == [mentor.id]


# --- the email job --------------------------------------------------------------------------

def test_the_job_emails_in_the_recipients_language_with_an_absolute_link(app, make, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "BASE_URL", "https://karya.example.org")
    cohort = make.cohort()
    assignment = make.assignment(cohort)
    student = make.user(name="Sari", email="sari@karya.test", locale="id")
    _notify(app, student, link=f"/assignments/{assignment.id}")
    caplog.set_level(logging.INFO, logger="karya.mail")
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    assert "To: sari@karya.test" in caplog.text
    assert "Subject: Video Anda sudah diulas" in caplog.text
    assert "Versi 2 video Anda untuk “Jaga Diri Online” sudah diulas: perlu perbaikan." in caplog.text
    assert f"https://karya.example.org/assignments/{assignment.id}\n" in caplog.text
    assert "https://karya.example.org/settings/notifications" in caplog.text


def test_without_a_saved_language_the_email_is_in_english(app, make, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "BASE_URL", "https://karya.example.org")
    user = make.user(email="guru@karya.test")
    notification_id = _notify(app, user, kind="reply", data={"name": "Bu Rina", "assignment": "Vlog"},
                              link="/no/such/page")
    caplog.set_level(logging.INFO, logger="karya.mail")
    with app.app_context():
        assert service.send_notification_email(notification_id) == "sent"
    assert "Subject: New reply" in caplog.text
    assert "Bu Rina replied in the conversation about “Vlog”." in caplog.text
    assert "https://karya.example.org/notifications\n" in caplog.text  # unknown path: the list


def test_the_job_for_a_vanished_notification_does_nothing(app):
    with app.app_context():
        assert service.send_notification_email(999999) == "gone"


# --- pages ----------------------------------------------------------------------------------

def test_the_bell_shows_the_unread_count_and_it_drops_after_opening(app, client, make):
    user = make.user()
    first = _notify(app, user, link="/join")
    _notify(app, user)
    login(client, user)
    page = client.get("/").data.decode()
    assert 'class="bell-count" aria-hidden="true">2<' in page
    assert 'aria-label="Notifications: 2 unread"' in page

    response = client.post(f"/notifications/{first}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/join"
    assert 'class="bell-count" aria-hidden="true">1<' in client.get("/").data.decode()

    client.post("/notifications/read-all")
    page = client.get("/").data.decode()
    assert "bell-count" not in page and 'aria-label="Notifications"' in page


def test_a_page_counts_unread_notifications_with_one_query(app, client, make):
    from workshop.extensions import db

    user = make.user()
    _notify(app, user)
    login(client, user)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sum("FROM notifications" in s for s in statements) == 1


def test_someone_elses_notification_cannot_be_opened(app, client, make):
    owner, other = make.user(), make.user()
    notification_id = _notify(app, owner)
    login(client, other)
    assert client.post(f"/notifications/{notification_id}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    with app.app_context():
        assert service.unread_count(owner.id) == 1


def test_opening_never_redirects_off_site(app, client, make):
    from workshop.extensions import db

    user = make.user()
    with app.app_context():  # a bad row written around notify()'s check
        bad = Notification(user_id=user.id, kind="verdict", data=VERDICT, link="//evil.example/x")
        db.session.add(bad)
        db.session.commit()
        bad_id = bad.id
    login(client, user)
    response = client.post(f"/notifications/{bad_id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"


def test_opening_needs_a_csrf_token(csrf_app, make):
    user = make.user()
    notification_id = _notify(csrf_app, user)
    client = csrf_app.test_client()
    page = client.get("/login").data
    client.post("/login", data={"email": user.email, "password": PASSWORD,
                                "csrf_token": csrf_token_from(page)})
    assert client.post(f"/notifications/{notification_id}/open").status_code == 400
    listing = client.get("/notifications").data
    response = client.post(f"/notifications/{notification_id}/open",
                           data={"csrf_token": csrf_token_from(listing)})
    assert response.status_code == 302


def test_the_list_highlights_unread_and_renders_in_english_and_indonesian(app, client, make):
    user = make.user()
    _notify(app, user, kind="version_ready", data={"version": 1, "assignment": "Vlog"})
    opened = _notify(app, user)
    login(client, user)
    client.post(f"/notifications/{opened}/open")

    english = client.get("/notifications", headers={"Accept-Language": "en"}).data.decode()
    assert "Version 1 of your video for “Vlog” is ready to watch." in english
    assert "Mark all as read" in english
    assert english.count('class="notification unread"') == 1

    indonesian = client.get("/notifications", headers={"Accept-Language": "id"}).data.decode()
    assert '<html lang="id">' in indonesian
    assert "Versi 1 video Anda untuk “Vlog” siap ditonton." in indonesian
    assert "sudah diulas: perlu perbaikan." in indonesian
    assert "Tandai semua sudah dibaca" in indonesian and "Mark all as read" not in indonesian


def test_the_settings_page_saves_choices(app, client, make):
    user = make.user()
    login(client, user)
    page = client.get("/settings/notifications").data.decode()
    assert page.count("checked") == len(service.KINDS)  # email on by default
    assert "Send me an email" in page

    response = client.post("/settings/notifications", data={"email": ["verdict", "reply"]})
    assert response.status_code == 302
    with app.app_context():
        assert service.email_choices(user.id) == {kind: kind in ("verdict", "reply") for kind in service.KINDS}
        assert service.email_choices(user.id)["version_ready"] is False
    page = client.get("/settings/notifications").data.decode()
    assert page.count("checked") == 2

    indonesian = client.get("/settings/notifications", headers={"Accept-Language": "id"}).data.decode()
    assert "Pengaturan notifikasi" in indonesian and "Kirimi saya email" in indonesian


def test_the_pages_need_a_signed_in_person(client):
    assert client.get("/notifications").status_code in (302, 401)
    assert client.get("/settings/notifications").status_code in (302, 401)

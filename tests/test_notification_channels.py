"""A notification fans out: in the app always, by email as chosen, by WhatsApp for people
who gave a number and turned it on. WhatsApp goes to a stand-in for the Cloud API on
loopback (tests/whatsapp_server.py); whatever it answers, the in-app notification stays."""

from __future__ import annotations

import logging

from rq import Queue, SimpleWorker

from workshop.accounts.models import User
from workshop.extensions import db
from workshop.notifications import service
from workshop.notifications.models import EmailPreference, Notification, WhatsAppMessage
from workshop.redis_conn import get_redis
from workshop.roles import Role

from .helpers import login
from .whatsapp_server import cloud_api, whatsapp_configured  # noqa: F401 (fixtures)

STUDENT_NAME = "Siti Nurhaliza Rahmawati"
PHONE = "+6281298765432"


def work(app) -> None:
    with app.app_context():
        SimpleWorker([Queue("default", connection=get_redis(app))], connection=get_redis(app)).work(burst=True)


def mentor_with_whatsapp(make, **fields):
    cohort = make.cohort()
    mentor = make.user("Budi Mentor", phone=PHONE, whatsapp_opt_in=True, locale="id", **fields)
    make.member(mentor, cohort, Role.MENTOR)
    return mentor, cohort


def notify_review_needed(app, mentor, cohort) -> int:
    with app.app_context():
        notification = service.notify(
            mentor.id, "review_needed", cohort_id=cohort.id, link="/notifications",
            data={"student": STUDENT_NAME, "version": 2, "assignment": "Jaga Diri Online"})
        db.session.commit()
        return notification.id


def test_an_opted_in_person_gets_the_app_email_and_whatsapp_without_any_name(app, make, whatsapp_configured,
                                                                             caplog):
    mentor, cohort = mentor_with_whatsapp(make)
    with caplog.at_level(logging.INFO, logger="karya.mail"):
        notify_review_needed(app, mentor, cohort)
        work(app)
    assert "Subject: Ada video yang menunggu ulasan Anda" in caplog.text  # the email went too
    [body] = whatsapp_configured.bodies()
    assert body["to"] == PHONE.lstrip("+")
    assert body["template"]["name"] == "karya_notification" and body["template"]["language"] == {"code": "id"}
    what, link = [p["text"] for p in body["template"]["components"][0]["parameters"]]
    assert what == "Ada video yang menunggu ulasan Anda"
    assert link.startswith("http") and link.endswith("/notifications")
    sent = str(whatsapp_configured.requests)
    for part in STUDENT_NAME.split():  # not the full name, not even the first name
        assert part not in sent
    assert "Jaga Diri Online" not in sent
    with app.app_context():
        assert db.session.scalar(db.select(WhatsAppMessage.status)) == "sent"
        assert service.unread_count(mentor.id) == 1


def test_no_whatsapp_without_opting_in_or_for_a_kind_turned_off(app, make, whatsapp_configured):
    cohort = make.cohort()
    quiet = make.user(phone=PHONE, whatsapp_opt_in=False)
    choosy = make.user(phone="+6281311112222", whatsapp_opt_in=True)
    numberless = make.user(whatsapp_opt_in=True)
    for person in (quiet, choosy, numberless):
        make.member(person, cohort, Role.MENTOR)
    with app.app_context():
        service.set_choices(choosy.id, email=list(service.KINDS),
                            whatsapp_kinds=[k for k in service.KINDS if k != "review_needed"])
    for person in (quiet, choosy, numberless):
        notify_review_needed(app, person, cohort)
    with app.app_context():
        jobs = Queue("default", connection=get_redis(app)).get_jobs()
        assert [job.func_name.rsplit(".", 1)[1] for job in jobs] == ["send_notification_email"] * 3
    work(app)
    assert whatsapp_configured.requests == []


def test_turning_whatsapp_off_before_the_job_runs_is_honoured(app, make, whatsapp_configured):
    mentor, cohort = mentor_with_whatsapp(make)
    notify_review_needed(app, mentor, cohort)
    with app.app_context():
        db.session.get(User, mentor.id).whatsapp_opt_in = False
        db.session.commit()
    work(app)
    assert whatsapp_configured.requests == []


def test_when_whatsapp_is_not_enabled_nothing_is_queued_for_it(app, make):
    mentor, cohort = mentor_with_whatsapp(make)
    notify_review_needed(app, mentor, cohort)
    with app.app_context():
        jobs = Queue("default", connection=get_redis(app)).get_jobs()
        assert [job.func_name.rsplit(".", 1)[1] for job in jobs] == ["send_notification_email"]


def test_a_failing_whatsapp_never_loses_the_notification(app, make, whatsapp_configured):
    mentor, cohort = mentor_with_whatsapp(make)
    whatsapp_configured.script(PHONE, *["server_error"] * 10)
    notification_id = notify_review_needed(app, mentor, cohort)
    work(app)
    assert len(whatsapp_configured.requests) == 4  # tried, and retried with backoff
    with app.app_context():
        assert db.session.get(Notification, notification_id) is not None
        assert service.unread_count(mentor.id) == 1
        assert db.session.scalar(db.select(WhatsAppMessage.status)) == "failed"
        assert Queue("default", connection=get_redis(app)).failed_job_registry.count == 0


# --- the settings page ------------------------------------------------------------------

def test_the_settings_page_saves_the_number_in_e164_and_the_whatsapp_choices(app, client, make,
                                                                             whatsapp_configured):
    user = make.user()
    login(client, user)
    page = client.get("/settings/notifications").data.decode()
    assert "Send me a WhatsApp message" in page and 'autocomplete="tel"' in page
    response = client.post("/settings/notifications", data={
        "phone": "0812-3456-7890", "whatsapp_opt_in": "y", "email": ["verdict"], "whatsapp": ["verdict", "reply"]})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.phone, saved.whatsapp_opt_in) == ("+6281234567890", True)
        choices = service.channel_choices(user.id)
        assert choices["verdict"] == {"email": True, "whatsapp": True}
        assert choices["reply"] == {"email": False, "whatsapp": True}
        assert choices["concern"] == {"email": False, "whatsapp": False}


def test_an_invalid_number_is_refused_on_its_field_and_nothing_typed_is_lost(app, client, make,
                                                                            whatsapp_configured):
    user = make.user(locale="id")
    login(client, user)
    response = client.post("/settings/notifications", data={
        "phone": "0812 34", "whatsapp_opt_in": "y", "email": ["reply"], "whatsapp": ["verdict"]})
    page = response.data.decode()
    assert response.status_code == 422
    assert "bukan nomor telepon yang valid" in page and 'value="0812 34"' in page
    assert 'aria-invalid="true"' in page
    assert page.count("checked") == 3  # the opt-in, the email and the WhatsApp box ticked
    response = client.post("/settings/notifications", data={"phone": "", "whatsapp_opt_in": "y"})
    assert response.status_code == 422 and "Masukkan nomor ponsel" in response.data.decode()
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.phone, saved.whatsapp_opt_in) == ("", False)
        assert db.session.scalar(db.select(db.func.count()).select_from(EmailPreference)) == 0


def test_an_account_whose_address_is_not_confirmed_can_set_no_number(app, client, make, whatsapp_configured):
    # Someone who signed up with another person's address must not leave their own number on
    # the account for the address's owner to claim later, still sending it the owner's news.
    squatter = make.user(email_confirmed_at=None, locale="en")
    login(client, squatter)
    response = client.post("/settings/notifications", data={"phone": "0812-3456-7890", "whatsapp_opt_in": "y"})
    assert response.status_code == 422 and "Confirm your email address first" in response.data.decode()
    with app.app_context():
        assert (db.session.get(User, squatter.id).phone, db.session.get(User, squatter.id).whatsapp_opt_in) == (
            "", False)
    mentor, cohort = mentor_with_whatsapp(make, email_confirmed_at=None)  # a number set before this check
    notify_review_needed(app, mentor, cohort)
    work(app)
    assert whatsapp_configured.requests == []


def test_without_whatsapp_the_settings_page_offers_only_email(app, client, make):
    user = make.user(phone=PHONE, whatsapp_opt_in=True)
    login(client, user)
    page = client.get("/settings/notifications").data.decode()
    assert "WhatsApp" not in page
    assert client.post("/settings/notifications", data={"email": []}).status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.phone, saved.whatsapp_opt_in) == (PHONE, True)  # kept for when it is back


def test_a_reminder_is_silenced_only_when_it_comes_neither_by_email_nor_by_whatsapp(app, make, cloud_api):
    by_whatsapp = make.user(phone=PHONE, whatsapp_opt_in=True)
    silenced = make.user(phone="+6281311112222", whatsapp_opt_in=True)
    numberless = make.user(whatsapp_opt_in=False)
    with app.app_context():
        for person in (by_whatsapp, silenced, numberless):
            service.set_choices(person.id, email=[], whatsapp_kinds=["session_tomorrow"] if person is not silenced
                                else [])
        assert service.turned_off_everywhere(["session_tomorrow"]) == {
            (by_whatsapp.id, "session_tomorrow"), (silenced.id, "session_tomorrow"),
            (numberless.id, "session_tomorrow")}  # WhatsApp is not set up here: email alone counts
    app.config["WHATSAPP_PRINT"] = True
    try:
        with app.app_context():
            assert service.turned_off_everywhere(["session_tomorrow"]) == {
                (silenced.id, "session_tomorrow"), (numberless.id, "session_tomorrow")}
    finally:
        app.config["WHATSAPP_PRINT"] = False

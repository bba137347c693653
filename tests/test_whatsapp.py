"""WhatsApp template messages against a stand-in for the Cloud API on loopback
(tests/whatsapp_server.py): the payload's shape, the token, retries of what the platform
asks to retry, none of what will never succeed, and the outcome recorded."""

from __future__ import annotations

import logging

import pytest
from rq import Queue, SimpleWorker

from workshop.extensions import db
from workshop.notifications import whatsapp
from workshop.notifications.models import WhatsAppMessage
from workshop.redis_conn import get_redis

from .whatsapp_server import PHONE_NUMBER_ID, TOKEN, cloud_api, whatsapp_configured  # noqa: F401 (fixtures)

NUMBER = "+6281234567890"


@pytest.fixture
def configured(whatsapp_configured):
    return whatsapp_configured


def work(app) -> None:
    with app.app_context():
        SimpleWorker([Queue("default", connection=get_redis(app))], connection=get_redis(app)).work(burst=True)


def send(app, to=NUMBER, template="notification", language="id", parameters=("Video Anda siap", "https://karya.test/")):
    with app.test_request_context():
        whatsapp.send_later(to, template, language, list(parameters))
    work(app)


def outcomes(app) -> list[tuple]:
    with app.app_context():
        return [(m.template, m.status, m.attempts, m.error_code)
                for m in db.session.scalars(db.select(WhatsAppMessage).order_by(WhatsAppMessage.id))]


def test_a_template_message_has_the_documented_shape_and_the_bearer_token(app, configured):
    send(app, template="guardian_consent_link", language="en",
         parameters=["Siti", "Jakarta Creators 2027", "https://karya.test/consent/abc"])
    [request] = configured.requests
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["path"].endswith(f"/{PHONE_NUMBER_ID}/messages")
    assert request["body"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
        "type": "template",
        "template": {"name": "karya_guardian_consent_link", "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Siti"},
                                            {"type": "text", "text": "Jakarta Creators 2027"},
                                            {"type": "text", "text": "https://karya.test/consent/abc"}]}]},
    }
    [(template, status, attempts, _)] = outcomes(app)
    assert (template, status, attempts) == ("guardian_consent_link", "sent", 1)
    with app.app_context():
        message = db.session.scalar(db.select(WhatsAppMessage))
        assert message.platform_message_id.startswith("wamid.")
        assert NUMBER not in message.recipient_digest and message.recipient_digest == whatsapp.recipient_digest(NUMBER)


def test_the_code_template_repeats_the_code_on_its_copy_button(app, configured):
    send(app, template="guardian_consent_code", parameters=["482913"])
    components = configured.bodies()[0]["template"]["components"]
    assert components[1] == {"type": "button", "sub_type": "url", "index": "0",
                             "parameters": [{"type": "text", "text": "482913"}]}


def test_the_template_name_comes_from_configuration(app, configured):
    app.config["WHATSAPP_TEMPLATE_NOTIFICATION"] = "pemberitahuan_karya"
    try:
        send(app)
    finally:
        app.config["WHATSAPP_TEMPLATE_NOTIFICATION"] = "karya_notification"
    assert configured.bodies()[0]["template"]["name"] == "pemberitahuan_karya"


def test_a_rate_limit_is_retried_until_it_is_sent(app, configured):
    configured.script(NUMBER, "rate_limit", "pair_rate_limit")
    send(app)
    assert len(configured.requests) == 3
    assert outcomes(app) == [("notification", "sent", 3, None)]


def test_an_undeliverable_number_is_not_retried_and_is_recorded_as_failed(app, configured, caplog):
    configured.script(NUMBER, "undeliverable")
    with caplog.at_level(logging.ERROR, logger="karya.whatsapp"):
        send(app)
    assert len(configured.requests) == 1
    assert outcomes(app) == [("notification", "failed", 1, 131026)]
    assert "131026" in caplog.text and NUMBER not in caplog.text.replace("+", "x")  # the reason, not the number


def test_an_invalid_parameter_is_not_retried(app, configured):
    configured.script(NUMBER, "invalid_parameter")
    send(app)
    assert len(configured.requests) == 1
    assert outcomes(app) == [("notification", "failed", 1, 100)]


def test_a_rate_limit_that_outlasts_every_try_ends_recorded_as_failed(app, configured):
    configured.script(NUMBER, *["rate_limit"] * 10)
    send(app)
    assert len(configured.requests) == 4  # the first try and three retries
    assert outcomes(app) == [("notification", "failed", 4, 130429)]
    with app.app_context():
        assert Queue("default", connection=get_redis(app)).failed_job_registry.count == 0


def test_a_wrong_token_is_not_retried(app, configured):
    app.config["WHATSAPP_TOKEN"] = "expired"
    send(app)
    assert len(configured.requests) == 1
    assert outcomes(app) == [("notification", "failed", 1, 190)]


def test_an_unreachable_api_is_retried_then_recorded(app, configured):
    app.config["WHATSAPP_API_BASE"] = "http://127.0.0.1:9/v23.0"  # discard port: refused
    send(app)
    assert outcomes(app) == [("notification", "failed", 4, None)]


def test_mistakes_in_the_call_are_refused_before_anything_is_queued(app, configured):
    with app.test_request_context():
        for to, template, parameters in (("081234567890", "notification", ["a", "b"]),
                                         (NUMBER, "no_such_template", ["a", "b"]),
                                         (NUMBER, "notification", ["only one"]),
                                         (NUMBER, "notification", ["a", " "])):
            with pytest.raises(ValueError):
                whatsapp.send_later(to, template, "id", parameters)
        with pytest.raises(ValueError):
            whatsapp.send_later(NUMBER, "notification", "fr", ["a", "b"])
        assert Queue("default", connection=get_redis(app)).count == 0


def test_unconfigured_nothing_is_sent_or_queued(app, cloud_api):
    cloud_api.reset()
    with app.test_request_context():
        assert app.config["WHATSAPP_TOKEN"] is None and not app.config["WHATSAPP_PRINT"]
        assert not whatsapp.enabled()
        whatsapp.send_later(NUMBER, "notification", "en", ["a", "b"])
        assert Queue("default", connection=get_redis(app)).count == 0


def test_the_embedded_default_prints_the_message_it_would_send(app, cloud_api, caplog):
    cloud_api.reset()
    app.config["WHATSAPP_PRINT"] = True
    try:
        with app.test_request_context():
            assert whatsapp.enabled()
        with caplog.at_level(logging.INFO, logger="karya.whatsapp"):
            send(app, language="id", parameters=["Video Anda siap ditonton", "http://127.0.0.1:5000/"])
    finally:
        app.config["WHATSAPP_PRINT"] = False
    assert cloud_api.requests == []
    assert "To: +6281234567890" in caplog.text and "karya_notification" in caplog.text
    assert "Video Anda siap ditonton" in caplog.text and "http://127.0.0.1:5000/" in caplog.text
    assert "Masuk" in caplog.text  # the Indonesian body
    assert outcomes(app) == [("notification", "printed", 1, None)]


def test_off_by_default_printed_by_the_embedded_default_and_configured_from_the_environment(monkeypatch, tmp_path):
    from workshop.config import from_environment

    for name in ("KARYA_EMBEDDED", "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_PRINT",
                 "WHATSAPP_RETRY_INTERVALS", "WHATSAPP_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    production = from_environment(str(tmp_path))
    assert production["WHATSAPP_TOKEN"] is None and production["WHATSAPP_PRINT"] is False
    assert production["WHATSAPP_API_BASE"].startswith("https://graph.facebook.com/v")
    monkeypatch.setenv("KARYA_EMBEDDED", "1")
    assert from_environment(str(tmp_path))["WHATSAPP_PRINT"] is True
    monkeypatch.setenv("WHATSAPP_RETRY_INTERVALS", "5, 60")
    monkeypatch.setenv("WHATSAPP_API_BASE", "https://graph.example.test/v30.0/")
    configured = from_environment(str(tmp_path))
    assert configured["WHATSAPP_RETRY_INTERVALS"] == (5, 60)
    assert configured["WHATSAPP_API_BASE"] == "https://graph.example.test/v30.0"

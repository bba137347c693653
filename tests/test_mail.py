"""Email goes to the log by default and through SMTP when MAIL_SERVER is set."""

from __future__ import annotations

import socket

from aiosmtpd.controller import Controller

from workshop.mail import send_email


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mail_goes_through_a_real_smtp_server_when_configured(app, monkeypatch):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
        monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
        with app.app_context():
            send_email("guru@karya.test", "Halo", "Versi baru menunggu ulasan.")
    finally:
        controller.stop()
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["guru@karya.test"]
    assert "Versi baru menunggu ulasan." in envelope.content.decode()


def test_an_unreachable_smtp_server_is_logged_not_raised(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    with app.app_context():
        send_email("guru@karya.test", "Subject", "Body")  # must not raise
    assert "could not send email" in caplog.text

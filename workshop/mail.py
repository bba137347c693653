"""Sending email: through SMTP when ``MAIL_SERVER`` is set, else written to the log.

The embedded default has no mail server, so a person trying it out finds
password-reset links and notifications in the terminal that runs ``make run``.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("karya.mail")


def send_email(to: str, subject: str, body: str) -> None:
    """Send a plain-text email. A failure is logged, never raised to the caller:
    whatever the person was doing (a review, an upload) must not be lost to it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

    if not config.get("MAIL_SERVER"):
        # Written out readably (not MIME-encoded) so a person trying Karya can follow links.
        log.info("email (no MAIL_SERVER set, so printed here)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send email to %s: %s", to, subject)

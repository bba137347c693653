"""The messages a guardian receives for a consent request: the link and the one-time codes,
by email (in the request's language) or as WhatsApp templates. They name the student by
first name only and carry nothing of their work."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale, gettext as _

from ..cohorts.models import Cohort
from ..mail import send_email
from ..notifications import whatsapp

WHATSAPP = "whatsapp"


def send_link(channel: str, language: str, address: str, *, cohort: Cohort, child: str, link: str,
              days: int) -> None:
    """The consent link, to ``address`` (an email address, or a number in E.164 for WhatsApp)."""
    if channel == WHATSAPP:
        _whatsapp(address, "guardian_consent_link", language, [child, cohort.name, link])
        return
    with force_locale(language):
        body = render_template("consent/email/link.txt", cohort=cohort, child=child, link=link, days=days)
        send_email(address, _("Consent for %(child)s to take part in %(cohort)s", child=child,
                              cohort=cohort.name), body)


def send_code(channel: str, language: str, address: str, code: str, *, minutes: int) -> None:
    """A one-time code, to the same contact as the link."""
    if channel == WHATSAPP:
        _whatsapp(address, "guardian_consent_code", language, [code])
        return
    with force_locale(language):
        body = render_template("consent/email/code.txt", code=code, minutes=minutes)
        send_email(address, _("Your Karya confirmation code: %(code)s", code=code), body)


def _whatsapp(to: str, template: str, language: str, parameters: list[str]) -> None:
    # Queued on RQ with retries; the WhatsApp channel records a failure, and the guardian can
    # ask for another code (the lead can send the link again).
    whatsapp.send_later(to, template, language if language in whatsapp.LANGUAGES else "id", parameters)

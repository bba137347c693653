"""The ways a notification reaches its person: in the app, by email, by WhatsApp.

Each channel answers two questions behind one interface: does this person want this kind
of notification this way (:meth:`Channel.wanted`, asked when the notification is made and
again when it is sent, so a change of mind in between is honoured), and how is one
delivered (:meth:`Channel.deliver`, run by the RQ job once the transaction that made the
notification has committed, in the person's language). ``service.notify`` fans out over
:data:`CHANNELS`:

* in the app: always; the notification row itself, written in the caller's transaction;
* email: unless the person turned this kind off (``EmailPreference.email``);
* WhatsApp: when it is enabled on this site, and the person gave a mobile number, turned
  WhatsApp on, and did not turn this kind off (``EmailPreference.whatsapp``).

A WhatsApp message says only what happened, in the words of the email's subject ("Your
video is ready"), and links to the page: no name, not even a first name (a notification
may be about someone else, a minor among them), and nothing of a video.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from ..access import is_confirmed
from ..accounts.models import User
from ..extensions import db
from ..mail import send_email
from . import whatsapp
from .models import EmailPreference


@dataclass(frozen=True)
class Rendered:
    """A notification made ready to send, in its person's language."""

    subject: str        # a short line that names no one: what happened
    message: str        # the full sentence shown in the app
    link: str           # an absolute URL to the page it is about
    settings_link: str  # an absolute URL to the notification settings


class Channel:
    """One way of reaching a person."""

    name = ""

    def wanted(self, user: User, kind: str) -> bool:
        """Whether ``user`` gets notifications of ``kind`` this way."""
        raise NotImplementedError

    def deliver(self, user: User, rendered: Rendered, locale: str) -> str:
        """Send one notification (inside a request context and the person's locale); returns what happened."""
        raise NotImplementedError


def _preference(user: User, kind: str) -> EmailPreference | None:
    return db.session.get(EmailPreference, (user.id, kind))


class InApp(Channel):
    """The notification row: the bell and the list. Always kept; nothing to send."""

    name = "in_app"

    def wanted(self, user: User, kind: str) -> bool:
        return True

    def deliver(self, user: User, rendered: Rendered, locale: str) -> str:
        return "kept"


class Email(Channel):
    name = "email"

    def wanted(self, user: User, kind: str) -> bool:
        preference = _preference(user, kind)
        return preference is None or preference.email

    def deliver(self, user: User, rendered: Rendered, locale: str) -> str:
        body = render_template("email/notification.txt", user=user, message=rendered.message,
                               link=rendered.link, settings_link=rendered.settings_link)
        send_email(user.email, rendered.subject, body)
        return "sent"


class WhatsApp(Channel):
    name = "whatsapp"

    def wanted(self, user: User, kind: str) -> bool:
        # Only a proved owner of the address may have chosen the number (service.set_whatsapp).
        if not (user.phone and user.whatsapp_opt_in and is_confirmed(user) and whatsapp.enabled()):
            return False
        preference = _preference(user, kind)
        return preference is None or preference.whatsapp

    def deliver(self, user: User, rendered: Rendered, locale: str) -> str:
        whatsapp.send_later(user.phone, "notification", locale, [rendered.subject, rendered.link])
        return "queued"


IN_APP, EMAIL, WHATSAPP = InApp(), Email(), WhatsApp()
CHANNELS: dict[str, Channel] = {channel.name: channel for channel in (IN_APP, EMAIL, WHATSAPP)}
# The channels that send something after the commit (in the app, the row is the notification).
SENDING = (EMAIL, WHATSAPP)

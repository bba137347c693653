"""WhatsApp template messages through the WhatsApp Business Cloud API.

A conversation with someone who has not written first can only be opened with a template
approved in WhatsApp Manager, so every message Karya sends is one of :data:`TEMPLATES`,
filled in with a few short parameters: never a minor's full name, never anything of a video,
and links only to sign in or to a consent page (docs/whatsapp.md lists what each says).

:func:`send_later` queues one message on RQ; the job (:func:`send_template_message`) posts
``{base}/{phone_number_id}/messages`` with the platform's documented JSON body and a Bearer
token. What the platform asks to be tried again (a rate limit, a moment's outage) is retried
with RQ's ``Retry`` after ``WHATSAPP_RETRY_INTERVALS``; what will never succeed (a number
that is not on WhatsApp, a template that does not exist, a refused token) is not. Either way
the outcome is logged and kept as a :class:`WhatsAppMessage` row, and nothing is raised to
whoever asked for the message: the web request that queued it finished long ago.

Unconfigured (no ``WHATSAPP_TOKEN`` or no ``WHATSAPP_PHONE_NUMBER_ID``), nothing is sent;
the embedded default (``WHATSAPP_PRINT``) writes each message to the log instead, the way
emails are printed when no ``MAIL_SERVER`` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass

import urllib3
from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from flask_babel.speaklater import LazyString
from rq import Retry, get_current_job

from ..extensions import db
from ..jobs import job_context
from ..queues import DEFAULT, queue
from .models import WhatsAppMessage

log = logging.getLogger("karya.whatsapp")


@dataclass(frozen=True)
class Template:
    """One kind of message and the approved template that carries it."""

    setting: str           # the configuration key holding the template's name in WhatsApp Manager
    parameters: tuple[str, ...]  # what fills {{1}}, {{2}}, ... in order (documentation and checks)
    body: LazyString       # the body to create in WhatsApp Manager; printed by the embedded default
    code_button: bool = False  # an authentication template: its copy-code button repeats {{1}}


TEMPLATES: dict[str, Template] = {
    "notification": Template(
        "WHATSAPP_TEMPLATE_NOTIFICATION", ("what happened", "sign-in link"),
        _l("Karya: %(p1)s. Sign in to see it: %(p2)s"),
    ),
    "guardian_consent_link": Template(
        "WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_LINK", ("the student's first name", "cohort name", "consent link"),
        _l("Karya: you are asked for consent for %(p1)s to take part in %(p2)s. Open this link to read "
           "what it involves and to answer: %(p3)s"),
    ),
    "guardian_consent_code": Template(
        "WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_CODE", ("one-time code",),
        _l("%(p1)s is your Karya confirmation code. Do not share it with anyone."),
        code_button=True,
    ),
}

LANGUAGES = {"en": "en", "id": "id"}  # Karya's languages -> WhatsApp's template language codes

# Error codes worth another try later: throughput and pair rate limits, spam-rate limits that
# ease off, and the platform's own temporary failures. Everything else (131026 undeliverable,
# 100 invalid parameter, 132001 no such template, 190 expired token, ...) will fail again.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131048, 131056, 133004})

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class PlatformError(Exception):
    """The platform refused or could not be reached; ``retryable`` says whether to try again."""

    def __init__(self, message: str, *, code: int | None = None, retryable: bool):
        super().__init__(message)
        self.code, self.retryable = code, retryable


def configured(config=None) -> bool:
    """Whether real sending is set up (a token and a sender's phone number id)."""
    config = config or current_app.config
    return bool(config.get("WHATSAPP_TOKEN") and config.get("WHATSAPP_PHONE_NUMBER_ID"))


def enabled() -> bool:
    """True when WhatsApp sending is configured (WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID),
    or when the embedded default prints the messages it would send."""
    return configured() or bool(current_app.config.get("WHATSAPP_PRINT"))


def send_later(to_e164: str, template: str, language: str, parameters: list[str]) -> None:
    """Queue one WhatsApp template message on RQ (retries with backoff). `template` is a key of
    TEMPLATES (e.g. "guardian_consent_link", "guardian_consent_code", "notification"), mapped
    to the approved template name by configuration; `language` is "id" or "en";
    `parameters` fill the template body in order — never a minor's full name, never video
    content; links are sign-in or consent links.

    Does nothing when WhatsApp is not :func:`enabled`. A mistake in the call (an unknown
    template, a number not in E.164, the wrong number of parameters) raises ValueError;
    a Redis that cannot be reached is logged, never raised: the caller's action stands.
    """
    check_message(to_e164, template, language, parameters)
    if not enabled():
        return
    intervals = list(current_app.config["WHATSAPP_RETRY_INTERVALS"])
    try:
        queue(DEFAULT).enqueue(
            send_template_message, to_e164, template, language, [str(p) for p in parameters],
            retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
            job_timeout=60, result_ttl=3600, failure_ttl=7 * 24 * 3600,
            description=f"whatsapp {template}",  # never the number or the parameters
        )
    except Exception:  # noqa: BLE001
        log.exception("could not queue the WhatsApp message %s", template)


def check_message(to_e164: str, template: str, language: str, parameters: list[str]) -> None:
    """Raise ValueError unless the message can be built as the platform expects."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown WhatsApp template {template!r}")
    if language not in LANGUAGES:
        raise ValueError(f"WhatsApp messages are sent in {sorted(LANGUAGES)}, not {language!r}")
    if not _E164.fullmatch(to_e164 or ""):
        raise ValueError("WhatsApp messages go to numbers in E.164 (see workshop/phones.py)")
    expected = len(TEMPLATES[template].parameters)
    if len(parameters) != expected or not all(str(p).strip() for p in parameters):
        raise ValueError(f"the {template} template takes {expected} non-empty parameters")


def payload(to_e164: str, template: str, language: str, parameters: list[str], config=None) -> dict:
    """The Cloud API's JSON body for one template message."""
    config = config or current_app.config
    spec = TEMPLATES[template]
    components = [{"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in parameters]}]
    if spec.code_button:
        components.append({"type": "button", "sub_type": "url", "index": "0",
                           "parameters": [{"type": "text", "text": str(parameters[0])}]})
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to_e164.lstrip("+"),
        "type": "template",
        "template": {"name": config[spec.setting], "language": {"code": LANGUAGES[language]},
                     "components": components},
    }


def text_of(template: str, language: str, parameters: list[str]) -> str:
    """The message as the suggested template body reads, filled in (what is printed)."""
    with force_locale(language):
        return str(TEMPLATES[template].body) % {f"p{i}": p for i, p in enumerate(parameters, start=1)}


def recipient_digest(to_e164: str, config=None) -> str:
    """A keyed digest of a number (HMAC-SHA-256 with the secret key)."""
    key = (config or current_app.config)["SECRET_KEY"].encode()
    return hmac.new(key, to_e164.encode(), hashlib.sha256).hexdigest()


# --- the RQ job -----------------------------------------------------------------------

def send_template_message(to_e164: str, template: str, language: str, parameters: list[str]) -> str:
    """RQ job: send (or print) one template message and record the outcome. Returns what
    happened; raises only to be tried again, while RQ has tries left."""
    with job_context() as app:
        config = app.config
        job = get_current_job()
        attempt = 1 + (len(config["WHATSAPP_RETRY_INTERVALS"]) - job.retries_left
                       if job is not None and job.retries_left is not None else 0)
        if not configured(config):
            if not config.get("WHATSAPP_PRINT"):
                return "not configured"
            log.info("WhatsApp message (no WHATSAPP_TOKEN set, so printed here)\nTo: %s\nTemplate: %s (%s)\n\n%s",
                     to_e164, config[TEMPLATES[template].setting], language,
                     text_of(template, language, parameters))
            _record(to_e164, template, language, "printed", attempt)
            return "printed"
        try:
            message_id = post(config, payload(to_e164, template, language, parameters, config))
        except PlatformError as exc:
            if exc.retryable and job is not None and job.retries_left:
                log.warning("WhatsApp %s not sent (try %d, will try again): %s", template, attempt, exc)
                raise
            log.error("WhatsApp %s not sent, giving up after %d tries: %s", template, attempt, exc)
            _record(to_e164, template, language, "failed", attempt, error_code=exc.code, error=str(exc))
            return "failed"
        _record(to_e164, template, language, "sent", attempt, message_id=message_id)
        return "sent"


def post(config, body: dict) -> str:
    """POST one message; the platform's message id, or raise :class:`PlatformError`."""
    url = f"{config['WHATSAPP_API_BASE']}/{config['WHATSAPP_PHONE_NUMBER_ID']}/messages"
    timeout = config["WHATSAPP_TIMEOUT_S"]
    try:
        response = urllib3.request(
            "POST", url, json=body, retries=False,
            headers={"Authorization": f"Bearer {config['WHATSAPP_TOKEN']}"},
            timeout=urllib3.Timeout(connect=min(5, timeout), read=timeout),
        )
    except urllib3.exceptions.HTTPError as exc:  # refused, reset, timed out
        raise PlatformError(f"could not reach the WhatsApp API: {exc.__class__.__name__}", retryable=True) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if 200 <= response.status < 300:
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if messages and isinstance(messages[0], dict) and messages[0].get("id"):
            return str(messages[0]["id"])
        raise PlatformError(f"HTTP {response.status} without a message id", retryable=False)
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    text = f"HTTP {response.status}, code {code}: {error.get('message', '')}" + (f" ({details})" if details else "")
    retryable = response.status == 429 or response.status >= 500 or code in RETRYABLE_CODES
    raise PlatformError(text[:500], code=code, retryable=retryable)


def _record(to_e164: str, template: str, language: str, status: str, attempts: int, *,
            message_id: str | None = None, error_code: int | None = None, error: str = "") -> None:
    db.session.add(WhatsAppMessage(
        template=template, language=language, recipient_digest=recipient_digest(to_e164), status=status,
        attempts=attempts, platform_message_id=message_id, error_code=error_code, error=error[:500]))
    db.session.commit()

"""A stand-in for the WhatsApp Business Cloud API on loopback, for the tests.

It listens on 127.0.0.1, checks every request the way the platform reads it (path, Bearer
token, JSON body of a template message, strictly: no key missing, none unknown) and answers
with the platform's documented bodies: a message id on success, and its error objects for a
rate limit (HTTP 429, code 130429), a pair rate limit (HTTP 400, code 131056), an undeliverable
number (HTTP 400, code 131026) and an invalid parameter (HTTP 400, code 100), which is also the
answer to a malformed request. What each recipient gets is scripted (:meth:`script`).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

VERSION = "v23.0"
PHONE_NUMBER_ID = "106540352242922"
TOKEN = "test-whatsapp-token"

ERRORS = {
    "rate_limit": (429, 130429, "(#130429) Rate limit hit",
                   "Message failed to send because there were too many messages sent from this phone number "
                   "in a short period of time"),
    "pair_rate_limit": (400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                        "Message failed to send because there were too many messages sent from this phone "
                        "number to the same phone number in a short period of time"),
    "undeliverable": (400, 131026, "(#131026) Message undeliverable",
                      "Unable to deliver message. Reasons can include: the recipient phone number is not a "
                      "WhatsApp phone number."),
    "invalid_parameter": (400, 100, "(#100) Invalid parameter", "Parameter value is not valid"),
    "server_error": (500, 131000, "(#131000) Something went wrong", "Something went wrong"),
}


def _problems(body) -> list[str]:
    """What is wrong with a template message body, as the platform would refuse it."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = []
    allowed = {"messaging_product", "recipient_type", "to", "type", "template"}
    if set(body) - allowed:
        problems.append(f"unknown keys {sorted(set(body) - allowed)}")
    if body.get("messaging_product") != "whatsapp":
        problems.append("messaging_product must be 'whatsapp'")
    if body.get("recipient_type", "individual") != "individual":
        problems.append("recipient_type must be 'individual'")
    if not (isinstance(body.get("to"), str) and re.fullmatch(r"\+?[1-9][0-9]{6,14}", body["to"])):
        problems.append("to must be a phone number with its country code")
    if body.get("type") != "template":
        problems.append("type must be 'template'")
    template = body.get("template")
    if not isinstance(template, dict) or set(template) != {"name", "language", "components"}:
        return problems + ["template must hold exactly name, language and components"]
    if not (isinstance(template["name"], str) and re.fullmatch(r"[a-z0-9_]{1,512}", template["name"])):
        problems.append("template.name must be lowercase letters, digits and underscores")
    language = template["language"]
    if not (isinstance(language, dict) and set(language) <= {"code", "policy"}
            and language.get("code") in {"en", "id"}):
        problems.append("template.language must be {'code': 'en' | 'id'}")
    components = template["components"]
    if not (isinstance(components, list) and components):
        return problems + ["template.components must be a non-empty list"]
    for component in components:
        kind = component.get("type") if isinstance(component, dict) else None
        expected = {"body": {"type", "parameters"}, "button": {"type", "sub_type", "index", "parameters"}}.get(kind)
        if expected is None or set(component) != expected:
            problems.append(f"a component must be a body or a button with {sorted(expected or [])}")
            continue
        if kind == "button" and (component["sub_type"] != "url" or component["index"] != "0"):
            problems.append("the code button is sub_type 'url' at index '0'")
        parameters = component["parameters"]
        if not (isinstance(parameters, list) and parameters and all(
                isinstance(p, dict) and set(p) == {"type", "text"} and p["type"] == "text"
                and isinstance(p["text"], str) and p["text"].strip() for p in parameters)):
            problems.append("parameters must be a list of {'type': 'text', 'text': '...'}")
    return problems


class CloudApi:
    """The server: ``base`` is the API base URL to configure, ``requests`` every request seen
    (path, headers, body), ``problems`` every malformed one."""

    def __init__(self):
        self.requests: list[dict] = []
        self.problems: list[str] = []
        self._scripts: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = outer._answer(self.path, dict(self.headers), raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{VERSION}"

    def start(self) -> "CloudApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.problems.clear()
            self._scripts.clear()

    def script(self, to: str, *answers: str) -> None:
        """Answer the next requests to ``to`` (digits, as sent) in turn with ``answers``
        ("ok" or a key of ERRORS); after the last, "ok"."""
        with self._lock:
            self._scripts[to.lstrip("+")] = list(answers)

    def bodies(self) -> list[dict]:
        return [request["body"] for request in self.requests]

    def _answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            problems = []
            if path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
                problems.append(f"unexpected path {path}")
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return _error(401, 190, "Invalid OAuth access token - Cannot parse access token",
                                   "Error validating access token", kind="OAuthException")
            if not (headers.get("Content-Type") or "").startswith("application/json"):
                problems.append("the body must be sent as application/json")
            problems += _problems(body)
            if problems:
                self.problems.extend(problems)
                return _error(*ERRORS["invalid_parameter"])
            to = body["to"].lstrip("+")
            queued = self._scripts.get(to) or []
            answer = queued.pop(0) if queued else "ok"
            if answer != "ok":
                return _error(*ERRORS[answer])
            message_id = f"wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEj{next(self._ids):06d}"
            return 200, {"messaging_product": "whatsapp",
                         "contacts": [{"input": body["to"], "wa_id": to}],
                         "messages": [{"id": message_id, "message_status": "accepted"}]}


def _error(status: int, code: int, message: str, details: str, kind: str = "OAuthException") -> tuple[int, dict]:
    return status, {"error": {"message": message, "type": kind, "code": code,
                              "error_data": {"messaging_product": "whatsapp", "details": details},
                              "fbtrace_id": "AazgdvcyxxnPMKnSU1jN9dQ"}}


# --- fixtures (import them into a test module to use them) ------------------------------

SETTINGS = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_API_BASE", "WHATSAPP_RETRY_INTERVALS",
            "WHATSAPP_PRINT", "WHATSAPP_TEMPLATE_NOTIFICATION")


@pytest.fixture(scope="module")
def cloud_api():
    """The stand-in API, one per test module."""
    server = CloudApi().start()
    yield server
    server.stop()


@pytest.fixture
def whatsapp_configured(app, cloud_api):
    """The app pointed at the stand-in, with retries that wait for nothing; afterwards, every
    request it received must have had the platform's shape."""
    saved = {key: app.config.get(key) for key in SETTINGS}
    app.config.update(WHATSAPP_TOKEN=TOKEN, WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
                      WHATSAPP_API_BASE=cloud_api.base, WHATSAPP_RETRY_INTERVALS=(0, 0, 0),
                      WHATSAPP_PRINT=False)
    cloud_api.reset()
    yield cloud_api
    app.config.update(saved)
    assert cloud_api.problems == []

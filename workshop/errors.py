"""Turning refusals and failures into a friendly page or a JSON error.

API routes (``/api/...``) always answer ``{"error": {"code", "message"}}``;
other routes render a page in the person's language. A 401 on a page sends the
person to the log-in form and back again afterwards.
"""

from __future__ import annotations

import logging

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .extensions import db

log = logging.getLogger("karya.errors")


class ApiError(Exception):
    """A refusal: a translated message, a stable machine-readable ``code``, and the HTTP
    status, which the class decides. Raise one of the subclasses below; ``code`` names the
    particular refusal where the class's general one says too little (``checks_running``),
    and ``extra`` goes into the JSON answer beside them (``field="due_at"``)."""

    status = 400
    code = "bad_request"

    def __init__(self, message, *, code: str | None = None, **extra):
        super().__init__(str(message))
        self.message, self.extra = message, extra
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    """The thing is not in a state that allows this (already approved, checks still running)."""
    status, code = 409, "conflict"


class Gone(ApiError):
    status, code = 410, "gone"


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"


class TooLarge(ApiError):
    status, code = 413, "too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Invalid(ApiError):
    """What was sent is not valid; ``field`` says which input to fix."""
    status, code = 422, "invalid"


class TooManyAttempts(ApiError):
    status, code = 429, "rate_limited"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


class StorageFull(ApiError):
    status, code = 507, "insufficient_storage"


# code, message for each status Karya answers with.
MESSAGES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Please log in first.")),
    403: ("forbidden", _l("You do not have permission to do that.")),
    404: ("not_found", _l("We could not find that page.")),
    405: ("method_not_allowed", _l("That action is not allowed here.")),
    409: ("conflict", _l("That conflicts with the current state. Reload and try again.")),
    413: ("too_large", _l("That file is too large.")),
    415: ("unsupported_media_type", _l("That kind of content is not accepted here.")),
    422: ("invalid", _l("Some of the information is not valid.")),
    429: ("rate_limited", _l("Too many attempts. Please wait a few minutes and try again.")),
    500: ("server_error", _l("Something went wrong on our side. Please try again.")),
    503: ("unavailable", _l("Karya is busy or down for a moment. Please try again soon.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message, **extra):
    body = {"error": {"code": code, "message": str(message), **extra}}
    return jsonify(body), status


def _handle_http(exc: HTTPException, **page_context):
    status = exc.code or 500
    code, message = MESSAGES.get(status, (exc.name.lower().replace(" ", "_"), exc.description))
    if wants_json():
        response, status = json_error(status, code, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="karya"'
        return response, status
    if status == 401:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return render_template("error.html", status=status, message=message, **page_context), status


def _handle_csrf(exc: CSRFError):
    message = _l("This form has expired or did not come from Karya. Reload the page and try again.")
    if wants_json():
        return json_error(400, "csrf_failed", message)
    return render_template("error.html", status=400, message=message), 400


def _handle_api_error(exc: ApiError):
    if wants_json():
        return json_error(exc.status, exc.code, exc.message, **exc.extra)
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


def _handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def during_outage() -> bool:
    """Whether this request already met a database or Redis outage: from then on nothing
    reads the person (the user loaders and the language choice ask this)."""
    return bool(g.get("karya_outage"))


def _is_outage(exc: Exception) -> bool:
    """The database or Redis cannot be reached (as opposed to a mistake in a query)."""
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        text = str(exc.orig).lower()
        return any(sign in text for sign in ("connection", "could not connect", "server closed", "terminating"))
    return False


def _handle_outage(exc: Exception):
    """A database or Redis that is down for a moment: 503 with a message to try again, not a 500."""
    if not _is_outage(exc):
        raise exc
    log.warning("service unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool pings before reuse
        pass
    # The page is drawn as for a visitor: loading the person (or their unread count) would
    # need the database that just failed. The user loaders and the language choice read nobody
    # from here on (during_outage), and the page's own ``current_user`` wins over Flask-Login's.
    g.karya_outage = True
    return _handle_http(ServiceUnavailable(), current_user=current_app.login_manager.anonymous_user())


def register(app) -> None:
    app.register_error_handler(DBAPIError, _handle_outage)
    app.register_error_handler(RedisConnectionError, _handle_outage)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(ApiError, _handle_api_error)
    if not app.testing:
        # In tests an unexpected exception should fail loudly, not become a page.
        app.register_error_handler(Exception, _handle_unexpected)

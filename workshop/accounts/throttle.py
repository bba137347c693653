"""Limits on guessing and on mail bombing, counted in Redis.

* Failed log-ins, per account and per address, shared by the log-in page and the
  token API (``LOGIN_LIMIT_PER_ACCOUNT``, ``LOGIN_LIMIT_PER_ADDRESS``). Only failures
  count, so a classroom behind one school address can still log in together while
  guessing at one account is stopped quickly.
* Password-reset emails, per account and per address (``PASSWORD_RESET_LIMIT_*``).
* Wrong join codes, per address (``JOIN_CODE_LIMIT_PER_ADDRESS``).

Each limit is a counter per key that lives for its window ("5 per 15 minutes").
An attempt takes its slots *before* the work it guards (checking a password, looking
up a code) in one Lua script, which Redis runs atomically: every counter is checked
and, only if none is full, every one is incremented. However many requests arrive at
once, no more than the limit get past. An attempt that turns out not to be a failure
(the right password, a valid code) gives its slots back.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Iterator

from flask import abort, current_app, has_request_context, make_response, request

from ..redis_conn import get_redis
from .models import hash_token

_PREFIX = "karya:limits:"

# KEYS: the counters; ARGV: limit1, window1, limit2, window2, ...
# Returns 1 when every counter had room (and all were incremented), else 0 (none changed).
_TAKE = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then return 0 end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return 1
"""

# A counter whose window ended meanwhile is gone; it must not come back as -1.
_GIVE_BACK = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 1
"""

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` attempts per ``window_s`` seconds."""

    amount: int
    window_s: int


def parse_limit(text: str) -> Limit:
    """Read "5 per 15 minutes", "30 per hour" or "10/day" (the Flask-Limiter notation)."""
    match = _LIMIT.fullmatch(text or "")
    if match is None:
        raise ValueError(f"not a rate limit: {text!r} (write e.g. '5 per 15 minutes')")
    amount, count, unit = match.groups()
    return Limit(int(amount), int(count or 1) * _UNITS[unit.lower()])


@dataclass(frozen=True)
class Slots:
    """Slots taken by :func:`take`; :meth:`give_back` returns them."""

    keys: tuple[str, ...]

    def give_back(self) -> None:
        """The attempt was not a failure: it does not count towards any limit."""
        _script(_GIVE_BACK)(keys=list(self.keys))


def take(*counters: tuple[str, str, str]) -> Slots | None:
    """One slot in each ``(scope, key, config name)`` counter, all or none; None when one is full."""
    keys, args = [], []
    for scope, key, setting in counters:
        limit = parse_limit(current_app.config[setting])
        keys.append(f"{_PREFIX}{scope}:{key}")
        args += [limit.amount, limit.window_s]
    if not _script(_TAKE)(keys=keys, args=args):
        return None
    return Slots(tuple(keys))


def _script(source: str):
    # A registered script is sent by its digest, and loaded again if Redis lost it.
    scripts = current_app.extensions.setdefault("karya_limit_scripts", {})
    if source not in scripts:
        scripts[source] = get_redis().register_script(source)
    return scripts[source]


def client_address() -> str:
    """The address the request came from (behind the proxy, as ProxyFix reports it);
    outside a request (a command, a job) there is none, and one shared key stands in."""
    return (request.remote_addr if has_request_context() else None) or "unknown"


def _email_key(email: object) -> str:
    # A digest: a fixed-size key however long the input, and no addresses kept in Redis.
    return hash_token((email if isinstance(email, str) else "").strip().lower())


def _submitted_email() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    return _email_key(data.get("email") if isinstance(data, dict) else None)  # form data is a dict too


# --- log-in -------------------------------------------------------------------------

def login_attempts(view):
    """Limit failed log-ins (a 401 answer) to ``view``, per account and per address (POST only).

    The slots are taken before the view checks the password and given back unless it
    answers 401, so concurrent guesses cannot overshoot the limit. A full counter
    answers 429, whether or not the password would have been right.
    """

    @wraps(view)
    def limited(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        slots = take(("login-account", _submitted_email(), "LOGIN_LIMIT_PER_ACCOUNT"),
                     ("login-address", client_address(), "LOGIN_LIMIT_PER_ADDRESS"))
        if slots is None:
            abort(429)
        try:
            response = make_response(view(*args, **kwargs))
        except Exception as exc:
            # An ApiError or abort() with 401 is a failed log-in too; anything else is not.
            if getattr(exc, "status", getattr(exc, "code", None)) != 401:
                slots.give_back()
            raise
        if response.status_code != 401:
            slots.give_back()
        return response

    return limited


# --- password-reset emails ----------------------------------------------------------

def may_send_reset_email(email: str) -> bool:
    """Count one reset request for ``email`` from this address; False when over a limit.

    Every request counts, found or not, so the answer (always the same page) reveals
    nothing, and one inbox cannot be flooded with reset emails.
    """
    return take(("reset-account", _email_key(email), "PASSWORD_RESET_LIMIT_PER_ACCOUNT"),
                ("reset-address", client_address(), "PASSWORD_RESET_LIMIT_PER_ADDRESS")) is not None


# --- join codes ---------------------------------------------------------------------

@contextmanager
def join_code_attempt(refused: Exception) -> Iterator[None]:
    """Guard a join-code lookup: raise ``refused`` when this address has had too many wrong
    codes; a lookup that raises counts as wrong, one that returns gives its slot back."""
    slots = take(("join-code-address", client_address(), "JOIN_CODE_LIMIT_PER_ADDRESS"))
    if slots is None:
        raise refused
    yield
    slots.give_back()

"""Rate limits on password guessing, shared by the log-in page and the token API.

Only failed attempts count (a 401 response), per account and per address, so a
classroom behind one school address can still log in together while guessing at
one account is stopped quickly.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from ..extensions import limiter
from .service import normalise_email


def _submitted_email() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if isinstance(data, dict) else None  # form data is a dict too
    return "account:" + normalise_email(email if isinstance(email, str) else "")


def _failed(response) -> bool:
    return response.status_code == 401


def login_attempts(view):
    """Apply both login limits to ``view`` (POST requests only)."""
    per_account = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], scope="login-account",
        key_func=_submitted_email, deduct_when=_failed, methods=["POST"],
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], scope="login-address",
        key_func=get_remote_address, deduct_when=_failed, methods=["POST"],
    )
    return per_account(per_address(view))

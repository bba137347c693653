"""Choosing the language: the person's saved choice, else the session's, else the browser's."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from .errors import during_outage


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    # During an outage (errors.py) the person is not read: that needs the database that failed.
    if (not during_outage() and current_user and current_user.is_authenticated
            and current_user.locale in languages):
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]

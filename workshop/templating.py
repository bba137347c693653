"""What every template can use: languages, translated labels, date formatting."""

from __future__ import annotations

from flask_babel import format_date, format_datetime, get_locale, lazy_gettext as _l

from .cohorts.models import Role

LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}

ROLE_LABELS = {
    Role.STUDENT: _l("Student"),
    Role.MENTOR: _l("Mentor"),
    Role.LEAD: _l("Workshop lead"),
}


def localized(obj, field: str) -> str:
    """``obj.<field>_id`` in Bahasa Indonesia, else ``obj.<field>_en``."""
    language = str(get_locale() or "en")
    value = getattr(obj, f"{field}_{language}", None)
    return value or getattr(obj, f"{field}_en")


_TRANSLATIONS: dict = {}


def _translations():
    """The current locale's catalogue, found in a few steps.

    Flask-Babel resolves the context, the domain and the locale again on every call
    (~30 µs); a page listing 50 reviews calls gettext hundreds of times. The locale
    is read where Flask-Babel keeps it for the request (``force_locale`` changes it
    there too), and the catalogue is kept per locale for the life of the process.
    """
    import flask_babel
    from flask import g

    ctx = g.get("_flask_babel") if g else None
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:  # first call of the request: let Flask-Babel choose the locale
        return flask_babel.get_translations()
    key = str(locale)
    translations = _TRANSLATIONS.get(key)
    if translations is None:
        translations = _TRANSLATIONS[key] = flask_babel.get_translations()
    return translations


def register(app) -> None:
    # Templates' _() and ngettext() through the fast path (same catalogues, same locale).
    app.jinja_env.install_gettext_callables(
        lambda string: _translations().ugettext(string),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
    )

    @app.context_processor
    def _globals():
        return {
            "languages": [(code, LANGUAGE_NAMES[code]) for code in app.config["LANGUAGES"]],
            "current_language": str(get_locale() or "en"),
            "role_label": lambda role: ROLE_LABELS[Role(role)],
            "localized": localized,
            "Role": Role,
            "state_label": state_label,
            "state_labels": lambda: {state: str(label) for state, label in STATE_LABELS.items()},
        }

    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["timecode"] = timecode
    app.jinja_env.filters["waited"] = waited


STATE_LABELS = {
    "draft": _l("Draft"), "awaiting_review": _l("Waiting for review"), "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"), "approved": _l("Approved"),
    "escalated": _l("With the workshop lead"), "not_started": _l("Not started"),
}


def state_label(state: str) -> str:
    """A submission's state as people read it."""
    return str(STATE_LABELS.get(state, state))


def timecode(ms: int | None) -> str:
    """``65432`` -> ``"1:05"``: a moment in a video as people write it."""
    if ms is None:
        return ""
    seconds = int(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def waited(since) -> str:
    """How long ago ``since`` was, in words ("3 hours")."""
    from datetime import datetime, timezone

    from flask_babel import format_timedelta

    return format_timedelta(datetime.now(timezone.utc) - since, threshold=1.1) if since else ""

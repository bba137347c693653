"""What every template can use: languages, translated labels, dates, times and durations."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

import flask_babel
from babel import Locale
from babel.dates import TIMEDELTA_UNITS, format_date as babel_format_date, format_datetime as babel_format_datetime
from babel.lists import format_list
from babel.units import format_unit
from flask import g
from flask_babel import format_timedelta, get_locale, lazy_gettext as _l
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from .roles import Role

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
WAITED_THRESHOLD = 1.1


def _current():
    """``(language, catalogue)`` of the current request, found in a few steps.

    Flask-Babel's ``gettext`` finds the context, the domain and the locale again on every
    call (~30 µs); a page listing 50 reviews calls it hundreds of times. Here the locale
    comes from Flask-Babel's public ``get_locale()`` (which it keeps for the request), the
    pair is remembered in ``g`` beside it, and each catalogue is kept per language for the
    life of the process. ``force_locale`` (mail in the recipient's language) gives
    ``get_locale()`` another locale object, which the identity check notices.
    """
    locale = flask_babel.get_locale()
    if locale is None:  # outside an app context
        return "en", flask_babel.get_translations()
    remembered = g.get("karya_catalogue")
    if remembered is None or remembered[0] is not locale:
        language = str(locale)
        translations = _TRANSLATIONS.get(language)
        if translations is None:
            translations = _TRANSLATIONS[language] = flask_babel.get_translations()
        remembered = g.karya_catalogue = (locale, language, translations)
    return remembered[1], remembered[2]


def _translations():
    return _current()[1]


def _gettext_with(lookup):
    """Templates' ``_()`` over a catalogue's lookup: what Jinja's newstyle gettext does
    (escape the values in HTML, always format) in one call instead of three."""

    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables) -> str:
        translated = lookup(string)
        if not eval_ctx.autoescape:
            return translated % variables
        # Markup's own % wraps each value in a helper object, which made "%(n)d" cost
        # ~15 µs; escaping the values first gives the same text.
        return Markup(translated % {name: value if isinstance(value, (int, float)) else escape(value)
                                    for name, value in variables.items()})

    return gettext


# For templates rendered without a request's context processors (macros imported
# without context): finds the catalogue on each call.
_gettext = _gettext_with(lambda string: _translations().ugettext(string))


def register(app) -> None:
    # Templates' _() and ngettext() through the fast path (same catalogues, same locale).
    app.jinja_env.install_gettext_callables(
        lambda string: _translations().ugettext(string),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
    )
    app.jinja_env.globals["_"] = _gettext

    @app.context_processor
    def _globals():
        language, translations = _current()
        return {
            # _() bound to this render's catalogue, found once rather than per string.
            "_": _gettext_with(translations.ugettext),
            "languages": [(code, LANGUAGE_NAMES[code]) for code in app.config["LANGUAGES"]],
            "current_language": language,
            "role_label": lambda role: ROLE_LABELS[Role(role)],
            "localized": localized,
            "Role": Role,
            "state_label": state_label,
            "state_badges": state_badges,
        }

    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.globals["duration_pattern"] = duration_pattern
    app.jinja_env.filters["timecode"] = timecode
    app.jinja_env.filters["waited"] = waited


# --- dates, times and durations ---------------------------------------------------------
#
# One way of writing a moment for each language, from the Unicode CLDR data Babel carries:
# day, abbreviated month, year and a 24-hour clock, never seconds, never a numeric date a
# reader could take for month/day ("2 Dec 2026, 14:57", "2 Des 2026 14.57"). Karya's English
# readers are in Indonesia, who write the day first and the hours to 24, so English takes
# CLDR's British English data (en_GB), whose words are the same as American English's.
FORMAT_LOCALES = {"en": "en_GB", "id": "id"}
# The caller's length of a date: "medium" 2 Dec 2026, "long" 2 December 2026, "full" with
# the weekday. A "short" date would be numeric, so it is written as a medium one.
DATE_LENGTHS = {"short": "medium", "medium": "medium", "long": "long", "full": "full"}


def format_locale(language: str | None = None) -> Locale:
    """The CLDR locale whose patterns write dates in ``language`` (the request's by default)."""
    return _locale_of(language or _current()[0])


@lru_cache(maxsize=16)
def _locale_of(language: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(language, language))


@lru_cache(maxsize=16)
def _patterns(language: str, length: str) -> tuple[str, str, str]:
    """The date, time and date-and-time patterns of ``language`` at ``length``."""
    locale = format_locale(language)
    day = locale.date_formats[DATE_LENGTHS.get(length, "medium")].pattern
    clock = locale.datetime_skeletons["Hm"].pattern  # HH:mm, HH.mm: no seconds, 24 hours
    return day, clock, locale.datetime_formats["medium"].replace("{1}", day).replace("{0}", clock)


def format_moment(value: datetime | None, length: str = "medium", zone=None, language: str | None = None) -> str:
    """A moment as people read it, in ``language`` and ``zone`` (the request's by default):
    "2 Dec 2026, 14:57" / "2 Des 2026 14.57"; ``length="long"`` gives "2 December 2026, 14:57",
    ``"full"`` "Wednesday, 2 December 2026, 14:57"."""
    return _formatted(value, length, 2, zone, language)


def format_day(value: date | datetime | None, length: str = "medium", zone=None, language: str | None = None) -> str:
    """A date alone: "2 Dec 2026" / "2 Des 2026"; a moment gives its date in ``zone``."""
    return _formatted(value, length, 0, zone, language)


def format_clock(value: datetime | None, zone=None, language: str | None = None) -> str:
    """The time of day of a moment in ``zone``: "14:57" / "14.57"."""
    return _formatted(value, "medium", 1, zone, language)


def _formatted(value, length: str, which: int, zone, language: str | None) -> str:
    if not value:
        return ""
    language = language or _current()[0]
    zone_name = str(zone) if zone is not None else str(flask_babel.get_timezone())
    return _formatted_for(value, _patterns(language, length)[which], language, zone_name)


@lru_cache(maxsize=4096)
def _formatted_for(value, pattern: str, language: str, zone: str) -> str:
    """Formatted once per process: Babel takes ~40 µs a date, a student's home page shows
    one per assignment, and the students of a cohort all see the same due dates."""
    locale = format_locale(language)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return babel_format_datetime(moment, pattern, tzinfo=zone, locale=locale)
    return babel_format_date(value, pattern, locale=locale)


DURATION_UNITS = (("duration-hour", 3600), ("duration-minute", 60), ("duration-second", 1))


def format_duration(seconds: float | None, language: str | None = None) -> str:
    """A length of time in CLDR's short units: "20 sec", "2 min, 5 sec" / "20 dtk",
    "2 mnt, 5 dtk"; from an hour on, hours and minutes ("1 hr, 2 min" / "1 j, 2 mnt").

    Two units at most: a reader wants no more, and CLDR's Indonesian data gives a list
    pattern for two units only.
    """
    if seconds is None:
        return ""
    locale = Locale.parse(language or _current()[0])
    rest = max(0, int(round(seconds)))
    parts = []
    for unit, size in DURATION_UNITS:
        amount, rest = divmod(rest, size)
        if amount or (size == 1 and not parts):
            parts.append(format_unit(amount, unit, length="short", locale=locale))
        elif parts:
            break  # "1 hr, 5 sec" would hide the minutes in between
        if len(parts) == 2:
            break
    return format_list(parts, style="unit-short", locale=locale)


def duration_pattern(unit: str, language: str | None = None) -> str:
    """CLDR's short pattern of a unit with ``{n}`` for the number, for scripts that count:
    ``duration_pattern("minute")`` is "{n} min" / "{n} mnt"."""
    return format_unit("{n}", f"duration-{unit}", length="short", locale=Locale.parse(language or _current()[0]))


STATE_LABELS = {
    "draft": _l("Draft"), "awaiting_review": _l("Waiting for review"), "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"), "approved": _l("Approved"),
    "escalated": _l("With the workshop lead"), "not_started": _l("Not started"),
}


def state_label(state: str) -> str:
    """A submission's state as people read it."""
    return str(STATE_LABELS.get(state, state))


def state_badges() -> dict[str, Markup]:
    """Each submission state's badge, made once for a page that shows many (the dashboard's
    matrix has a cell per student and assignment)."""
    return {state: Markup('<span class="badge state-{}">{}</span>').format(state, label)
            for state, label in STATE_LABELS.items()}


def timecode(ms: int | None) -> str:
    """``65432`` -> ``"1:05"``: a moment in a video as people write it."""
    if ms is None:
        return ""
    seconds = int(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


_WAITED: dict = {}


def waited(since) -> str:
    """How long ago ``since`` was, in words ("3 hours").

    Babel's format_timedelta costs ~40 µs and a queue shows one per line. Its words
    depend only on the unit it picks and the rounded number, so those are worked out
    here the way Babel does (threshold 1.1, long format) and its answer is kept per
    locale, unit and number.
    """
    if not since:
        return ""
    delta = datetime.now(timezone.utc) - since
    seconds = abs(int(delta.days * 86400 + delta.seconds))
    key = None
    for unit, unit_seconds in TIMEDELTA_UNITS:
        value = seconds / unit_seconds
        if value >= WAITED_THRESHOLD:
            key = (unit, int(round(value)))
            break
    key = (_current()[0], key)
    words = _WAITED.get(key)
    if words is None:
        words = _WAITED[key] = format_timedelta(delta, threshold=WAITED_THRESHOLD)
    return words

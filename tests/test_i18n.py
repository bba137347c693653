"""English and Bahasa Indonesia everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from workshop.templating import format_clock

from .helpers import login

ROOT = Path(__file__).resolve().parent.parent


def test_home_page_renders_in_english_and_indonesian(client, make):
    user = make.user()
    cohort = make.cohort(name="Kelas Sehat")
    make.member(user, cohort, "student")
    login(client, user)
    english = client.get("/", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="en">' in english and "My cohorts" in english and "Student" in english
    indonesian = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9"}).data.decode()
    assert '<html lang="id">' in indonesian
    assert "My cohorts" not in indonesian and "Kohort saya" in indonesian
    assert "Siswa" in indonesian


def test_language_switch_is_remembered_for_the_person(client, make, db):
    from workshop.accounts.models import User

    user = make.user()
    login(client, user)
    response = client.post("/language", data={"locale": "id", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert db.session.get(User, user.id).locale == "id"
    client.post("/logout")
    fresh = client.application.test_client()
    login(fresh, user)
    # The saved choice beats the browser's English.
    assert '<html lang="id">' in fresh.get("/", headers={"Accept-Language": "en"}).data.decode()


def test_language_switch_works_before_logging_in(client):
    client.post("/language", data={"locale": "id", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="id">' in page and "Kata sandi" in page


def test_unknown_language_is_refused(client):
    assert client.post("/language", data={"locale": "fr"}).status_code == 400


def test_every_message_in_the_code_has_an_indonesian_translation(tmp_path):
    """Extract the strings afresh; each one must be translated in the id catalogue."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "workshop/translations/id/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else True)}
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], "untranslated (run 'make messages' and translate): " + "; ".join(missing[:20])


def test_dates_are_shown_in_the_request_language_and_the_programme_time_zone(app, monkeypatch):
    """The date filters keep what they formatted per language and zone (templating._formatted):
    one language's words never reach a page in the other, nor one zone's hours another's."""
    from datetime import datetime, timezone

    from flask import render_template_string

    moment = datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc)  # 00:30 on the 24th in Jakarta
    template = "{{ moment|datetime }} / {{ moment|date('long') }}"

    def shown(language: str) -> str:
        with app.test_request_context("/", headers={"Accept-Language": language}):
            return render_template_string(template, moment=moment)

    for _ in range(2):  # the second round is answered from what the first kept
        assert shown("en") == "24 Nov 2026, 00:30 / 24 November 2026"
        assert shown("id") == "24 Nov 2026 00.30 / 24 November 2026"
    monkeypatch.setattr(app.extensions["babel"], "default_timezone", "UTC")  # as BABEL_DEFAULT_TIMEZONE=UTC
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template, moment=moment).startswith("23 Nov 2026, 17:30")


# What a person reads, pinned in both languages: day, abbreviated month, year, a 24-hour
# clock without seconds; never a numeric date that reads as month/day.
WRITTEN = {
    "en": {"moment": "2 Dec 2026, 14:57", "short": "2 Dec 2026, 14:57", "long": "2 December 2026, 14:57",
           "day": "2 Dec 2026", "full": "Wednesday, 2 December 2026", "clock": "14:57",
           "durations": ["0 sec", "20 sec", "1 min", "2 min, 5 sec", "1 hr", "1 hr, 2 min"],
           "eta": "{n} min {n} sec"},
    "id": {"moment": "2 Des 2026 14.57", "short": "2 Des 2026 14.57", "long": "2 Desember 2026 14.57",
           "day": "2 Des 2026", "full": "Rabu, 02 Desember 2026", "clock": "14.57",
           "durations": ["0 dtk", "20 dtk", "1 mnt", "2 mnt, 5 dtk", "1 j", "1 j, 2 mnt"],
           "eta": "{n} mnt {n} dtk"},
}


@pytest.mark.parametrize("language", ["en", "id"])
def test_dates_times_and_durations_are_written_the_way_each_language_writes_them(app, language):
    from datetime import date, datetime, timezone

    from flask import render_template_string

    moment = datetime(2026, 12, 2, 7, 57, 41, tzinfo=timezone.utc)  # 14:57:41 in Jakarta
    template = ("{{ m|datetime }}|{{ m|datetime('short') }}|{{ m|datetime('long') }}|{{ m|date }}|"
                "{{ d|date('full') }}|{{ clock }}|"
                "{% for s in seconds %}{{ s|duration }}{{ ';' if not loop.last }}{% endfor %}|"
                "{{ duration_pattern('minute') }} {{ duration_pattern('second') }}")
    with app.test_request_context("/", headers={"Accept-Language": language}):
        shown = render_template_string(template, m=moment, d=date(2026, 12, 2), clock=format_clock(moment),
                                       seconds=[0, 19.6, 60, 125, 3601, 3725]).split("|")
    written = WRITTEN[language]
    assert shown == [written["moment"], written["short"], written["long"], written["day"], written["full"],
                     written["clock"], ";".join(written["durations"]), written["eta"]]


def test_no_page_template_writes_a_date_its_own_way():
    """Dates reach pages through the filters above: no strftime, no Babel call of a template's
    own, no numeric "short" date."""
    templates = ROOT / "workshop" / "templates"
    offenders = [f"{path.relative_to(templates)}: {needle}" for path in sorted(templates.rglob("*.html"))
                 for needle in ("strftime", "format_date", "format_datetime", "|date('short')", '|date("short")')
                 if needle in path.read_text()]
    assert offenders == []

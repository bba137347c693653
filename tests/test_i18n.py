"""English and Bahasa Indonesia everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

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
    template = "{{ moment|datetime('medium') }} / {{ moment|date('long') }}"

    def shown(language: str) -> str:
        with app.test_request_context("/", headers={"Accept-Language": language}):
            return render_template_string(template, moment=moment)

    for _ in range(2):  # the second round is answered from what the first kept
        assert shown("en") == "Nov 24, 2026, 12:30:00\u202fAM / November 24, 2026"
        assert shown("id") == "24 Nov 2026 00.30.00 / 24 November 2026"
    monkeypatch.setattr(app.extensions["babel"], "default_timezone", "UTC")  # as BABEL_DEFAULT_TIMEZONE=UTC
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template, moment=moment).startswith("Nov 23, 2026, 5:30:00\u202fPM")

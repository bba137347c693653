"""Headers and secrets: the security headers on every kind of response, a
Content-Security-Policy the templates can live with (no inline scripts, styles or handlers),
cookie flags, and user-given file names that never become paths."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from workshop import create_app

from .helpers import PASSWORD, bearer, login

TEMPLATES = Path(__file__).resolve().parent.parent / "workshop" / "templates"


def _assert_secure_headers(response, what):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "unsafe-inline" not in directives.get("script-src", "") and "unsafe-eval" not in csp, what
    assert "unsafe-inline" not in directives.get("style-src", ""), what
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), what


def test_every_kind_of_response_carries_the_security_headers(app, client, make):
    cohort = make.cohort()
    student = make.user(name="Sari")
    make.member(student, cohort, "student")
    token = app.test_client().post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json
    responses = {
        "log-in page": client.get("/login"),
        "a 404 page": client.get("/nowhere"),
        "an API answer": app.test_client().get("/api/v1/me", headers=bearer(token["token"])),
        "an API error": app.test_client().get("/api/v1/me"),
        "the health check": client.get("/healthz"),
        "a static file": client.get("/static/css/karya.css"),
    }
    login(client, student)
    responses["a signed-in page"] = client.get("/")
    for what, response in responses.items():
        _assert_secure_headers(response, what)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_hold_no_inline_script_style_or_handlers(template):
    """The CSP forbids them, so a browser would silently ignore them: catch them here."""
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"<style[\s>]", text), "<style> element"
    events = "click|dblclick|load|error|submit|change|input|focus|blur|mouse[a-z]+|key[a-z]+|touch[a-z]+|play|pause"
    assert not re.search(rf"<[^>]*\son(?:{events})\s*=", text), "inline event handler"
    assert "javascript:" not in text.lower()


def test_cookies_are_secure_by_default_outside_the_embedded_site(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("KARYA_EMBEDDED", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("KARYA_INSTANCE_PATH", str(tmp_path))
    config = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                         "REDIS_URL": "redis://127.0.0.1:1/0"}).config
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_session_cookie_is_httponly_and_samesite(client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("name", ["../../../../tmp/karya-evil.mp4", "/etc/passwd", "..\\..\\win.mp4",
                                  "video\x00.mp4", "a" * 400 + ".mp4"])
def test_a_file_name_from_the_user_never_becomes_a_path(app, make, tmp_path, name):
    from workshop.extensions import db
    from workshop.submissions.models import Version

    cohort = make.cohort()
    student = make.user(name="Sari")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort)
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    before = set(Path("/tmp").iterdir())
    response = api.post(f"/api/v1/assignments/{assignment.id}/versions", headers=bearer(token),
                        data={"file": (io.BytesIO(b"not really a video"), name)})
    assert response.status_code in (201, 422), response.json
    assert not Path("/tmp/karya-evil.mp4").exists()
    assert {p for p in set(Path("/tmp").iterdir()) - before if "evil" in p.name} == set()
    if response.status_code == 201:
        with app.app_context():
            version = db.session.get(Version, response.json["version_id"])
            assert version.original_key == f"versions/{version.id}/original"
            media = Path(app.config["MEDIA_ROOT"]).resolve()
            stored = (media / version.original_key).resolve()
            assert stored.is_relative_to(media) and stored.read_bytes() == b"not really a video"
            assert len(version.original_filename) <= 255 and "\x00" not in version.original_filename


def test_personal_answers_say_no_store_and_static_assets_keep_their_caching(app, client, make):
    """Nothing a signed-in person sees, no API answer and no private media file may be kept
    by a proxy or in a (shared school) computer's browser cache."""
    from workshop.extensions import db
    from workshop.submissions.models import Version

    cohort = make.cohort()
    assignment = make.assignment(cohort, title="Explain sleep")
    student = make.user(name="Sari")
    make.member(student, cohort, "student")
    api = app.test_client()
    auth = bearer(api.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"])
    uploaded = api.post(f"/api/v1/assignments/{assignment.id}/versions", headers=auth,
                        data={"file": (io.BytesIO(b"\x00" * 4096), "clip.mp4")})
    assert uploaded.status_code in (200, 201), uploaded.json
    with app.app_context():
        version = db.session.get(Version, uploaded.json["version_id"])
        media = f"/media/versions/{version.id}/{version.media_token}/original"

    anonymous_page = client.get("/login")
    static = client.get("/static/css/karya.css")
    private = {
        "an API answer": api.get("/api/v1/me", headers=auth),
        "an API error": app.test_client().get("/api/v1/me"),
        "an API upload": uploaded,
        "a private media file": api.get(media, headers=auth),
        "a range of it": api.get(media, headers={**auth, "Range": "bytes=0-99"}),
    }
    login(client, student)
    private["a signed-in page"] = client.get("/")
    private["a signed-in 404"] = client.get("/nowhere")
    private["the media file with the cookie"] = client.get(media)
    static_signed_in = client.get("/static/css/karya.css")
    for what, response in private.items():
        assert response.status_code < 500, what
        assert "no-store" in response.headers.get("Cache-Control", ""), what
    assert [private[w].status_code for w in ("a private media file", "a range of it")] == [200, 206]
    assert "no-store" not in static.headers.get("Cache-Control", "") and static.status_code == 200
    assert "no-store" not in anonymous_page.headers.get("Cache-Control", "")
    assert "no-store" not in static_signed_in.headers.get("Cache-Control", "") and static_signed_in.status_code == 200

"""Files Karya writes are for the account it runs as only: media, uploads, the SQLite
database. Checked with stat() on what the real pipeline wrote."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from workshop import create_app

from .helpers import PASSWORD, bearer, login
from .test_processing import _burst, _new_version, _state, make_clip, student_setup  # noqa: F401 (a fixture)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_processed_media_is_readable_by_its_owner_only(app, student_setup, tmp_path):  # noqa: F811
    _cohort, student, _mentor, assignment = student_setup
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    os.chmod(clip, 0o644)  # as a browser's upload or ffmpeg leaves a file
    version_id = _new_version(app, assignment, student, clip)
    _burst(app)
    version = _state(app, version_id)
    assert version.rendition_key and version.poster_key, (version.state, version.error_code)

    root = Path(app.config["MEDIA_ROOT"])
    keys = [version.original_key, version.rendition_key, version.poster_key, version.storyboard_key,
            version.storyboard_vtt_key]
    for key in keys:
        assert _mode(root / key) == 0o600, key
    folders = {(root / key).parent for key in keys}
    for folder in folders:
        assert _mode(folder) == 0o700, folder
        for parent in folder.relative_to(root).parents:  # versions/, and the root itself
            assert _mode(root / parent) & 0o007 == 0, parent


def test_a_plain_upload_is_stored_owner_only(app, client, make):
    from workshop.extensions import db
    from workshop.submissions.models import Version

    cohort = make.cohort()
    assignment = make.assignment(cohort)
    student = make.user()
    make.member(student, cohort, "student")
    auth = bearer(client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"])
    uploaded = client.post(f"/api/v1/assignments/{assignment.id}/versions", headers=auth,
                           data={"file": (io.BytesIO(os.urandom(10_000)), "clip.mp4")})
    assert uploaded.status_code in (200, 201), uploaded.json
    with app.app_context():
        key = db.session.get(Version, uploaded.json["version_id"]).original_key
    root = Path(app.config["MEDIA_ROOT"])
    assert _mode(root / key) == 0o600 and _mode((root / key).parent) == 0o700
    assert _mode(root / "uploads") & 0o007 == 0


def test_the_sqlite_database_is_made_owner_only(app, database_url, redis_url, tmp_path, monkeypatch):
    if database_url.startswith("sqlite:///"):  # the tests' own database
        assert _mode(database_url[len("sqlite:///"):]) & 0o077 == 0
    # The embedded default: instance/karya.sqlite3, made on first start.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("KARYA_INSTANCE_PATH", str(tmp_path / "instance"))
    (tmp_path / "instance").mkdir()
    embedded = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": redis_url})
    from workshop.extensions import db

    with embedded.app_context():
        db.session.execute(db.text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
    assert _mode(tmp_path / "instance" / "karya.sqlite3") == 0o600

    # A database file an older version left readable by everyone is narrowed.
    old = tmp_path / "old.sqlite3"
    old.touch()
    os.chmod(old, 0o644)
    create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": redis_url, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{old}"})
    assert _mode(old) & 0o007 == 0


def test_a_roster_waiting_for_confirmation_is_stored_owner_only(app, client, make, tmp_path, monkeypatch):
    """Names, emails and birth years of minors wait on disk between preview and import."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    cohort, lead = make.cohort(name="Roster"), make.user(email="roster-lead@karya.test")
    make.member(lead, cohort, "lead")
    login(client, lead)
    csv = b"name,email,birth_year\nSiti,siti@karya.test,2011\n"
    response = client.post(f"/cohorts/{cohort.id}/roster", data={"file": (io.BytesIO(csv), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    folder = tmp_path / "instance" / "roster-uploads"
    (stored,) = folder.iterdir()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

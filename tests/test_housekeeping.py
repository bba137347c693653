"""The chores every worker runs (workshop/housekeeping.py): each runs when due, and one
that fails does not stop the others."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from workshop import housekeeping
from workshop.db_types import utcnow
from workshop.uploads.models import Upload

from .test_uploads import TUS, metadata, people  # noqa: F401 (a fixture)


def _open_upload(client, people) -> str:
    location = client.post("/api/v1/uploads", headers={
        **TUS, **people["student_auth"], "Upload-Length": "10",
        "Upload-Metadata": metadata(assignment_id=people["assignment"].id, filename="a.mp4")}).headers["Location"]
    return location.rsplit("/", 1)[1]


def test_the_chores_loop_purges_abandoned_uploads_and_survives_a_failing_chore(app, client, people,
                                                                                monkeypatch):
    from workshop.extensions import db
    from workshop.uploads.service import upload_dir

    upload_id = _open_upload(client, people)
    with app.app_context():
        db.session.get(Upload, upload_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        folder = upload_dir(upload_id)
    assert folder.exists()

    calls = []

    def broken():
        calls.append(time.monotonic())
        raise RuntimeError("the database blinked")

    real = housekeeping.chores
    monkeypatch.setattr(housekeeping, "chores", lambda: [
        housekeeping.Chore("broken", "UPLOAD_PURGE_EVERY_S", broken), *real()])
    monkeypatch.setitem(app.config, "UPLOAD_PURGE_EVERY_S", 0.2)
    monkeypatch.setitem(app.config, "MEDIA_WATCHDOG_EVERY_S", 0.2)
    stop = threading.Event()
    thread = threading.Thread(target=housekeeping.run_forever, args=(app, stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while (folder.exists() or len(calls) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not folder.exists()
    assert len(calls) >= 2  # the failing chore was tried again, and did not stop the purge
    with app.app_context():
        assert db.session.get(Upload, upload_id) is None


def test_the_purge_command(app, client, people):
    from workshop.extensions import db

    upload_id = _open_upload(client, people)
    with app.app_context():
        db.session.get(Upload, upload_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["karya", "purge-uploads"])
    assert result.exit_code == 0 and "Removed 1" in result.output


def test_the_chores_delete_login_sessions_that_can_open_nothing(app, make, monkeypatch):
    """Logged out, or older than the session lifetime: those rows go; live ones stay and still work."""
    from workshop.accounts.auth import login_session_lifetime
    from workshop.accounts.models import LoginSession
    from workshop.extensions import db

    from .helpers import login

    user = make.user()
    live = app.test_client()
    login(live, user)
    logged_out = app.test_client()
    login(logged_out, user)
    assert logged_out.post("/logout").status_code == 302
    with app.app_context():
        lifetime = login_session_lifetime()
        db.session.add_all([
            LoginSession(user_id=user.id, key_hash="a" * 64, created_at=utcnow() - lifetime - timedelta(minutes=1)),
            LoginSession(user_id=user.id, key_hash="b" * 64, created_at=utcnow() - lifetime + timedelta(hours=1)),
        ])
        db.session.commit()

    def sessions() -> list[tuple[str, bool]]:
        with app.app_context():
            return sorted((row.key_hash, row.revoked_at is not None) for row in db.session.scalars(
                db.select(LoginSession).where(LoginSession.user_id == user.id)))

    assert len(sessions()) == 4 and sum(revoked for _key, revoked in sessions()) == 1
    monkeypatch.setitem(app.config, "LOGIN_SESSION_PURGE_EVERY_S", 0.1)
    stop = threading.Event()
    thread = threading.Thread(target=housekeeping.run_forever, args=(app, stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(sessions()) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    left = sessions()
    assert len(left) == 2 and ("b" * 64, False) in left and not any(revoked for _key, revoked in left)
    assert live.get("/").status_code == 200  # the browser still signed in keeps its session

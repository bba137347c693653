"""GET /healthz reports each part and answers 503 when one is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from workshop import create_app
from workshop.media import tools

from .helpers import bearer, login

ROOT = Path(__file__).resolve().parent.parent
HEALTH_TOKEN = "health-token-for-the-monitor"
MONITOR = bearer(HEALTH_TOKEN)


def test_healthz_is_503_without_a_worker_and_200_with_one(app, client, database_url, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", HEALTH_TOKEN)
    down = client.get("/healthz", headers=MONITOR)
    assert down.status_code == 503
    body = down.json
    assert body["workers"] == {"ok": False, "count": 0}
    assert body["database"]["ok"] and body["redis"]["ok"]
    for tool in ("ffmpeg", "ffprobe"):
        assert body[tool]["ok"] and os.path.isabs(body[tool]["path"]) and body[tool]["version"]
        assert body[tool]["source"] in ("setting", "PATH", "bundled") and body[tool]["reason"]

    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            up = client.get("/healthz", headers=MONITOR)
            if up.status_code == 200:
                break
            time.sleep(0.2)
        assert up.status_code == 200, up.json
        assert up.json["status"] == "ok" and up.json["workers"]["count"] == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_healthz_is_503_when_redis_is_unreachable(database_url):
    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "HEALTH_TOKEN": HEALTH_TOKEN,
    })
    response = broken.test_client().get("/healthz", headers=MONITOR)
    assert response.status_code == 503
    assert response.json["redis"]["ok"] is False and response.json["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(redis_url, tmp_path):
    missing_dir = tmp_path / "no-such-dir" / "db.sqlite3"
    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing_dir}",
        "REDIS_URL": redis_url,
        "HEALTH_TOKEN": HEALTH_TOKEN,
    })
    response = broken.test_client().get("/healthz", headers=MONITOR)
    assert response.status_code == 503 and response.json["database"]["ok"] is False


def test_healthz_is_503_when_ffmpeg_is_missing(database_url, redis_url, monkeypatch, tmp_path):
    from workshop.media import tools

    monkeypatch.setattr(tools, "_bundled", lambda name: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
        "HEALTH_TOKEN": HEALTH_TOKEN,
    })
    response = broken.test_client().get("/healthz", headers=MONITOR)
    assert response.status_code == 503
    assert response.json["ffmpeg"]["ok"] is False and "not found" in response.json["ffmpeg"]["error"]


def test_healthz_is_503_with_the_reason_when_ffmpeg_path_is_too_old(app, database_url, redis_url, old_ffmpeg_dir):
    """Everything else up (a real worker runs), FFMPEG_PATH naming a real ffmpeg older than the
    floor: down, with the reason for the monitor and nothing but the status for anyone else."""
    old = str(old_ffmpeg_dir / "ffmpeg")
    settings = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url, "HEALTH_TOKEN": HEALTH_TOKEN}
    healthy, too_old = create_app(settings), create_app({**settings, "FFMPEG_PATH": old})
    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.pop("FFMPEG_PATH", None)
    worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while healthy.test_client().get("/healthz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert healthy.test_client().get("/healthz").status_code == 200

        response = too_old.test_client().get("/healthz", headers=MONITOR)
        assert response.status_code == 503
        body = response.json
        assert body["ffmpeg"]["ok"] is False
        reason = body["ffmpeg"]["error"]
        assert "FFMPEG_PATH" in reason and old in reason and f"older than {tools.MINIMUM_TEXT}" in reason
        assert all(body[part]["ok"] for part in ("database", "redis", "workers", "ffprobe")), body

        anonymous = too_old.test_client().get("/healthz")
        assert anonymous.status_code == 503 and anonymous.json == {"status": "down"}
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_anyone_else_gets_the_status_only(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", HEALTH_TOKEN)
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503 and anonymous.json == {"status": "down"}  # no worker runs here
    assert b"ffmpeg" not in anonymous.data and b"sqlite" not in anonymous.data
    for wrong in (bearer("health-token-for-the-monitoR"), bearer(HEALTH_TOKEN[:-1]), {"Authorization": HEALTH_TOKEN},
                  {"Authorization": f"Basic {HEALTH_TOKEN}"}):
        assert client.get("/healthz", headers=wrong).json == {"status": "down"}, wrong
    login(client, make.user(name="Lead"))
    assert client.get("/healthz").json == {"status": "down"}


def test_without_a_health_token_configured_no_bearer_gets_details(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", None)
    assert client.get("/healthz", headers=bearer("None")).json == {"status": "down"}
    assert client.get("/healthz", headers={"Authorization": "Bearer "}).json == {"status": "down"}


def test_a_signed_in_administrator_gets_the_details(client, make):
    login(client, make.user(name="Admin", is_admin=True))
    body = client.get("/healthz").json
    assert body["status"] == "down" and body["database"]["backend"] in ("sqlite", "postgresql") and body["ffmpeg"]["path"]

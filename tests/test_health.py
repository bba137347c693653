"""GET /healthz reports each part and answers 503 when one is down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from workshop import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_is_503_without_a_worker_and_200_with_one(app, client, database_url, redis_url):
    down = client.get("/healthz")
    assert down.status_code == 503
    body = down.json
    assert body["workers"] == {"ok": False, "count": 0}
    assert body["database"]["ok"] and body["redis"]["ok"]
    for tool in ("ffmpeg", "ffprobe"):
        assert body[tool]["ok"] and os.path.isabs(body[tool]["path"]) and body[tool]["version"]

    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            up = client.get("/healthz")
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
    })
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"]["ok"] is False and response.json["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(redis_url, tmp_path):
    missing_dir = tmp_path / "no-such-dir" / "db.sqlite3"
    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing_dir}",
        "REDIS_URL": redis_url,
    })
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"]["ok"] is False


def test_healthz_is_503_when_ffmpeg_is_missing(database_url, redis_url, monkeypatch, tmp_path):
    from workshop.media import tools

    monkeypatch.setattr(tools, "_bundled", lambda name: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
    })
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["ffmpeg"]["ok"] is False and "not found" in response.json["ffmpeg"]["error"]

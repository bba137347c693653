"""``GET /healthz``: is every part Karya needs answering?"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from rq import Worker

from .access import public
from .extensions import db
from .media import tools
from .redis_conn import get_redis

bp = Blueprint("health", __name__)
log = logging.getLogger("karya.health")


def _check_database() -> dict:
    try:
        db.session.execute(db.text("SELECT 1"))
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:  # any driver error means "down"
        db.session.rollback()
        log.warning("health: database check failed: %s", exc)
        return {"ok": False, "backend": db.engine.dialect.name, "error": type(exc).__name__}


def _check_redis_and_workers() -> tuple[dict, dict]:
    try:
        redis = get_redis()
        redis.ping()
        workers = Worker.all(connection=redis)
    except Exception as exc:
        log.warning("health: redis check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}, {"ok": False, "count": 0}
    return {"ok": True}, {"ok": len(workers) > 0, "count": len(workers)}


def _check_tool(name: str) -> dict:
    try:
        found = tools.tool(name)
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "path": found.path, "version": found.version}


@bp.get("/healthz")
@public
def healthz():
    redis, workers = _check_redis_and_workers()
    checks = {
        "database": _check_database(),
        "redis": redis,
        "ffmpeg": _check_tool("ffmpeg"),
        "ffprobe": _check_tool("ffprobe"),
        "workers": workers,
    }
    healthy = all(check["ok"] for check in checks.values())
    return jsonify({"status": "ok" if healthy else "down", **checks}), 200 if healthy else 503

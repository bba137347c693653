"""``GET /healthz``: is every part Karya needs answering?

Anyone (a load balancer, a container healthcheck) gets the verdict only: 200 with
``{"status": "ok"}`` or 503 with ``{"status": "down"}``. Which part is down, and what
runs where (database backend, ffmpeg's path and version), helps an attacker pick an
exploit, so those details go only to a signed-in site administrator or to a monitor
that sends ``Authorization: Bearer <HEALTH_TOKEN>``.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from rq import Worker

from .access import public
from .accounts.auth import bearer_token
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
    """The ffmpeg/ffprobe the jobs would run, and why that one; down when it is missing or
    ``FFMPEG_PATH``/``FFPROBE_PATH`` names one older than the floor (tools.MINIMUM_VERSION)."""
    try:
        found = tools.tool(name)
    except Exception as exc:  # missing, too old, or would not run: "down" either way
        log.warning("health: %s", exc)
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "path": found.path, "version": found.version, "source": found.source,
            "reason": found.reason}


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
    body = {"status": "ok" if healthy else "down"}
    if may_see_details():
        body.update(checks)
    return jsonify(body), 200 if healthy else 503


def may_see_details() -> bool:
    """A signed-in site administrator, or the configured health token as a bearer token."""
    if current_user.is_authenticated and current_user.is_admin:
        return True
    expected, given = current_app.config.get("HEALTH_TOKEN"), bearer_token()
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())  # constant time

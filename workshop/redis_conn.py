"""The app's Redis connection, made on first use rather than at import time."""

from __future__ import annotations

from flask import current_app
from redis import Redis


def get_redis(app=None) -> Redis:
    """The Redis client for ``app`` (default: the current app), created once per app."""
    app = app or current_app._get_current_object()
    client = app.extensions.get("karya_redis")
    if client is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise RuntimeError(
                "REDIS_URL is not set. 'make run' starts an embedded Redis; "
                "in production point REDIS_URL at your Redis server."
            )
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)
        app.extensions["karya_redis"] = client
    return client

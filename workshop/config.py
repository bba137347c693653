"""Configuration, read from the environment in one place.

Every setting here is listed in docs/configuration.md (tests/test_docs.py checks it). ``create_app``
starts from :func:`from_environment` and lays any explicit overrides on top.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _ints(raw: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of whole numbers, e.g. ``30,300,1800``."""
    if raw is None or raw.strip() == "":
        return default
    return tuple(int(part) for part in raw.split(",") if part.strip())


# Room for a multipart body's boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 1024 * 1024


def from_environment(instance_path: str) -> dict:
    """Return the settings dictionary built from environment variables.

    ``instance_path`` is where the embedded default keeps its SQLite database,
    media and generated secret key.
    """
    env = os.environ
    instance = Path(instance_path)
    embedded = _bool(env.get("KARYA_EMBEDDED"))
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'karya.sqlite3'}"
    if database_url.startswith("postgres://"):
        # Heroku-style URLs name a dialect SQLAlchemy no longer accepts.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    return {
        "KARYA_EMBEDDED": embedded,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Every connection taken from the pool is checked first (one round trip), so the first
        # request after a database restart, a form or an upload included, gets a fresh one.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "MEDIA_ROOT": env.get("MEDIA_ROOT") or str(instance / "media"),
        # Where media is kept: "local" (files under MEDIA_ROOT) or "s3" (a bucket).
        "STORAGE_BACKEND": (env.get("STORAGE_BACKEND") or "local").strip().lower(),
        "S3_BUCKET": env.get("S3_BUCKET") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("S3_REGION") or None,
        "S3_ACCESS_KEY_ID": env.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": env.get("S3_SECRET_ACCESS_KEY") or None,
        "S3_PREFIX": env.get("S3_PREFIX") or "",
        # Uploads: resumable (tus) up to UPLOAD_MAX_BYTES, plain form uploads up to
        # FORM_UPLOAD_MAX_BYTES. Every other request body is capped near the form limit
        # (MAX_CONTENT_LENGTH); only the tus PATCH route lifts it, see uploads/limits.py.
        "UPLOAD_MAX_BYTES": _int("UPLOAD_MAX_BYTES", 2 * 1024**3),
        "UPLOAD_EXPIRY_HOURS": _int("UPLOAD_EXPIRY_HOURS", 24),
        # How often workers remove abandoned uploads (workshop/housekeeping.py).
        "UPLOAD_PURGE_EVERY_S": _int("UPLOAD_PURGE_EVERY_S", 3600),
        "UPLOAD_MAX_PENDING_PER_USER": _int("UPLOAD_MAX_PENDING_PER_USER", 10),
        # A PATCH whose body stops arriving for this long counts as a dropped connection.
        "UPLOAD_READ_TIMEOUT_S": _int("UPLOAD_READ_TIMEOUT_S", 60),
        "FORM_UPLOAD_MAX_BYTES": _int("FORM_UPLOAD_MAX_BYTES", 100 * 1024**2),
        "MAX_CONTENT_LENGTH": _int("FORM_UPLOAD_MAX_BYTES", 100 * 1024**2) + MULTIPART_OVERHEAD,
        "FFMPEG_PATH": env.get("FFMPEG_PATH") or None,
        "FFPROBE_PATH": env.get("FFPROBE_PATH") or None,
        # Links in emails are built on this, never on the request's Host header,
        # which a sender of a reset request could forge.
        "BASE_URL": (env.get("BASE_URL") or "").rstrip("/") or None,
        # Mail: with no MAIL_SERVER every message is written to the log instead.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), True),
        "MAIL_FROM": env.get("MAIL_FROM") or "Karya <no-reply@karya.test>",
        # Argon2id (time_cost, memory_cost in KiB, parallelism): argon2-cffi's defaults.
        "PASSWORD_HASH_PARAMS": (3, 65536, 4),
        "PASSWORD_RESET_MAX_AGE_S": _int("PASSWORD_RESET_MAX_AGE_S", 3600),
        # Limits, written "N per [M] second|minute|hour|day" (accounts/throttle.py). Failed
        # log-ins, counted over the log-in page and the token API together:
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT") or "5 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        # Password-reset emails asked for (every request counts; past the limit the page
        # answers the same, but sends nothing):
        "PASSWORD_RESET_LIMIT_PER_ACCOUNT": env.get("PASSWORD_RESET_LIMIT_PER_ACCOUNT") or "3 per hour",
        "PASSWORD_RESET_LIMIT_PER_ADDRESS": env.get("PASSWORD_RESET_LIMIT_PER_ADDRESS") or "20 per hour",
        # Wrong join codes (sign-up and "join a cohort"), per address: a classroom shares one.
        "JOIN_CODE_LIMIT_PER_ADDRESS": env.get("JOIN_CODE_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), not embedded),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), not embedded),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int("SESSION_DAYS", 14)),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("SESSION_DAYS", 14)),
        # How often workers delete login sessions that ended (workshop/housekeeping.py).
        "LOGIN_SESSION_PURGE_EVERY_S": _int("LOGIN_SESSION_PURGE_EVERY_S", 3600),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": env.get("DEFAULT_TIMEZONE") or "Asia/Jakarta",
        "LANGUAGES": ("en", "id"),
        "PROXY_FIX": _bool(env.get("PROXY_FIX")),
        # A monitor sending "Authorization: Bearer <HEALTH_TOKEN>" gets /healthz's details;
        # unset, only signed-in administrators do.
        "HEALTH_TOKEN": env.get("HEALTH_TOKEN") or None,
        # Media processing limits and timings.
        "MEDIA_MAX_DURATION_S": _int("MEDIA_MAX_DURATION_S", 900),
        "MEDIA_MAX_WIDTH": _int("MEDIA_MAX_WIDTH", 4096),
        "MEDIA_MAX_HEIGHT": _int("MEDIA_MAX_HEIGHT", 4096),
        "MEDIA_MAX_FPS": _int("MEDIA_MAX_FPS", 120),
        "MEDIA_JOB_TIMEOUT_S": _int("MEDIA_JOB_TIMEOUT_S", 2 * 3600),
        # A version whose heartbeat is older than this is taken to have lost its worker.
        "MEDIA_STALE_AFTER_S": _int("MEDIA_STALE_AFTER_S", 60),
        "MEDIA_MAX_ATTEMPTS": _int("MEDIA_MAX_ATTEMPTS", 3),
        "MEDIA_WATCHDOG_EVERY_S": _int("MEDIA_WATCHDOG_EVERY_S", 20),
        # Guardian consent: how long after a withdrawal the student's data is deleted,
        # and how often workers look for deletions that are due (workshop/consent/deletion.py).
        "DATA_DELETION_GRACE_DAYS": _int("DATA_DELETION_GRACE_DAYS", 14),
        "CONSENT_DELETION_EVERY_S": _int("CONSENT_DELETION_EVERY_S", 3600),
        # How often workers look for reminders and digests that are due (workshop/reminders/).
        "REMINDERS_EVERY_S": _int("REMINDERS_EVERY_S", 300),
        # Consent by link (workshop/consent/requests.py): how long a guardian's link works,
        # how long a one-time code works, how many wrong codes lock the request, and how
        # many codes may be sent per request and per address.
        "CONSENT_REQUEST_DAYS": _int("CONSENT_REQUEST_DAYS", 14),
        "CONSENT_CODE_MINUTES": _int("CONSENT_CODE_MINUTES", 10),
        "CONSENT_CODE_MAX_WRONG": _int("CONSENT_CODE_MAX_WRONG", 5),
        "CONSENT_CODE_LIMIT_PER_REQUEST": env.get("CONSENT_CODE_LIMIT_PER_REQUEST") or "5 per hour",
        "CONSENT_CODE_LIMIT_PER_ADDRESS": env.get("CONSENT_CODE_LIMIT_PER_ADDRESS") or "20 per hour",
        "CONSENT_LINK_LIMIT_PER_CONTACT": env.get("CONSENT_LINK_LIMIT_PER_CONTACT") or "3 per day",
        # WhatsApp through the WhatsApp Business Cloud API (docs/whatsapp.md): sent only when
        # the token and the sender's phone number id are both set. Without them the embedded
        # default prints the messages it would send (WHATSAPP_PRINT) and production sends none.
        "WHATSAPP_TOKEN": env.get("WHATSAPP_TOKEN") or None,
        "WHATSAPP_PHONE_NUMBER_ID": env.get("WHATSAPP_PHONE_NUMBER_ID") or None,
        "WHATSAPP_API_BASE": (env.get("WHATSAPP_API_BASE") or "https://graph.facebook.com/v23.0").rstrip("/"),
        "WHATSAPP_PRINT": _bool(env.get("WHATSAPP_PRINT"), embedded),
        # The approved template names in WhatsApp Manager, one per kind of message.
        "WHATSAPP_TEMPLATE_NOTIFICATION": env.get("WHATSAPP_TEMPLATE_NOTIFICATION") or "karya_notification",
        "WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_LINK": (env.get("WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_LINK")
                                                    or "karya_guardian_consent_link"),
        "WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_CODE": (env.get("WHATSAPP_TEMPLATE_GUARDIAN_CONSENT_CODE")
                                                    or "karya_guardian_consent_code"),
        # Seconds before each new try of a message the platform asked to slow down (or could
        # not take for a moment); after the last, the message is recorded as failed.
        "WHATSAPP_RETRY_INTERVALS": _ints(env.get("WHATSAPP_RETRY_INTERVALS"), (30, 300, 1800)),
        "WHATSAPP_TIMEOUT_S": _int("WHATSAPP_TIMEOUT_S", 15),
    }


def embedded_secret_key(instance_path: str) -> str:
    """Return the embedded default's secret key, creating it on first use.

    Kept in the instance folder so sessions survive a restart of ``make run``.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created 0600, so the key is never readable by others, not even for a moment.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(key)
    return key

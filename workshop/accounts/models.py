"""People and their credentials."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from flask_login import UserMixin

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # None means "follow the browser's language".
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    birth_year: Mapped[int | None]
    is_minor: Mapped[bool] = mapped_column(default=False)
    # A parent or guardian's phone or email, from the roster (minors).
    guardian_contact: Mapped[str] = mapped_column(sa.String(254), default="")
    # The cohort whose roster gave it: only that cohort's leads send consent requests to it.
    guardian_contact_cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"))
    # The guardian asked for no WhatsApp messages at that contact (consent requests go by email).
    guardian_whatsapp_opt_out: Mapped[bool] = mapped_column(default=False)
    # The person's own mobile number in E.164 (workshop/phones.py), "" for none, and whether
    # they asked for notifications by WhatsApp there (off until they turn it on).
    phone: Mapped[str] = mapped_column(sa.String(16), default="")
    whatsapp_opt_in: Mapped[bool] = mapped_column(default=False)
    # The secret in this person's calendar-feed URL (calendar apps send no cookies); made on first use.
    calendar_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the person proved they read this address (a confirmation, welcome or reset
    # link that reached it). Until then the account can act in no cohort.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")
    tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")
    login_sessions = relationship("LoginSession", back_populates="user", cascade="all, delete-orphan")

    # The raw key of the login session this request runs in (never stored; see accounts/auth.py).
    login_key = None

    @property
    def is_active(self) -> bool:  # Flask-Login: deleted people cannot log in
        return self.deleted_at is None

    def get_id(self) -> str:
        """Flask-Login's id for the cookies: this person *and* their login session.

        Flask-Login's "alternative id": revoking the login session invalidates every
        cookie that carries it. Log in with ``accounts.auth.sign_in``, which makes one.
        """
        if not self.login_key:
            raise RuntimeError("log in with accounts.auth.sign_in, which starts a login session")
        return f"{self.id}.{self.login_key}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256 digests: a leaked table grants nothing."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for ``/api/v1``; only its digest is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", back_populates="tokens")

    @classmethod
    def issue(cls, user: User, label: str = "") -> tuple["ApiToken", str]:
        """Create a token for ``user``; return the row and the raw token (shown once)."""
        raw = "karya_" + secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=hash_token(raw), label=label[:120])
        db.session.add(token)
        return token, raw


class LoginSession(db.Model):
    """One signed-in browser. The session and remember-me cookies name it, so logging out
    (revoking this row) or a password change (revoking them all) ends them server-side."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", back_populates="login_sessions")

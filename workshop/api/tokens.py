"""API tokens and the caller's own profile."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ..access import public, signed_in
from ..accounts import service as accounts
from ..accounts.models import ApiToken
from ..accounts.throttle import login_attempts
from ..audit.service import record
from ..cohorts import service as cohorts
from ..db_types import possible_id, utcnow
from ..errors import NotFound, Unauthorized
from ..extensions import db
from ..roles import Role
from . import bp
from .contract import Answer, Body, Reply, Timestamp, operation


class NewToken(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    label: str | None = Field(None, max_length=120, description="A name to tell the caller's tokens apart")


class IssuedToken(Reply):
    token: str = Field(description="The bearer token (`karya_...`), shown only this once")
    id: int


class TokenEntry(Reply):
    id: int
    label: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked: bool


class Tokens(Reply):
    tokens: list[TokenEntry]


class AssignmentBrief(Reply):
    id: int
    title: str
    due_at: Timestamp | None


class MyCohort(Reply):
    id: int
    name: str
    role: Role
    assignments: list[AssignmentBrief]


class Me(Reply):
    id: int
    email: str
    name: str
    locale: str | None
    cohorts: list[MyCohort]


@bp.post("/tokens")
@public
@login_attempts
@operation("Exchange an email and password for a bearer token", tag="tokens", body=NewToken,
           answers={201: Answer("The new token", IssuedToken)}, errors=(401, 429))
def create_token(body: NewToken):
    """The token is shown only once; only its hash is stored. Failed attempts count against
    the log-in rate limits (429 when exceeded); a wrong password answers 401 with code
    `invalid_credentials`. Changing or resetting the password revokes every token of the account."""
    user = accounts.authenticate(body.email, body.password)
    if user is None:
        raise Unauthorized(_("That email and password do not match."), code="invalid_credentials")
    token, raw = ApiToken.issue(user, body.label or "")
    record("token.created", target=token, actor=user)
    db.session.commit()
    return IssuedToken(token=raw, id=token.id), 201


@bp.get("/tokens")
@signed_in
@operation("The caller's tokens, oldest first", tag="tokens", answers={200: Answer("The tokens", Tokens)})
def list_tokens():
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    )
    return Tokens(tokens=[TokenEntry(id=t.id, label=t.label, created_at=t.created_at, last_used_at=t.last_used_at,
                                     revoked=t.revoked_at is not None) for t in tokens])


@bp.delete("/tokens/<token_ref>")
@signed_in
@operation("Revoke one of the caller's tokens", tag="tokens", answers={204: Answer("Revoked")},
           path_descriptions={"token_ref": "A token id, or `current` for the one in use"})
def revoke_token(token_ref: str):
    """Revoke one of the caller's tokens by id, or the one in use with `current`."""
    if token_ref == "current":
        token = g.get("api_token")
    else:
        # isascii: str.isdigit() is also true of digits int() refuses, such as "²".
        ident = int(token_ref) if token_ref.isascii() and token_ref.isdigit() else None
        token = db.session.get(ApiToken, ident) if possible_id(ident) else None
    if token is None or token.user_id != current_user.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoked", target=token)
        db.session.commit()
    return "", 204


@bp.get("/me")
@signed_in
@operation("The caller, their cohorts with their role in each, and each cohort's assignments", tag="tokens",
           answers={200: Answer("The caller", Me)})
def me():
    memberships = cohorts.memberships_of(current_user)
    assignments = cohorts.assignments_by_cohort([cohort.id for cohort, _role in memberships])
    return Me(id=current_user.id, email=current_user.email, name=current_user.name, locale=current_user.locale,
              cohorts=[MyCohort(id=cohort.id, name=cohort.name, role=role, assignments=[
                  AssignmentBrief(id=a.id, title=a.title, due_at=a.due_at) for a in assignments[cohort.id]])
                  for cohort, role in memberships])

"""API tokens and the caller's own profile."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..access import public, signed_in
from ..accounts import service as accounts
from ..accounts.models import ApiToken
from ..accounts.throttle import login_attempts
from ..audit.service import record
from ..cohorts import service as cohorts
from ..db_types import possible_id, utcnow
from ..db_types import iso
from ..errors import NotFound, Unauthorized
from ..extensions import db
from . import bp
from .util import json_body, string_field


@bp.post("/tokens")
@public
@login_attempts
def create_token():
    """Exchange an email and password for a bearer token."""
    data = json_body()
    email = string_field(data, "email", max_length=254)
    password = string_field(data, "password", max_length=1024)
    label = string_field(data, "label", required=False, max_length=120) or ""
    user = accounts.authenticate(email, password)
    if user is None:
        raise Unauthorized(_("That email and password do not match."), code="invalid_credentials")
    token, raw = ApiToken.issue(user, label)
    record("token.created", target=token, actor=user)
    db.session.commit()
    return jsonify({"token": raw, "id": token.id}), 201


@bp.get("/tokens")
@signed_in
def list_tokens():
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    )
    return jsonify({"tokens": [
        {"id": t.id, "label": t.label, "created_at": iso(t.created_at),
         "last_used_at": iso(t.last_used_at), "revoked": t.revoked_at is not None}
        for t in tokens
    ]})


@bp.delete("/tokens/<token_ref>")
@signed_in
def revoke_token(token_ref: str):
    """Revoke one of the caller's tokens by id, or the one in use with ``current``."""
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
def me():
    """The caller, their cohorts with their role in each, and each cohort's assignments."""
    memberships = cohorts.memberships_of(current_user)
    assignments = cohorts.assignments_by_cohort([cohort.id for cohort, _role in memberships])
    return jsonify({
        "id": current_user.id,
        "email": current_user.email,
        "name": current_user.name,
        "locale": current_user.locale,
        "cohorts": [
            {
                "id": cohort.id,
                "name": cohort.name,
                "role": role.value,
                "assignments": [
                    {"id": a.id, "title": a.title, "due_at": iso(a.due_at)}
                    for a in assignments[cohort.id]
                ],
            }
            for cohort, role in memberships
        ],
    })

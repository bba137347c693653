"""Writing audit events."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent


def record(action: str, *, target=None, cohort_id: int | None = None, actor=None, **data) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    ``actor`` defaults to the logged-in person; ``target`` is any model row with an ``id``.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        cohort_id=cohort_id if cohort_id is not None else getattr(target, "cohort_id", None),
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        data=data,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event

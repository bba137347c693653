"""Comments, checklist items and reviews as JSON (the API and the review page's script)."""

from __future__ import annotations

from ..db_types import iso
from .checklists import localized
from .models import ChecklistItem, Comment, Review


def comment_json(comment: Comment, version_number: int | None = None) -> dict:
    return {
        "id": comment.id,
        "version_id": comment.version_id,
        "version_number": version_number,
        "parent_id": comment.parent_id,
        "author": {"id": comment.author_id, "name": comment.author.name if comment.author else None},
        "body": comment.body,
        "timecode_ms": comment.timecode_ms,
        "private": comment.private,
        "resolved": comment.resolved_at is not None,
        "created_at": iso(comment.created_at),
    }


def item_json(item: ChecklistItem) -> dict:
    return {
        "id": item.id,
        "key": item.key,
        "template": item.template.key,
        "severity": item.severity.value,
        "text": localized(item.text_en, item.text_id),
        "text_en": item.text_en,
        "text_id": item.text_id,
        "source": item.source,
    }


def review_json(review: Review) -> dict:
    return {
        "id": review.id,
        "version_id": review.version_id,
        "mentor_id": review.mentor_id,
        "verdict": review.verdict.value,
        "summary": review.summary,
        "created_at": iso(review.created_at),
        "answers": [{"item_id": a.item_id, "answer": a.answer.value, "note": a.note} for a in review.answers],
    }

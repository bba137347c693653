"""Review over the API: comments, checklists, verdicts and the review queue."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import requires, signed_in
from ..cohorts.models import Assignment
from ..db_types import iso
from ..errors import Invalid
from ..extensions import db
from ..review import checklists, service
from ..review.models import Comment
from ..review.presenters import comment_json, item_json, review_json
from ..roles import Role
from ..submissions.models import Version
from . import bp
from .util import json_body, string_field


@bp.get("/versions/<int:version_id>/comments")
@requires(Role.STUDENT, Version)
def list_comments(version: Version):
    comments = service.visible_comments([version.id], g.cohort_role)
    return jsonify({"comments": [comment_json(c, version.number) for c in comments]})


@bp.post("/versions/<int:version_id>/comments")
@requires(Role.STUDENT, Version)
def create_comment(version: Version):
    data = json_body()
    timecode_ms, parent_id, private = data.get("timecode_ms"), data.get("parent_id"), data.get("private", False)
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool)):
        raise Invalid(_l("'%(field)s' must be a whole number.", field="parent_id"), field="parent_id")
    if not isinstance(private, bool):
        raise Invalid(_l("'%(field)s' must be true or false.", field="private"), field="private")
    comment = service.add_comment(version, current_user, g.cohort_role,
                                  body=string_field(data, "body", max_length=service.MAX_COMMENT_CHARS * 2),
                                  timecode_ms=timecode_ms, parent_id=parent_id, private=private)
    db.session.commit()
    return jsonify(comment_json(comment, version.number)), 201


@bp.post("/comments/<int:comment_id>/resolve")
@requires(Role.MENTOR, Comment)
def resolve_comment(comment: Comment):
    service.set_resolved(comment, current_user, True)
    db.session.commit()
    return jsonify(comment_json(comment))


@bp.post("/comments/<int:comment_id>/unresolve")
@requires(Role.MENTOR, Comment)
def unresolve_comment(comment: Comment):
    service.set_resolved(comment, current_user, False)
    db.session.commit()
    return jsonify(comment_json(comment))


@bp.get("/assignments/<int:assignment_id>/checklist")
@requires(Role.STUDENT, Assignment)
def assignment_checklist(assignment: Assignment):
    name, contact = checklists.helpline(assignment.cohort)
    return jsonify({
        "assignment_id": assignment.id,
        "helpline": {"name": name, "contact": contact},
        "templates": [{"id": t.id, "key": t.key, "name": checklists.localized(t.name_en, t.name_id)}
                      for t in checklists.templates_for(assignment)],
        "items": [item_json(item) for item in checklists.items_for(assignment)],
    })


@bp.post("/versions/<int:version_id>/reviews")
@requires(Role.MENTOR, Version)
def create_review(version: Version):
    data = json_body()
    review = service.submit_review(version, current_user, verdict=data.get("verdict"),
                                   summary=data.get("summary") if isinstance(data.get("summary"), str) else "",
                                   answers=data.get("answers"))
    db.session.commit()
    return jsonify(review_json(review)), 201


@bp.post("/versions/<int:version_id>/claim")
@requires(Role.MENTOR, Version)
def claim_version(version: Version):
    service.claim(version.submission, current_user)
    db.session.commit()
    return jsonify({"submission_id": version.submission_id, "mentor_id": current_user.id,
                    "state": version.submission.state.value})


@bp.get("/reviews/queue")
@signed_in
def review_queue():
    only = request.args.get("only")
    if only not in (None, "", "mine", "unassigned"):
        raise Invalid(_l("'only' is 'mine' or 'unassigned'."), field="only")
    entries = service.review_queue(current_user, only=only or None)
    return jsonify({"versions": [{
        "version_id": e.version_id,
        "number": e.number,
        "submission_id": e.submission_id,
        "assignment": {"id": e.assignment_id, "title": e.assignment_title},
        "student": {"id": e.student_id, "name": e.student_name},
        "mentor_id": e.mentor_id,
        "state": e.state.value,
        "waiting_since": iso(e.waiting_since),
        "overdue": e.overdue,
    } for e in entries]})

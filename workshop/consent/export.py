"""A person's data as a zip: ``data.json`` and the media of their videos.

What goes in is what the person may see of themselves: their profile, cohorts,
consent records and the consent requests sent to their guardian, submissions with every version, its automatic checks and the
verdicts, the comments they wrote and the comments on their work. Private mentor
notes and safeguarding concerns never go in, whoever asks for the export. A lead's
export of a member holds only the lead's cohort's part of it. Media are the original and the
rendition of each version, under readable names: the original keeps the name the person
gave it (``media/<assignment>/v1-my draft.mov``).

The zip is written to an anonymous temporary file, never held in memory, and
streamed from there; the file disappears when the response is closed.
"""

from __future__ import annotations
import json

import os
import re
import tempfile
import unicodedata
import zipfile
from datetime import datetime

from flask import current_app
from sqlalchemy import true

from ..accounts.models import User
from ..cohorts.models import Cohort, Membership
from ..db_types import utcnow
from ..extensions import db
from ..filenames import archive_member_name, stored_label
from ..media.messages import describe_check
from ..media.storage import get_storage
from ..review.models import Comment, Review, Verdict
from ..sessions.models import Attendance, WorkshopSession
from ..submissions.models import Submission, Version
from .models import Consent, ConsentRequest

FORMAT = "karya-export-1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def slug(text: str, fallback: str) -> str:
    """A readable, path-safe name: ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60].strip("-")
    return cleaned or fallback


def media_files(submissions: list[Submission]) -> dict[int, dict[str, str]]:
    """The paths inside the zip of each version's original and rendition, by version id.

    The original keeps the name the person gave it, after ``v<n>-``
    (``media/3-my-film/v1-my draft.mov``); every path is one folder and one name Karya
    checked, so no entry can point outside the archive, and no two entries share a
    path, even on a file system that ignores case.
    """
    taken: set[str] = set()
    files: dict[int, dict[str, str]] = {}
    for submission in submissions:
        folder = f"media/{submission.assignment_id}-{slug(submission.assignment.title, 'assignment')}"
        for version in submission.versions:
            names = {}
            if version.original_key:
                label = archive_member_name(stored_label(version.original_filename, "original.bin"))
                names["original"] = _unique(folder, f"v{version.number}-{label}", taken)
            if version.rendition_key:
                names["rendition"] = _unique(folder, f"v{version.number}.mp4", taken)
            files[version.id] = names
    return files


def _unique(folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, or ``folder/stem (2).ext`` and so on when that path is taken."""
    stem, extension = os.path.splitext(name)
    candidate, count = name, 1
    while f"{folder}/{candidate}".casefold() in taken:
        count += 1
        candidate = f"{stem} ({count}){extension}"
    taken.add(f"{folder}/{candidate}".casefold())
    return f"{folder}/{candidate}"


def _comment(comment: Comment) -> dict:
    return {
        "id": comment.id, "version_id": comment.version_id, "reply_to": comment.parent_id,
        "author": comment.author.name if comment.author else None,
        "body": comment.body, "timecode_ms": comment.timecode_ms, "end_ms": comment.end_ms,
        "drawing": comment.drawing,
        "resolved": comment.resolved_at is not None,
        "created_at": _iso(comment.created_at), "edited_at": _iso(comment.edited_at),
    }


def _checks(version: Version) -> list[dict]:
    return [{"name": check.get("name"), "status": check.get("status"), "detail": describe_check(check),
             "values": check.get("params") or {}}
            for check in version.checks or []]


def export_data(user: User, cohort_id: int | None = None) -> dict:
    """Everything ``data.json`` holds about ``user``; with ``cohort_id``, only what that cohort holds.

    The person's own export (no ``cohort_id``) holds all of theirs. A lead's export of a
    member holds the member's data in the lead's cohort alone: another cohort's videos,
    comments, consent records and guardian are not that lead's to read. The profile then
    carries only what the cohort's people list shows (name, address, whether a minor).
    """
    memberships = db.session.execute(
        db.select(Membership, Cohort).join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.user_id == user.id, _in(Membership.cohort_id, cohort_id))
        .order_by(Membership.created_at)).all()
    consents = db.session.scalars(db.select(Consent).where(Consent.student_id == user.id,
                                                           _in(Consent.cohort_id, cohort_id))
                                  .order_by(Consent.given_at)).all()
    asked = db.session.scalars(db.select(ConsentRequest).where(ConsentRequest.student_id == user.id,
                                                               _in(ConsentRequest.cohort_id, cohort_id))
                               .order_by(ConsentRequest.created_at, ConsentRequest.id)).all()
    cohort_names = {cid: name for cid, name in db.session.execute(
        db.select(Cohort.id, Cohort.name).where(
            Cohort.id.in_({m.cohort_id for m, _c in memberships} | {c.cohort_id for c in consents}
                          | {r.cohort_id for r in asked})))}
    submissions = _submissions(user, cohort_id)
    files = media_files(submissions)
    version_ids = [v.id for s in submissions for v in s.versions]
    reviews = db.session.scalars(db.select(Review).where(Review.version_id.in_(version_ids))
                                 .order_by(Review.created_at)).all() if version_ids else []
    on_my_work = db.session.scalars(db.select(Comment).where(
        Comment.version_id.in_(version_ids), Comment.private.is_(False),
        Comment.author_id.is_distinct_from(user.id)).order_by(Comment.created_at)).all() if version_ids else []
    written = db.session.scalars(db.select(Comment).where(
        Comment.author_id == user.id, Comment.private.is_(False), _in(Comment.cohort_id, cohort_id))
        .order_by(Comment.created_at)).all()
    attendance = db.session.execute(
        db.select(Attendance, WorkshopSession).join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(Attendance.user_id == user.id, _in(WorkshopSession.cohort_id, cohort_id))
        .order_by(WorkshopSession.starts_at)).all()
    if cohort_id is None:
        profile = {
            "id": user.id, "name": user.name, "email": user.email, "language": user.locale,
            "birth_year": user.birth_year, "minor": user.is_minor, "guardian_contact": user.guardian_contact,
            "phone": user.phone, "whatsapp": user.whatsapp_opt_in,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        }
    else:
        profile = {"id": user.id, "name": user.name, "email": user.email, "minor": user.is_minor}
    return {
        "format": FORMAT,
        "exported_at": _iso(utcnow()),
        "cohort_id": cohort_id,
        "profile": profile,
        "memberships": [{"cohort_id": cohort.id, "cohort": cohort.name, "role": membership.role.value,
                         "joined_at": _iso(membership.created_at)} for membership, cohort in memberships],
        "consents": [{"cohort_id": c.cohort_id, "cohort": cohort_names.get(c.cohort_id),
                      "guardian_name": c.guardian_name, "guardian_contact": c.guardian_contact,
                      "guardian_relationship": c.guardian_relationship, "given_by_link": c.channel,
                      "given_at": _iso(c.given_at), "evidence_on_file": bool(c.evidence_key),
                      "withdrawn_at": _iso(c.withdrawn_at), "deletion_due_at": _iso(c.deletion_due_at)}
                     for c in consents],
        "consent_requests": [{"cohort_id": r.cohort_id, "cohort": cohort_names.get(r.cohort_id),
                              "channel": r.channel, "status": r.status, "sent_at": _iso(r.created_at),
                              "decided_at": _iso(r.decided_at), "withdrawn_at": _iso(r.withdrawn_at),
                              "guardian_name": r.guardian_name, "guardian_relationship": r.guardian_relationship}
                             for r in asked],
        "submissions": [{
            "id": s.id, "cohort_id": s.cohort_id, "assignment": s.assignment.title, "state": s.state.value,
            "created_at": _iso(s.created_at),
            "versions": [{
                "id": v.id, "number": v.number, "state": v.state.value, "uploaded_at": _iso(v.created_at),
                "ready_at": _iso(v.ready_at), "original_filename": v.original_filename,
                "size_bytes": v.original_size, "duration_s": v.duration_s, "width": v.width, "height": v.height,
                "checks": _checks(v), "files": files[v.id],
                "reviews": [_review(r) for r in reviews if r.version_id == v.id],
            } for v in s.versions],
        } for s in submissions],
        "comments_written": [_comment(c) for c in written],
        "comments_on_my_work": [_comment(c) for c in on_my_work],
        "attendance": [{"session": session.title, "starts_at": _iso(session.starts_at),
                        "status": a.status.value} for a, session in attendance],
    }


def _in(column, cohort_id: int | None):
    """No condition for the person's own export; ``column == cohort_id`` for a lead's."""
    return true() if cohort_id is None else column == cohort_id


def _submissions(user: User, cohort_id: int | None) -> list[Submission]:
    query = db.select(Submission).where(Submission.student_id == user.id).order_by(Submission.created_at)
    if cohort_id is not None:
        query = query.where(Submission.cohort_id == cohort_id)
    return list(db.session.scalars(query))


def _review(review: Review) -> dict:
    # An escalation's words are the safeguarding concern's, kept out of every export
    # (rows from before the concern kept them alone are scrubbed by migration 0006 too).
    summary = "" if review.verdict is Verdict.ESCALATED else review.summary
    return {"verdict": review.verdict.value, "summary": summary, "at": _iso(review.created_at)}


def write_export(user: User, cohort_id: int | None = None):
    """Write ``user``'s zip (only ``cohort_id``'s part when given, see :func:`export_data`) to an
    anonymous temporary file; return it, rewound, for streaming."""
    storage = get_storage()
    data = export_data(user, cohort_id)
    scratch = os.path.join(current_app.config["MEDIA_ROOT"], "tmp")
    os.makedirs(scratch, exist_ok=True)
    out = tempfile.TemporaryFile(dir=scratch)
    try:
        # Videos are already compressed: storing them is as small and much faster.
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
            # The entry names are the ones data.json lists, so the two always agree.
            files = {v["id"]: v["files"] for s in data["submissions"] for v in s["versions"]}
            for submission in _submissions(user, cohort_id):
                for version in submission.versions:
                    for kind, name in files.get(version.id, {}).items():
                        key = version.original_key if kind == "original" else version.rendition_key
                        try:
                            with storage.local_path(key) as path:
                                archive.write(path, name, compress_type=zipfile.ZIP_STORED)
                        except FileNotFoundError:
                            continue  # listed in data.json; the file itself is gone
        out.seek(0)
        return out
    except BaseException:
        out.close()
        raise

"""Verdicts: a mentor's review of a version (an answer per checklist item, a summary and a
verdict), changing it afterwards, and what comes next in their queue.

Like service.py, every function takes rows the caller has already authorised (access.py),
raises an ApiError with a translated message for anything the person must fix, and leaves
the commit to its caller. States change only through submissions/lifecycle.py.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..audit.service import record
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, Invalid
from ..extensions import db
from ..notifications.service import notify
from ..submissions import lifecycle
from ..submissions.models import ChecksState, Submission, SubmissionState, Version, VersionState
from . import checklists, service
from .models import Answer, Review, ReviewAnswer, Severity, Verdict

MAX_SUMMARY_CHARS = 5000


def submit_review(version: Version, mentor, *, verdict: str, summary: str, answers: list[dict]) -> Review:
    """Record a mentor's verdict with their checklist answers.

    Refused: a verdict other than the three; a version that is not ready or not the newest
    ready one; a submission not waiting for a verdict; a missing summary (unless approving);
    approval before the automatic checks are complete or with a ``must`` item not answered
    yes or not applicable (``missing`` names them)."""
    submission = version.submission
    verdict = _verdict(verdict)
    if version.state is not VersionState.READY:
        raise Conflict(_l("This version is not ready to review yet."), code="not_ready")
    newest = db.session.scalar(db.select(func.max(Version.number)).where(
        Version.submission_id == submission.id, Version.state == VersionState.READY))
    if version.number != newest:
        raise Conflict(_l("A newer version has been uploaded. Review that one instead."),
                       code="newer_version")
    if not lifecycle.submission_may(submission, verdict.value):
        raise Conflict(_l("This submission cannot be reviewed now (it is %(state)s).",
                          state=submission.state.value.replace("_", " ")), code="not_reviewable")
    summary, given = _checked(version, verdict, summary, answers)

    # An escalation's summary is the safeguarding concern itself: it lives only in the
    # concern (leads and the mentor who raised it), never in the review row that the
    # student's export, the version page and the API show.
    review = Review(version_id=version.id, cohort_id=version.cohort_id, mentor_id=mentor.id, verdict=verdict,
                    summary="" if verdict is Verdict.ESCALATED else summary,
                    answers=[ReviewAnswer(item_id=item_id, answer=answer, note=note)
                             for item_id, (answer, note) in given.items()])
    db.session.add(review)
    if submission.mentor_id is None:
        submission.mentor_id = mentor.id
    submission.updated_at = utcnow()
    db.session.flush()
    record("review.submitted", target=review, actor=mentor, version_id=version.id, verdict=verdict.value)
    lifecycle.submission_reviewed(submission, verdict.value)
    _tell(submission, version, mentor, verdict, summary)
    return review


def edit_review(version: Version, mentor, *, verdict: str, summary: str, answers: list[dict]) -> Review:
    """Change the version's latest review: its verdict, summary and answers, checked as a new
    review is. Only its author may, until the student uploads a newer version; an escalation
    stays as it is (the lead resolves the concern)."""
    review = latest_review(version)
    refusal = _edit_refusal(review, version, mentor)
    if refusal is not None:
        raise refusal
    submission = version.submission
    verdict = _verdict(verdict)
    if not lifecycle.submission_may(submission, f"revised_{verdict.value}"):
        raise Conflict(_l("This review can no longer be changed."), code="not_editable")
    summary, given = _checked(version, verdict, summary, answers)

    before = (review.verdict, review.summary)
    review.verdict = verdict
    review.summary = "" if verdict is Verdict.ESCALATED else summary
    kept = {a.item_id: a for a in review.answers}
    for item_id, answer in list(kept.items()):  # updated in place: (review, item) is unique
        if item_id not in given:
            review.answers.remove(answer)
    for item_id, (answer, note) in given.items():
        if item_id in kept:
            kept[item_id].answer, kept[item_id].note = answer, note
        else:
            review.answers.append(ReviewAnswer(item_id=item_id, answer=answer, note=note))
    db.session.flush()
    record("review.edited", target=review, actor=mentor, version_id=version.id,
           verdict_before=before[0].value, verdict=verdict.value)
    lifecycle.submission_review_revised(submission, verdict.value)
    submission.updated_at = utcnow()
    if (verdict, review.summary) != before:  # a changed checklist note alone is no news to the student
        _tell(submission, version, mentor, verdict, summary)
    return review


def may_edit(review: Review | None, version: Version, user) -> bool:
    """Whether ``user`` may change ``review`` now (the page offers "Edit review" only then)."""
    return _edit_refusal(review, version, user) is None


def _edit_refusal(review: Review | None, version: Version, user) -> Exception | None:
    if review is None:
        return Conflict(_l("There is no review of this version to change."), code="no_review")
    if review.mentor_id is None or review.mentor_id != user.id:
        return Forbidden(_l("Only the mentor who wrote this review can change it."), code="not_author")
    if review.verdict is Verdict.ESCALATED:
        return Conflict(_l("An escalation cannot be changed: the workshop lead decides what happens next."),
                        code="escalated")
    newer = db.session.scalar(db.select(Version.id).where(
        Version.submission_id == version.submission_id, Version.number > version.number).limit(1))
    if newer is not None:
        return Conflict(_l("The student has uploaded a newer version since, so this review can no longer "
                           "be changed. Review the new version instead."), code="newer_version")
    if version.submission.state not in lifecycle.REVISABLE:
        return Conflict(_l("This review can no longer be changed."), code="not_editable")
    return None


def _verdict(value) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        raise Invalid(_l("Choose a verdict: approved, changes requested or escalate."),
                      field="verdict") from None


def _checked(version: Version, verdict: Verdict, summary, answers) -> tuple[str, dict]:
    """The summary (stripped) and the answers by item, refused as the docstring of
    :func:`submit_review` says."""
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise Invalid(_l("The summary is too long."), field="summary")
    if verdict is not Verdict.APPROVED and not summary:
        raise Invalid(_l("Write a summary so the student (or the lead) knows what to do."), field="summary")
    if verdict is Verdict.APPROVED:
        _refuse_approval_before_checks(version)
    items = {item.id: item for item in checklists.items_for(version.submission.assignment)}
    given = _parse_answers(answers, items)
    if verdict is Verdict.APPROVED:
        missing = [item for item in items.values() if item.severity is Severity.MUST
                   and given.get(item.id, (None,))[0] not in (Answer.YES, Answer.NOT_APPLICABLE)]
        if missing:
            raise Invalid(_l(
                "To approve, every 'must' item needs the answer yes or not applicable."),
                missing=[{"item_id": item.id, "key": item.key,
                          "text": checklists.localized(item.text_en, item.text_id)} for item in missing],
                code="must_items_missing")
    return summary, given


def _tell(submission: Submission, version: Version, mentor, verdict: Verdict, summary: str) -> None:
    """An escalation opens a concern for the leads; any other verdict is news for the student."""
    if verdict is Verdict.ESCALATED:
        service.raise_concern(submission, version, mentor, summary)
    else:
        notify(submission.student_id, "verdict", data={"verdict": verdict.value, "version": version.number,
                                                       "assignment": submission.assignment.title},
               link=f"/versions/{version.id}", cohort_id=submission.cohort_id)


def _refuse_approval_before_checks(version: Version) -> None:
    """Approval waits for the automatic checks (flashing is a safety check, WCAG 2.3.1).
    Asking for changes and escalating never wait: a mentor must always be able to act."""
    if version.checks_state in (ChecksState.QUEUED, ChecksState.RUNNING):
        raise Conflict(_l(
            "The automatic checks (sound, black or frozen picture, flashing) are still running. You can "
            "approve once they are done, usually within a few minutes. You can already comment, ask for "
            "changes or escalate."), code="checks_running")
    if version.checks_state is ChecksState.FAILED:
        raise Conflict(_l(
            "The automatic checks could not be completed, so this version cannot be approved yet. Ask an "
            "administrator to run them again. You can still comment, ask for changes or escalate."),
            code="checks_failed")


def _parse_answers(answers, items: dict) -> dict[int, tuple[Answer, str]]:
    if answers is None:
        return {}
    if not isinstance(answers, list):
        raise Invalid(_l("'answers' must be a list."), field="answers")
    given: dict[int, tuple[Answer, str]] = {}
    for entry in answers:
        if not isinstance(entry, dict):
            raise Invalid(_l("Each answer must be an object."), field="answers")
        item_id, note = entry.get("item_id"), entry.get("note") or ""
        if not isinstance(item_id, int) or item_id not in items:
            raise Invalid(_l("An answer names a checklist item this assignment does not use."),
                          field="answers", item_id=item_id)
        if item_id in given:
            raise Invalid(_l("An item is answered twice."), field="answers", item_id=item_id)
        try:
            answer = Answer(entry.get("answer"))
        except ValueError:
            raise Invalid(_l("Answer each item with yes, no or not applicable."),
                          field="answers", item_id=item_id) from None
        if not isinstance(note, str) or len(note) > service.MAX_COMMENT_CHARS:
            raise Invalid(_l("A note is too long."), field="answers", item_id=item_id)
        given[item_id] = (answer, note.strip())
    return given


def latest_review(version: Version) -> Review | None:
    return db.session.scalar(db.select(Review).where(Review.version_id == version.id)
                             .order_by(Review.created_at.desc(), Review.id.desc()).limit(1))


# --- what comes next ---------------------------------------------------------------------

def next_in_queue(user, after: Version) -> int | None:
    """The version to review after ``after``: the first in ``user``'s review queue (the
    queue page's order, oldest first) that is theirs or nobody's, other than ``after``."""
    for entry in service.review_queue(user):
        if entry.version_id != after.id and entry.submission_id != after.submission_id \
                and entry.mentor_id in (None, user.id):
            return entry.version_id
    return None


# --- the state a version shows -------------------------------------------------------------

def shown_state(version: Version) -> str:
    """The state a version's badge shows: its processing state until it is ready; then, for
    the newest ready version, where its submission stands (``ready`` while it waits for a
    mentor, ``in_review``, ``changes_requested``, ``approved``, ``escalated``); for an
    earlier one, the verdict it was given (``ready`` if none)."""
    if version.state is not VersionState.READY:
        return version.state.value
    submission = version.submission
    newest = max((v.number for v in submission.versions if v.state is VersionState.READY), default=version.number)
    if version.number == newest:
        if submission.state in (SubmissionState.DRAFT, SubmissionState.AWAITING_REVIEW):
            return "ready"
        return submission.state.value
    review = latest_review(version)
    return review.verdict.value if review else "ready"

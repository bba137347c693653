"""Review pages: the version page, the queue, comments, verdicts, side by side,
safeguarding, checklist templates.

The version page shows everyone the player and the processing state, and mentors and
leads the review panel; the forms here post from it and come back to it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import requires, signed_in, unconfirmed_response
from ..access import is_confirmed
from ..accounts.models import User
from ..audit.service import record
from ..cohorts.models import Assignment, Cohort
from ..errors import ApiError
from ..extensions import db
from ..media.presenters import VersionStatus
from ..roles import Role
from ..submissions import lifecycle
from ..submissions.models import Version, VersionState
from ..submissions.models import SafeguardingConcern, Submission
from . import checklists, drawing, service, verdicts
from .concerns import concern_list, may_read_concern
from .forms import (ChecklistChoiceForm, CommentForm, ConcernResolutionForm, CopyChecklistForm, HelplineForm,
                    ResolveCommentForm, checklist_edit_form, review_form_for)
from .models import ChecklistItem, ChecklistTemplate, Comment, Severity

bp = Blueprint("review", __name__)


def _back_to(version_id: int, anchor: str = ""):
    return redirect(url_for("review.version", version_id=version_id) + anchor)


# --- the version page ----------------------------------------------------------------

@bp.get("/versions/<int:version_id>")
@requires(Role.STUDENT, Version)
def version(version: Version):
    return render_version(version)


def render_version(version: Version, *, review_form=None, refusal: ApiError | None = None, editing: bool = False,
                   **extra):
    """The version page: the player and processing state for everyone; comments, the
    checklist outcome and the verdict for the student; for mentors and leads the review
    workspace beside them: the automatic checks, the checklist and the verdict, or the saved
    review (its author may change it until the student uploads again).

    ``review_form`` and ``refusal`` re-show a refused review with everything entered and the
    problems listed at the top; ``editing`` opens the saved review's form."""
    submission = version.submission
    role = g.cohort_role
    versions = list(submission.versions)
    comments = service.visible_comments([v.id for v in versions], role)
    by_version = {v.id: [c for c in comments if c.version_id == v.id] for v in versions}
    latest = verdicts.latest_review(version)
    staff = role.at_least(Role.MENTOR)
    groups = [(template, list(template.items)) for template in checklists.templates_for(submission.assignment)]
    answers = {a.item_id: a for a in latest.answers} if latest else {}
    can_edit = staff and verdicts.may_edit(latest, version, current_user)
    editing = can_edit and (editing or review_form is not None or request.args.get("edit") == "1")
    if review_form is not None:
        entered = review_form.data
    elif can_edit:  # the form "Edit review" opens, filled in with what was saved
        entered = {"verdict": latest.verdict.value, "summary": latest.summary,
                   **{f"answer-{a.item_id}": a.answer.value for a in latest.answers},
                   **{f"note-{a.item_id}": a.note for a in latest.answers}}
    else:
        entered = {}
    return render_template(
        "review/version.html", version=version, submission=submission, assignment=submission.assignment,
        status=VersionStatus.of(version), role=role, staff=staff,
        locked=lifecycle.is_locked(submission), versions=versions,
        threads=service.threads(by_version[version.id]),
        earlier=[(v, service.threads(by_version[v.id])) for v in reversed(versions)
                 if v.number < version.number and by_version[v.id]],
        review=latest, concern=service.concern_for_version(version, current_user, role), answers=answers,
        groups=groups, items=[item for _template, items in groups for item in items],
        helpline=checklists.helpline(submission.assignment.cohort),
        newest_number=max(v.number for v in versions), drawing_paths=drawing.svg_paths,
        entered=entered, can_edit=can_edit, editing=editing,
        problems=_problems(refusal) if refusal else [],
        missing_items={m["item_id"] for m in refusal.extra.get("missing", [])} if refusal else set(), **extra)


def _problems(refusal: ApiError) -> list[dict]:
    """A refused review as the list at the top of the page: the message, a link to the field
    to fix where there is one, and each checklist item that stopped an approval."""
    field, item_id = refusal.extra.get("field"), refusal.extra.get("item_id")
    href = {"verdict": "#verdict-approved", "summary": "#summary"}.get(field)
    if field == "answers" and isinstance(item_id, int):
        href = f"#answer-{item_id}-yes"
    return [{"text": str(refusal.message), "href": href,
             "missing": [{"text": m["text"], "href": f"#answer-{m['item_id']}-yes"}
                       for m in refusal.extra.get("missing", [])]}]


@bp.app_template_global()
def version_state(version: Version) -> str:
    """For templates: the state a version's badge shows (verdicts.shown_state)."""
    return verdicts.shown_state(version)


# --- queue -----------------------------------------------------------------------------

@bp.get("/reviews")
@signed_in
def queue():
    only = request.args.get("only") if request.args.get("only") in ("mine", "unassigned") else None
    if not is_confirmed(current_user):
        return unconfirmed_response()
    cohort_ids = service.staff_cohort_ids(current_user)
    if not cohort_ids:
        abort(404)
    return render_template("review/queue.html", entries=service.review_queue(current_user, only=only,
                                                                              cohort_ids=cohort_ids), only=only)


@bp.post("/versions/<int:version_id>/claim")
@requires(Role.MENTOR, Version)
def claim(version: Version):
    try:
        service.claim(version.submission, current_user)
        db.session.commit()
        flash(_("You are reviewing this video now."), "success")
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return _back_to(version.id)


# --- comments --------------------------------------------------------------------------

@bp.post("/versions/<int:version_id>/comments")
@requires(Role.STUDENT, Version)
def add_comment(version: Version):
    form = CommentForm()
    try:
        comment = service.add_comment(
            version, current_user, g.cohort_role, body=form.body.data, timecode_ms=form.timecode_ms.data,
            end_ms=form.end_ms.data, drawing=form.shapes(), parent_id=form.parent_id.data,
            private=form.private.data)
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        # Shown again beside the form it came from, with everything typed and drawn in it.
        return render_version(version, comment_form=form, comment_error=str(error.message)), error.status
    return _back_to(version.id, f"#comment-{comment.parent_id or comment.id}")


@bp.post("/comments/<int:comment_id>/resolve")
@requires(Role.MENTOR, Comment)
def resolve(comment: Comment):
    form = ResolveCommentForm()
    try:
        service.set_resolved(comment, current_user, form.resolved.data == "1")
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return _back_to(comment.version_id, f"#comment-{comment.id}")


# --- verdict ---------------------------------------------------------------------------

@bp.post("/versions/<int:version_id>/review")
@requires(Role.MENTOR, Version)
def submit(version: Version):
    return _save_review(version, verdicts.submit_review, _("Your review is saved."))


@bp.post("/versions/<int:version_id>/review/edit")
@requires(Role.MENTOR, Version)
def edit_review(version: Version):
    return _save_review(version, verdicts.edit_review, _("Your review is updated."), editing=True)


def _save_review(version: Version, save, saved: str, *, editing: bool = False):
    """A new or an edited review from the form: ``save`` (verdicts.submit_review or edit_review)."""
    form = review_form_for(checklists.items_for(version.submission.assignment))
    try:
        save(version, current_user, verdict=form.verdict.data or "", summary=form.summary.data,
             answers=form.answers())
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        # Shown again with everything the mentor entered, so nothing typed is lost.
        return render_version(version, review_form=form, refusal=error, editing=editing), error.status
    return _after_saving(version, form, saved)


def _after_saving(version: Version, form, saved: str):
    """Back to the saved review, or with "Save and next in queue" on to the next version
    waiting for this mentor (the queue page when there is none)."""
    if not form.next_in_queue.data:
        flash(saved, "success")
        return _back_to(version.id, "#verdict")
    following = verdicts.next_in_queue(current_user, version)
    if following is None:
        flash(saved + " " + _("Nothing else is waiting for you in the queue."), "success")
        return redirect(url_for("review.queue"))
    flash(saved + " " + _("Here is the next video in your queue."), "success")
    return _back_to(following)


# --- side by side ----------------------------------------------------------------------

@bp.get("/versions/<int:version_id>/compare")
@requires(Role.STUDENT, Version)
def compare(version: Version):
    other_id = request.args.get("with", type=int)
    other = db.session.get(Version, other_id) if other_id else None
    if other is None or other.submission_id != version.submission_id:
        abort(404)
    left, right = sorted((version, other), key=lambda v: v.number)
    if VersionState.READY not in (left.state, right.state):
        abort(404)
    return render_template("review/compare.html", left=left, right=right, left_status=VersionStatus.of(left),
                           right_status=VersionStatus.of(right), assignment=version.submission.assignment)


# --- safeguarding ----------------------------------------------------------------------

@bp.get("/cohorts/<int:cohort_id>/concerns")
@requires(Role.MENTOR, Cohort)  # narrowed in the list: a mentor sees the concerns they raised
def concerns(cohort: Cohort):
    role = g.cohort_role
    return render_template("review/concerns.html", cohort=cohort, lead=role.at_least(Role.LEAD),
                           concerns=concern_list(cohort.id, current_user, role))


@bp.get("/concerns/<int:safeguarding_concern_id>")
@requires(Role.MENTOR, SafeguardingConcern)  # narrowed below: leads, and the mentor who raised it
def concern(safeguarding_concern: SafeguardingConcern):
    if not may_read_concern(safeguarding_concern, current_user, g.cohort_role):
        abort(403)
    record("concern.viewed", target=safeguarding_concern)
    db.session.commit()
    concern = safeguarding_concern
    submission = db.session.get(Submission, concern.submission_id)
    return render_template(
        "review/concern.html", concern=concern, submission=submission, lead=g.cohort_role.at_least(Role.LEAD),
        version=db.session.get(Version, concern.version_id) if concern.version_id else None,
        raised_by=db.session.get(User, concern.raised_by_id) if concern.raised_by_id else None,
        resolved_by=db.session.get(User, concern.resolved_by_id) if concern.resolved_by_id else None)


@bp.post("/concerns/<int:safeguarding_concern_id>/resolve")
@requires(Role.LEAD, SafeguardingConcern)
def resolve_concern(safeguarding_concern: SafeguardingConcern):
    form = ConcernResolutionForm()
    try:
        service.resolve_concern(safeguarding_concern, current_user, resolution=form.resolution.data)
        db.session.commit()
        flash(_("The concern is resolved. The student can upload a new version."), "success")
    except ApiError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("review.concern", safeguarding_concern_id=safeguarding_concern.id))


# --- checklist templates and the helpline ----------------------------------------------

@bp.get("/cohorts/<int:cohort_id>/checklists")
@requires(Role.LEAD, Cohort)
def cohort_checklists(cohort: Cohort):
    name, contact = checklists.helpline(cohort)
    return render_template("review/checklists.html", cohort=cohort,
                           templates=checklists.available_templates(cohort.id),
                           helpline_name=name, helpline_contact=contact)


@bp.post("/cohorts/<int:cohort_id>/checklists/copy")
@requires(Role.LEAD, Cohort)
def copy_checklist(cohort: Cohort):
    form = CopyChecklistForm()
    template = db.session.get(ChecklistTemplate, form.template_id.data or 0)
    if template is None or template.cohort_id not in (None, cohort.id):
        abort(404)
    copy = checklists.copy_template(template, cohort)
    record("checklist.copied", target=copy, from_template=template.id)
    db.session.commit()
    flash(_("Copied. Edit your copy below."), "success")
    return redirect(url_for("review.edit_checklist", checklist_template_id=copy.id))


@bp.post("/cohorts/<int:cohort_id>/helpline")
@requires(Role.LEAD, Cohort)
def set_helpline(cohort: Cohort):
    form = HelplineForm()
    name, contact = form.helpline_name.data, form.helpline_contact.data
    cohort.helpline_name, cohort.helpline_contact = name or None, contact or None
    record("cohort.helpline_changed", target=cohort, name=name, contact=contact)
    db.session.commit()
    flash(_("The helpline is saved."), "success")
    return redirect(url_for("review.cohort_checklists", cohort_id=cohort.id))


@bp.route("/checklists/<int:checklist_template_id>/edit", methods=["GET", "POST"])
@requires(Role.LEAD, ChecklistTemplate)
def edit_checklist(checklist_template: ChecklistTemplate):
    template = checklist_template
    form = checklist_edit_form(template)
    if form.validate_on_submit():
        template.name_en = form.name_en.data or template.name_en
        template.name_id = form.name_id.data or template.name_id
        taken_keys = {item.key for item in template.items}  # incl. items removed below, deleted after inserts
        for item in list(template.items):
            if form[f"delete-{item.id}"].data:
                template.items.remove(item)
                continue
            item.text_en = form[f"text_en-{item.id}"].data or item.text_en
            item.text_id = form[f"text_id-{item.id}"].data or item.text_id
            item.source = form[f"source-{item.id}"].data
            severity = form[f"severity-{item.id}"].data
            item.severity = Severity(severity) if severity in ("must", "should") else item.severity
        if form.new_text_en.data:  # the form has checked that both languages are there
            position = max((i.position for i in template.items), default=-1) + 1
            number = len(taken_keys) + 1
            while f"{template.key}.{number}" in taken_keys:
                number += 1
            template.items.append(ChecklistItem(
                key=f"{template.key}.{number}", position=position, text_en=form.new_text_en.data,
                text_id=form.new_text_id.data, source=form.new_source.data,
                severity=Severity.MUST if form.new_severity.data == "must" else Severity.SHOULD))
        record("checklist.edited", target=template)
        db.session.commit()
        flash(_("The checklist is saved."), "success")
        return redirect(url_for("review.edit_checklist", checklist_template_id=template.id))
    return render_template("review/checklist_edit.html", template=template, form=form, cohort=db.session.get(
        Cohort, template.cohort_id)), 422 if form.errors else 200


@bp.post("/assignments/<int:assignment_id>/checklists")
@requires(Role.LEAD, Assignment)
def choose_checklists(assignment: Assignment):
    form = ChecklistChoiceForm()
    chosen = set(form.template_id.data)
    allowed = {t.id: t for t in checklists.available_templates(assignment.cohort_id)}
    assignment.checklist_templates = [allowed[i] for i in sorted(chosen) if i in allowed]
    record("assignment.checklists_chosen", target=assignment, templates=sorted(chosen & allowed.keys()))
    db.session.commit()
    flash(_("The checklists for this assignment are saved."), "success")
    return redirect(url_for("assignments.assignment", assignment_id=assignment.id))

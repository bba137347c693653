"""Review forms: comments, the verdict with its checklist, safeguarding, checklist templates.

The checks of comments, verdicts and resolutions live in ``service.py``, shared with the
API; these forms carry what was typed. A checklist is a set of fields that differs per
assignment or template, so its forms are built per checklist with WTForms' dynamic form
composition (a subclass per request, one field per item, named ``answer-<item id>`` and
so on as the pages have always posted them).
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import ValidationError

from ..errors import Invalid
from ..forms import WholeNumberField, WholeNumberListField
from .models import Answer, ChecklistTemplate, Severity, Verdict

MAX_NAME, MAX_HELPLINE = 200, 160

ANSWERS = [SelectChoice(Answer.YES.value, _l("Yes")), SelectChoice(Answer.NO.value, _l("No")),
           SelectChoice(Answer.NOT_APPLICABLE.value, _l("Not applicable"))]
VERDICTS = [SelectChoice(Verdict.APPROVED.value, _l("Approve")),
            SelectChoice(Verdict.CHANGES_REQUESTED.value, _l("Request changes")),
            SelectChoice(Verdict.ESCALATED.value, _l("Escalate to the workshop lead (safeguarding concern)"))]
SEVERITIES = [SelectChoice(Severity.MUST.value, _l("Must (needed to approve)")),
              SelectChoice(Severity.SHOULD.value, _l("Should"))]


def _stripped(text) -> str:
    """A filter: what was typed, without the space around it."""
    return (text or "").strip()


def _trimmed(limit: int):
    """A filter: what was typed without the space around it, cut at ``limit`` characters."""
    return lambda text: _stripped(text)[:limit]


class CommentForm(FlaskForm):
    """A comment, a reply (``parent_id``) or, for staff, a private note; ``timecode_ms`` is the
    moment of the video the page pinned it to, ``end_ms`` the end of its range, and
    ``drawing`` the shapes drawn on that frame as JSON text (the page's script fills these)."""

    body = TextAreaField(_l("Your comment"), default="")
    timecode_ms = WholeNumberField()
    end_ms = WholeNumberField()
    drawing = HiddenField(default="")
    parent_id = WholeNumberField()
    private = BooleanField(_l("Private note (mentors and leads only)"))

    def shapes(self):
        """The drawing as the service takes it: the parsed JSON, None when there is none."""
        text = (self.drawing.data or "").strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise Invalid(_l("The drawing could not be read. Clear it and draw again."), field="drawing") from None


class ResolveCommentForm(FlaskForm):
    """Mark a thread resolved ("1") or reopen it ("0")."""

    resolved = HiddenField(default="1")


class ReviewForm(FlaskForm):
    """A mentor's verdict and summary; :func:`review_form_for` adds the checklist's items."""

    verdict = RadioField(_l("Verdict"), choices=VERDICTS, validate_choice=False)
    summary = TextAreaField(_l("Summary"), default="")
    # The second submit button: save, then open the next version waiting in the queue.
    next_in_queue = SubmitField(_l("Save and next in queue"))
    checklist_items: list = []

    def answers(self) -> list[dict]:
        """The items answered, as the service takes them (it checks the answers)."""
        return [{"item_id": item.id, "answer": self[f"answer-{item.id}"].data,
                 "note": self[f"note-{item.id}"].data}
                for item in self.checklist_items if self[f"answer-{item.id}"].data]


def review_form_for(items) -> ReviewForm:
    """The review form of a checklist: an answer and a note for each of ``items``."""

    class ChecklistReviewForm(ReviewForm):
        pass

    ChecklistReviewForm.checklist_items = list(items)
    for item in items:
        setattr(ChecklistReviewForm, f"answer-{item.id}", RadioField(choices=ANSWERS, validate_choice=False))
        setattr(ChecklistReviewForm, f"note-{item.id}", StringField(_l("Note"), default=""))
    return ChecklistReviewForm()


class ConcernResolutionForm(FlaskForm):
    resolution = TextAreaField(_l("What was decided"), default="")


class CopyChecklistForm(FlaskForm):
    template_id = WholeNumberField()


class HelplineForm(FlaskForm):
    helpline_name = StringField(_l("Name"), filters=[_trimmed(MAX_HELPLINE)])
    helpline_contact = StringField(_l("Number or contact"), filters=[_trimmed(MAX_HELPLINE)])


class ChecklistChoiceForm(FlaskForm):
    """The checklists an assignment's mentors answer (ticked boxes, by template id)."""

    template_id = WholeNumberListField()


class ChecklistEditForm(FlaskForm):
    """A checklist template's names and a new item; :func:`checklist_edit_form` adds its items."""

    name_en = StringField(_l("Name (English)"), filters=[_trimmed(MAX_NAME)])
    name_id = StringField(_l("Name (Bahasa Indonesia)"), filters=[_trimmed(MAX_NAME)])
    new_text_en = TextAreaField(_l("English"), filters=[_stripped])
    new_text_id = TextAreaField(_l("Bahasa Indonesia"), filters=[_stripped])
    new_source = StringField(_l("Source"), filters=[_stripped])
    new_severity = SelectField(_l("Severity"), choices=SEVERITIES, default=Severity.SHOULD.value,
                               validate_choice=False)

    def validate_new_text_id(self, field) -> None:
        if bool(self.new_text_en.data) != bool(field.data):
            raise ValidationError(_l("A new item needs its text in both English and Bahasa Indonesia."))


def checklist_edit_form(template: ChecklistTemplate) -> ChecklistEditForm:
    """The edit form of ``template``: text, source, severity and removal for each item, shown
    as they are until the lead changes them; an item's field left out keeps what it had."""

    class TemplateEditForm(ChecklistEditForm):
        pass

    for item in template.items:
        setattr(TemplateEditForm, f"text_en-{item.id}", TextAreaField(
            _l("English"), default=item.text_en, filters=[_stripped]))
        setattr(TemplateEditForm, f"text_id-{item.id}", TextAreaField(
            _l("Bahasa Indonesia"), default=item.text_id, filters=[_stripped]))
        setattr(TemplateEditForm, f"source-{item.id}", StringField(
            _l("Source"), default=item.source, filters=[_stripped]))
        setattr(TemplateEditForm, f"severity-{item.id}", SelectField(
            _l("Severity"), choices=SEVERITIES, default=item.severity.value, validate_choice=False))
        setattr(TemplateEditForm, f"delete-{item.id}", BooleanField(_l("Remove this item")))
    return TemplateEditForm(name_en=template.name_en, name_id=template.name_id)

"""The assignment form: the brief, the due date and time, the maximum length, the checklists.

The form reads what only a page types (minutes with a decimal comma, a date and a time in
the cohort's zone); :func:`~workshop.assignments.service.save_assignment`, shared with the
API, checks the rest, and its refusals come back on these fields.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..forms import WholeNumberListField
from ..localtime import END_OF_DAY, parse_local

DEFAULT_MINUTES = 15


class AssignmentForm(FlaskForm):
    title = StringField(_l("Title"), default="")
    brief = TextAreaField(_l("Brief"), default="")
    due_date = StringField(_l("Due date"), default="")
    due_time = StringField(_l("Time"), default="")
    max_minutes = StringField(_l("Maximum length (minutes)"), default="")
    template_id = WholeNumberListField()

    # The service's (and the API's) names for what these fields make.
    SERVICE_FIELDS = {"due_at": "due_date", "max_duration_s": "max_minutes",
                      "checklist_template_keys": "template_id"}

    def __init__(self, zone: ZoneInfo, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    @classmethod
    def of(cls, assignment, zone: ZoneInfo) -> "AssignmentForm":
        """The form showing ``assignment`` (None: a new one) with its due time in ``zone``."""
        if assignment is None:
            return cls(zone, formdata=None, max_minutes=str(DEFAULT_MINUTES))
        due = assignment.due_at.astimezone(zone) if assignment.due_at else None
        minutes = f"{assignment.max_duration_s / 60:.1f}".removesuffix(".0")
        return cls(zone, formdata=None, title=assignment.title, brief=assignment.brief,
                   due_date=due.strftime("%Y-%m-%d") if due else "", due_time=due.strftime("%H:%M") if due else "",
                   max_minutes=minutes, template_id=[t.id for t in assignment.checklist_templates])

    def validate_max_minutes(self, field) -> None:
        self.max_duration_s()

    def validate_due_date(self, field) -> None:
        self.due_at()

    def max_duration_s(self) -> int:
        """The maximum length in seconds: minutes as typed ("3", "1.5" or "1,5"), 15 when empty."""
        minutes = (self.max_minutes.data or "").strip().replace(",", ".")
        try:
            return int(round(float(minutes) * 60)) if minutes else DEFAULT_MINUTES * 60
        except ValueError:
            raise ValidationError(_l("Enter the maximum length in minutes, e.g. 3 or 1.5.")) from None

    def due_at(self) -> datetime | None:
        """The due date and time in the cohort's zone: None without a date, 23:59 without a time."""
        if not (self.due_date.data or "").strip():
            return None
        try:
            return parse_local(self.due_date.data, (self.due_time.data or "").strip() or END_OF_DAY, self.zone)
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from None

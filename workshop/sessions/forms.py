"""Session forms: scheduling one, taking attendance, and a new address for one's calendar.

What a session may be is checked by ``service.validate``, shared with the API; the session
form reads the date and times as typed in the cohort's zone (``workshop/localtime.py``) and
puts each refusal by the field it concerns. The attendance form is built per cohort: one
choice per student, named ``status-<student id>`` (WTForms' dynamic form composition).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, Optional

from ..forms import WholeNumberField
from ..localtime import parse_local, parse_time
from .labels import STATUS_LABELS
from .models import AttendanceStatus
from .service import SessionInput


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), default="")
    date = StringField(_l("Date"), default="")
    start_time = StringField(_l("Start time"), default="")
    end_time = StringField(_l("End time"), default="")
    location = StringField(_l("Place"), default="")
    link = StringField(_l("Online link"), default="")
    agenda = TextAreaField(_l("Agenda"), default="")

    # The service's names for what the date and time fields make up, and where its messages go.
    SERVICE_FIELDS = {"starts_at": "date", "ends_at": "end_time"}

    @classmethod
    def of(cls, session, zone: ZoneInfo) -> "SessionForm":
        """The form showing ``session`` (None: a new one) with its times in ``zone``."""
        if session is None:
            return cls(formdata=None)
        start = session.starts_at.astimezone(zone)
        return cls(formdata=None, title=session.title, date=start.strftime("%Y-%m-%d"),
                   start_time=start.strftime("%H:%M"),
                   end_time=session.ends_at.astimezone(zone).strftime("%H:%M") if session.ends_at else "",
                   location=session.location, link=session.link, agenda=session.agenda)

    def read(self, zone: ZoneInfo) -> tuple[SessionInput, dict]:
        """What was typed as a SessionInput, and the date and time problems met reading it
        (by the service's field names: ``starts_at``, ``ends_at``)."""
        problems, starts_at, ends_at = {}, None, None
        day, start, end = (self[name].data.strip() for name in ("date", "start_time", "end_time"))
        if not day:
            problems["starts_at"] = _l("Enter the date of the session.")
        elif not start:
            try:
                parse_local(day, "00:00", zone)  # a wrong date is the first thing to say
                problems["starts_at"] = _l("Enter the start time.")
            except ValueError as exc:
                problems["starts_at"] = exc.args[0]
        else:
            try:
                starts_at = parse_local(day, start, zone)
            except ValueError as exc:
                problems["starts_at"] = exc.args[0]
        if end:
            try:
                end_time = parse_time(end)
                # Sessions end on the day they start; the end time is on the start's date.
                ends_at = datetime.combine(starts_at.date(), end_time, tzinfo=zone) if starts_at else None
            except ValueError as exc:
                problems["ends_at"] = exc.args[0]
        return SessionInput(title=self.title.data, starts_at=starts_at, ends_at=ends_at,
                            location=self.location.data, link=self.link.data, agenda=self.agenda.data), problems

    def show_errors(self, errors: dict) -> None:
        """Put the service's messages (field -> message) on the fields they concern."""
        for name, message in errors.items():
            field = self[self.SERVICE_FIELDS.get(name, name)]
            field.errors = list(field.errors or []) + [message]


ATTENDANCE_CHOICES = [SelectChoice(status.value, STATUS_LABELS[status]) for status in AttendanceStatus]


class AttendanceForm(FlaskForm):
    """One session's attendance; :func:`attendance_form_for` adds a choice per student."""

    students: list = []

    def chosen(self) -> dict[int, str]:
        """Student id -> the status value chosen (empty when none), as shown on the page."""
        return {student.id: self[f"status-{student.id}"].data or "" for student in self.students}

    def statuses(self) -> dict[int, AttendanceStatus]:
        """Student id -> status, for the students given one."""
        return {student_id: AttendanceStatus(value) for student_id, value in self.chosen().items() if value}


def attendance_form_for(students, recorded: dict[int, AttendanceStatus] | None = None) -> AttendanceForm:
    """The attendance form of ``students``, showing the statuses ``recorded`` so far; a
    field for anyone else (a forged ``status-<id>``) is not read at all."""

    class CohortAttendanceForm(AttendanceForm):
        pass

    CohortAttendanceForm.students = list(students)
    for student in students:
        setattr(CohortAttendanceForm, f"status-{student.id}", RadioField(
            student.name, choices=ATTENDANCE_CHOICES, validate_choice=False,
            validators=[Optional(), AnyOf([status.value for status in AttendanceStatus], message=_l(
                "Choose present, late, excused or absent for each student."))]))
    recorded = recorded or {}
    return CohortAttendanceForm(data={f"status-{s.id}": recorded[s.id].value for s in students if s.id in recorded})


class CalendarRotateForm(FlaskForm):
    """A new address for one's own calendar feed; ``cohort_id`` is the page to go back to."""

    cohort_id = WholeNumberField()

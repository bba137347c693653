"""The attendance export: CSV, one row per student and session, produced row by row."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _

from ..cohorts.models import Cohort
from ..csv_export import csv_stream
from .labels import STATUS_LABELS
from ..localtime import cohort_zone
from .service import records_for, sessions_of, students_of

def attendance_csv(cohort: Cohort) -> Iterator[str]:
    """The export as CSV text chunks: a header, then each session (earliest first) × each
    current student, one session's statuses in memory at a time.

    What needs the request (the reader's language, the cohort's row) is read now: a streamed
    body is produced after the view has returned, when its database session is closed, so
    the rows are then read afresh by id.
    """
    header = [_("Date"), _("Start"), _("Session"), _("Student"), _("Email"), _("Status"), _("Recorded at")]
    names = {status: str(label) for status, label in STATUS_LABELS.items()}
    return csv_stream(_rows(cohort.id, cohort_zone(cohort), header, names))


def _rows(cohort_id: int, zone, header: list[str], names: dict) -> Iterator[list[str]]:
    yield header
    students = students_of(cohort_id)
    for session in sessions_of(cohort_id):
        local = session.starts_at.astimezone(zone)
        records = records_for(session)
        for student in students:
            row = records.get(student.id)
            yield [local.strftime("%Y-%m-%d"), local.strftime("%H:%M"), session.title, student.name,
                   student.email, names[row.status] if row else "",
                   row.recorded_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row else ""]

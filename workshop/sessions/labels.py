"""Translated names of attendance statuses, shared by the pages and the export."""

from flask_babel import lazy_gettext as _l

from .models import AttendanceStatus

STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.EXCUSED: _l("Excused"),
    AttendanceStatus.ABSENT: _l("Absent"),
}

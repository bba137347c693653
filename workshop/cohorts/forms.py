"""Forms of the lead's cohort pages. They only carry and label the values: the checks live
in ``service.py``, shared with the API, and their errors are put back on these fields by
name (``workshop/forms.py``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

# The zones of Indonesia first, offered as suggestions; any tz database name is accepted.
SUGGESTED_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Singapore",
                       "Asia/Kuala_Lumpur", "Australia/Perth", "UTC")


class CohortForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    starts_on = StringField(_l("Starts on"))
    ends_on = StringField(_l("Ends on"))
    timezone = StringField(_l("Time zone"), default="Asia/Jakarta")
    review_target_hours = StringField(_l("Review turnaround target (hours)"), default="48")


class JoinCodeExpiryForm(FlaskForm):
    expires_on = StringField(_l("Join code works until"))
    expires_time = StringField(_l("Time"))

"""Assignments: leads write the brief, the due date, the maximum length and the checklists.

One service function (:func:`save_assignment`) validates and saves for both the page
and the API, so both refuse the same things with the same messages. (The Assignment model
is in cohorts/models.py: a cohort's assignments are read by reviews, submissions and
uploads, which this package's choice of checklists comes after.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..audit.service import record
from ..cohorts.models import Assignment, Cohort
from ..errors import Invalid
from ..extensions import db
from ..review.checklists import available_templates

MAX_TITLE = 200
MAX_BRIEF = 20_000
MAX_DURATION_S = 60 * 60  # an hour: far beyond any workshop brief, well inside the media limits


@dataclass
class AssignmentInput:
    title: str
    brief: str = ""
    due_at: datetime | None = None
    max_duration_s: int = 900
    template_ids: list[int] | None = None  # None: leave the choice as it is


def save_assignment(cohort: Cohort, data: AssignmentInput, assignment: Assignment | None = None) -> Assignment:
    """Create (or update) an assignment; raise Invalid(field=...) for what must be fixed."""
    title = (data.title or "").strip()
    if not title:
        raise Invalid(_l("Give the assignment a title."), field="title")
    if len(title) > MAX_TITLE:
        raise Invalid(_l("The title is too long."), field="title")
    if len(data.brief or "") > MAX_BRIEF:
        raise Invalid(_l("The brief is too long."), field="brief")
    if not isinstance(data.max_duration_s, int) or isinstance(data.max_duration_s, bool) or not (
            5 <= data.max_duration_s <= MAX_DURATION_S):
        raise Invalid(_l("The maximum length must be between 5 seconds and 60 minutes."),
                      field="max_duration_s")
    if assignment is None:
        assignment = Assignment(cohort_id=cohort.id)
        db.session.add(assignment)
    assignment.title, assignment.brief = title, (data.brief or "").strip()
    assignment.due_at, assignment.max_duration_s = data.due_at, data.max_duration_s
    if data.template_ids is not None:
        allowed = {t.id: t for t in available_templates(cohort.id)}
        unknown = [i for i in data.template_ids if i not in allowed]
        if unknown:
            raise Invalid(_l("Choose checklists of this cohort."), field="checklist_template_keys")
        assignment.checklist_templates = [allowed[i] for i in data.template_ids]
    db.session.flush()
    record("assignment.saved", target=assignment, title=title)
    return assignment


def template_ids_for_keys(cohort: Cohort, keys) -> list[int]:
    """Template ids for keys: the cohort's own copy of a key first, else the default."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise Invalid(_l("'%(field)s' must be a list of template keys.",
                         field="checklist_template_keys"), field="checklist_template_keys")
    by_key = {}
    for template in available_templates(cohort.id):  # own templates come first
        by_key.setdefault(template.key, template.id)
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise Invalid(_l("Unknown checklist template: %(keys)s.", keys=", ".join(unknown)),
                      field="checklist_template_keys")
    return [by_key[k] for k in dict.fromkeys(keys)]



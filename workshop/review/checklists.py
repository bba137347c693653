"""Which checklist applies to an assignment, and leads' own copies of templates."""

from __future__ import annotations

from flask_babel import get_locale

from ..cohorts.models import Assignment, Cohort
from ..extensions import db
from .defaults import default_helpline
from .models import ChecklistItem, ChecklistTemplate


def templates_for(assignment: Assignment) -> list[ChecklistTemplate]:
    """The templates chosen for the assignment; when none were chosen, the cohort's own
    copies, else the site-wide defaults, so that every version is reviewed against something."""
    if assignment.checklist_templates:
        return sorted(assignment.checklist_templates, key=lambda t: t.id)
    return available_templates(assignment.cohort_id, own_first=True) or []


def available_templates(cohort_id: int, *, own_first: bool = False) -> list[ChecklistTemplate]:
    """The cohort's templates, and the defaults of which it has no copy (by key).

    With ``own_first`` and at least one own template, only the own ones."""
    own = db.session.scalars(db.select(ChecklistTemplate).where(ChecklistTemplate.cohort_id == cohort_id)
                             .order_by(ChecklistTemplate.id)).all()
    if own_first and own:
        return list(own)
    copied = {t.key for t in own}
    defaults = db.session.scalars(db.select(ChecklistTemplate).where(ChecklistTemplate.cohort_id.is_(None))
                                  .order_by(ChecklistTemplate.id)).all()
    return list(own) + [t for t in defaults if t.key not in copied]


def items_for(assignment: Assignment) -> list[ChecklistItem]:
    return [item for template in templates_for(assignment) for item in template.items]


def copy_template(template: ChecklistTemplate, cohort: Cohort) -> ChecklistTemplate:
    """A cohort's own, editable copy of a template (the caller commits)."""
    existing = {t.key for t in db.session.scalars(
        db.select(ChecklistTemplate).where(ChecklistTemplate.cohort_id == cohort.id))}
    key, n = template.key, 2
    while key in existing:
        key, n = f"{template.key}-{n}", n + 1
    copy = ChecklistTemplate(
        cohort_id=cohort.id, key=key, name_en=template.name_en, name_id=template.name_id,
        copied_from_id=template.id,
        items=[ChecklistItem(key=item.key, position=item.position, severity=item.severity, text_en=item.text_en,
                             text_id=item.text_id, source=item.source) for item in template.items])
    db.session.add(copy)
    db.session.flush()
    return copy


def localized(en: str, id_: str) -> str:
    """The Indonesian text when the page is in Indonesian (and it has one), else the English."""
    return id_ if str(get_locale()) == "id" and id_ else en


def helpline(cohort: Cohort) -> tuple[str, str]:
    """The helpline quoted in guidance: the cohort's setting, else the programme default."""
    name, contact = default_helpline()
    return cohort.helpline_name or name, cohort.helpline_contact or contact

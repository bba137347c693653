"""The default checklist templates and helpline, from ``default_checklists.json``.

The JSON file is a copy of the programme's reviewed list (with a source per item).
Migration 0003 loads it into the database as site-wide templates (``cohort_id`` NULL);
leads copy them into their cohorts and edit the copies. :func:`install_default_templates`
puts back any that are missing (the tests use it after emptying the tables).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ..extensions import db
from .models import ChecklistItem, ChecklistTemplate, Severity

DEFAULTS_FILE = Path(__file__).with_name("default_checklists.json")


@functools.lru_cache(maxsize=1)
def defaults() -> dict:
    return json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))


def default_helpline() -> tuple[str, str]:
    """(name, contact) of the helpline quoted in guidance when a cohort has set none."""
    helpline = defaults()["helpline_default"]
    return helpline["name"], helpline["contact"]


def install_default_templates() -> int:
    """Add the site-wide default templates that are missing; return how many were added."""
    present = set(db.session.scalars(
        db.select(ChecklistTemplate.key).where(ChecklistTemplate.cohort_id.is_(None))))
    added = 0
    for template in defaults()["templates"]:
        if template["key"] in present:
            continue
        db.session.add(ChecklistTemplate(
            cohort_id=None, key=template["key"], name_en=template["name"]["en"], name_id=template["name"]["id"],
            items=[ChecklistItem(key=item["key"], position=position, severity=Severity(item["severity"]),
                                 text_en=item["text"]["en"], text_id=item["text"]["id"],
                                 source=item.get("source", ""))
                   for position, item in enumerate(template["items"])]))
        added += 1
    db.session.commit()
    return added

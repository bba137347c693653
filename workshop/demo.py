"""The demo cohort that ``make run`` shows a newcomer.

Demo people all have ``@karya.test`` addresses and the password ``karya-demo``.
Seeding refuses to touch a database that holds anyone else, so it can never
plant known passwords on a real site.
"""

from __future__ import annotations

from datetime import timedelta

from .accounts.models import User
from .accounts.service import add_membership, hash_password
from .cohorts.models import Assignment, Cohort
from .db_types import utcnow
from .errors import Conflict
from .extensions import db
from .roles import Role

DEMO_PASSWORD = "karya-demo"
DEMO_PEOPLE = [
    ("lead@karya.test", "Dewi Lestari", Role.LEAD),
    ("mentor@karya.test", "Budi Santoso", Role.MENTOR),
    ("student@karya.test", "Sari Wulandari", Role.STUDENT),
]
DEMO_COHORT_NAME = "Demo cohort — Jakarta health creators"
DEMO_JOIN_CODE = "SEHATJKT"


class DemoRefused(Conflict):
    """The database holds real accounts. Said to an operator at the command line, so in English
    like the rest of the command's output."""

    code = "demo_refused"


def seed_demo() -> Cohort:
    """Create the demo cohort, its three people and one assignment. Idempotent."""
    others = db.session.scalar(db.select(db.func.count(User.id)).where(User.is_demo.is_(False)))
    if others:
        raise DemoRefused(
            f"This database holds {others} non-demo account(s); demo accounts with a known "
            "password are only made on a database with nobody else in it."
        )
    cohort = db.session.scalar(db.select(Cohort).where(Cohort.join_code == DEMO_JOIN_CODE))
    if cohort is None:
        today = utcnow().date()
        cohort = Cohort(name=DEMO_COHORT_NAME, join_code=DEMO_JOIN_CODE,
                        description="A cohort to try Karya with: upload a short video as the student, "
                                    "review it as the mentor.",
                        starts_on=today, ends_on=today + timedelta(days=60))
        db.session.add(cohort)
        db.session.add(Assignment(
            cohort=cohort,
            title="My first explainer: why sleep matters",
            brief="Make a 1–3 minute video explaining to your classmates why teenagers need "
                  "8–10 hours of sleep, with one practical tip. Say where your facts come from.",
            due_at=utcnow() + timedelta(days=14),
            max_duration_s=180,
        ))
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, role in DEMO_PEOPLE:
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            # The reserved .test addresses reach nobody; the demo accounts are confirmed as made.
            user = User(email=email, name=name, password_hash=password_hash, is_demo=True,
                        email_confirmed_at=utcnow())
            db.session.add(user)
            db.session.flush()
        add_membership(user, cohort, role)
    db.session.commit()
    return cohort

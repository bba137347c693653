"""The pages the account rules added, in Chromium at phone and laptop size, in English and
Bahasa Indonesia, each audited by axe-core (no serious or critical violation): the "confirm
your email" page, a lead's invites page after inviting someone who already has an account,
the people page with an unconfirmed member, a mentor following the concern they raised,
and the consent withdrawal form. Screenshots are kept as test artefacts."""

from __future__ import annotations

import pytest

from workshop.db_types import utcnow

from ..helpers import PASSWORD
from .conftest import axe_violations, log_in, screenshot

SIZES = {"phone": (390, 844), "laptop": (1366, 900)}
WORDS = {"en": {"confirm": "Confirm your email", "emailed": "emailed", "concern": "concern"},
         "id": {"confirm": "Konfirmasi", "emailed": "email", "concern": "kekhawatiran"}}


def _world(app, make, tag: str) -> dict:
    """Cohort A (a lead, a mentor who raised a concern about a student's video, a member who has
    not confirmed their address) and cohort B, whose lead is the one inviting."""
    from workshop.consent.models import Consent
    from workshop.extensions import db
    from workshop.submissions.models import ConcernState, SafeguardingConcern
    from workshop.submissions.models import Submission, SubmissionState, Version, VersionState

    a, b = make.cohort(name="Kelas Sehat"), make.cohort(name="Kelas Kota")
    people = {key: make.user(name=name, email=f"{key}-{tag}@sekolah.sch.id", **fields) for key, name, fields in [
        ("lead", "Bu Rina", {}), ("mentor", "Pak Dimas", {}), ("lead_b", "Bu Sari", {}),
        ("student", "Siti Rahmawati", {"is_minor": True, "birth_year": 2011}),
        ("newcomer", "Budi Santoso", {"email_confirmed_at": None}),
    ]}
    for key, cohort, role in [("lead", a, "lead"), ("mentor", a, "mentor"), ("student", a, "student"),
                              ("newcomer", a, "student"), ("lead_b", b, "lead")]:
        make.member(people[key], cohort, role)
    assignment = make.assignment(a, title="Tidur cukup")
    with app.app_context():
        submission = Submission(assignment_id=assignment.id, cohort_id=a.id, student_id=people["student"].id,
                                mentor_id=people["mentor"].id, state=SubmissionState.ESCALATED)
        db.session.add(submission)
        db.session.flush()
        version = Version(submission_id=submission.id, cohort_id=a.id, number=1, state=VersionState.READY,
                          duration_s=20.0, width=1280, height=720, ready_at=utcnow())
        db.session.add(version)
        db.session.flush()
        concern = SafeguardingConcern(cohort_id=a.id, submission_id=submission.id, version_id=version.id,
                                      raised_by_id=people["mentor"].id, state=ConcernState.OPEN,
                                      summary="The student mentions feeling unsafe at home at 0:42.")
        consent = Consent(cohort_id=a.id, student_id=people["student"].id, guardian_name="Ibu Kartini",
                          guardian_contact="+62 812 5550 1234", given_at=utcnow(), recorded_by_id=people["lead"].id)
        db.session.add_all([concern, consent])
        db.session.commit()
        ids = {"concern": concern.id, "consent": consent.id}
    return {"a": a, "b": b, "people": people, **ids}


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_account_pages_are_finished_and_accessible(live_server, page_in, make, app, language):
    """Each page is audited at phone and at laptop size: the same page, its viewport changed."""
    world = _world(app, make, language)
    people, words = world["people"], WORDS[language]
    shots = []

    def audit(page, name):
        for size, (width, height) in sorted(SIZES.items()):
            page.set_viewport_size({"width": width, "height": height})
            shots.append(screenshot(page, f"account-{name}-{language}-{size}"))
            found = axe_violations(page)
            assert not found, f"{name} at {size} size: {found}"

    page = page_in(language)
    log_in(page, live_server, people["newcomer"].email, PASSWORD)
    page.goto(f"{live_server}/cohorts/{world['a'].id}")
    assert words["confirm"].lower() in page.content().lower()
    audit(page, "confirm-needed")

    page = page_in(language)
    log_in(page, live_server, people["lead_b"].email, PASSWORD)
    page.goto(f"{live_server}/cohorts/{world['b'].id}/invites")
    page.fill("#email", people["mentor"].email)
    page.click(f"form[action='/cohorts/{world['b'].id}/invites'] button[type=submit]")
    page.wait_for_load_state()
    # Someone who already has an account is emailed; Lead B is shown no link to pass on.
    sent = page.locator("section.invite-link[role=status]")
    assert people["mentor"].email in sent.inner_text() and sent.locator("code").count() == 0
    assert "/welcome/" not in page.content() and "/invite/" not in page.locator("main").inner_text()
    audit(page, "invite-existing-account")

    page = page_in(language)
    log_in(page, live_server, people["lead"].email, PASSWORD)
    page.goto(f"{live_server}/cohorts/{world['a'].id}/people")
    audit(page, "people-unconfirmed")
    page.goto(f"{live_server}/consents/{world['consent']}/withdraw")
    audit(page, "consent-withdraw")

    page = page_in(language)
    log_in(page, live_server, people["mentor"].email, PASSWORD)
    page.goto(f"{live_server}/concerns/{world['concern']}")
    assert "unsafe at home" in page.content()
    audit(page, "mentor-own-concern")
    assert len(shots) == 10 and all(path.stat().st_size > 0 for path in shots)

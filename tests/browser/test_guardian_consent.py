"""A guardian gives consent by link on a phone: the lead sends the request from the consent list,
the guardian opens the emailed link (in Indonesian, as it was sent), asks for a code, switches
the page to English, and gives consent. Every state is audited by axe-core (no serious or
critical violation) and kept as a screenshot (guardian-consent-*)."""

from __future__ import annotations

import re

from ..helpers import PASSWORD
from .conftest import axe_violations, emailed, emailed_link, log_in, screenshot

PHONE = {"width": 390, "height": 844}
GUARDIAN = "ibu.kartini@keluarga.test"


def _emailed_code(base: str, to: str) -> str:
    return emailed(base, to, r"\n(\d{6})\n").group(1)


def _audited(page, name: str) -> None:
    screenshot(page, f"guardian-consent-{name}")
    found = axe_violations(page)
    assert not found, f"{name}: {found}"


def test_a_guardian_gives_consent_on_a_phone_in_indonesian_and_english(live_server, page_in, make):
    cohort = make.cohort(name="Kelas Video Sehat", description="Membuat video pendek tentang tidur dan gizi.")
    lead = make.user(name="Bu Rina", email="rina.lead@sekolah.sch.id")
    student = make.user(name="Siti Rahmawati", email="siti.browser@sekolah.sch.id", is_minor=True,
                        birth_year=2011, guardian_contact=GUARDIAN)
    make.member(lead, cohort, "lead")
    make.member(student, cohort, "student")

    staff = page_in("id", width=PHONE["width"], height=PHONE["height"])
    log_in(staff, live_server, lead.email, PASSWORD)
    staff.goto(f"{live_server}/cohorts/{cohort.id}/consent")
    staff.get_by_role("button", name=re.compile("Siti Rahmawati")).click()
    staff.wait_for_load_state()
    assert "Dikirim" in staff.content() and "sedang dikirim" in staff.content()
    _audited(staff, "lead-list-id")

    link = emailed_link(live_server, GUARDIAN, "guardian/consent")
    guardian = page_in("id", width=PHONE["width"], height=PHONE["height"])
    guardian.goto(link)
    assert "Apa yang dikumpulkan" in guardian.content() and "Rahmawati" not in guardian.content()
    _audited(guardian, "page-id")

    guardian.get_by_role("button", name="Kirimkan kode kepada saya").click()
    guardian.wait_for_load_state()
    guardian.fill("#code", _emailed_code(live_server, GUARDIAN))
    guardian.fill("#guardian_name", "Kartini Rahmawati")
    guardian.get_by_label("Ibu", exact=True).check()
    _audited(guardian, "form-id")

    # The language switch keeps the link (and what was typed is typed again after it).
    guardian.click("details.menu > summary")  # the language is in the header's menu
    guardian.get_by_role("button", name="English").click()
    guardian.wait_for_load_state()
    assert "What is collected" in guardian.content()
    guardian.fill("#code", _emailed_code(live_server, GUARDIAN))
    guardian.fill("#guardian_name", "Kartini Rahmawati")
    guardian.get_by_label("Mother", exact=True).check()
    _audited(guardian, "form-en")
    guardian.get_by_role("button", name="I give consent").click()
    guardian.wait_for_load_state()
    assert "Consent given" in guardian.content() and "Withdraw consent" in guardian.content()
    _audited(guardian, "given-en")

    guardian.goto(f"{live_server}/guardian/consent/not-a-real-link")
    assert "This link cannot be used" in guardian.content()
    _audited(guardian, "unknown-en")

"""The notification settings with WhatsApp, on a phone, in Bahasa Indonesia and English:
a number that is not valid is refused on its field with everything typed kept, a good one
is saved in E.164; axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest

from ..helpers import PASSWORD
from .conftest import axe_violations, log_in, screenshot

WORDS = {"id": {"invalid": "bukan nomor telepon yang valid", "saved": "disimpan"},
         "en": {"invalid": "is not a valid phone number", "saved": "saved"}}


@pytest.mark.parametrize("language", ["id", "en"])
def test_whatsapp_settings_on_a_phone(live_server, page_in, make, app, language):
    from workshop.accounts.models import User
    from workshop.extensions import db

    person = make.user(name="Siti Rahmawati", email=f"siti-settings-{language}@sekolah.sch.id")
    page = page_in(language, width=390, height=844)
    log_in(page, live_server, person.email, PASSWORD)
    page.goto(f"{live_server}/settings/notifications")
    page.fill("#phone", "0812 34")
    page.check("#whatsapp_opt_in")
    page.locator("button.button.primary").click()
    assert WORDS[language]["invalid"] in page.locator("#phone-error").inner_text()
    assert page.input_value("#phone") == "0812 34" and page.is_checked("#whatsapp_opt_in")
    screenshot(page, f"notification-settings-refused-{language}")
    found = axe_violations(page)
    assert not found, found
    page.fill("#phone", "0812-3456-7890")
    page.locator("button.button.primary").click()
    assert WORDS[language]["saved"] in page.locator(".flash").first.inner_text().lower()
    screenshot(page, f"notification-settings-saved-{language}")
    with app.app_context():
        saved = db.session.get(User, person.id)
        assert (saved.phone, saved.whatsapp_opt_in) == ("+6281234567890", True)

"""Phone numbers are stored in E.164; what is not a valid number is refused, in the person's language."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from workshop.errors import Invalid
from workshop.phones import InvalidPhone, normalise_contact, normalise_phone


@pytest.mark.parametrize("typed", ["081234567890", "0812-3456-7890", "0812 3456 7890", "+62 812 3456 7890",
                                   "6281234567890", "+6281234567890", "006281234567890", "(0812) 345 67890"])
def test_indonesian_mobile_numbers_in_every_common_form_become_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"


def test_landlines_and_numbers_of_other_countries_keep_their_own_code():
    assert normalise_phone("021 5550 123") == "+62215550123"
    assert normalise_phone("+1 415 555 2671") == "+14155552671"


@pytest.mark.parametrize("typed", ["0812", "12345", "+62 800", "not a number", "+999 1234 5678", ""])
def test_what_is_not_a_valid_number_is_refused_with_a_translated_message(app, typed):
    with app.test_request_context(), force_locale("id"):
        with pytest.raises(InvalidPhone) as refused:
            normalise_phone(typed, field="phone")
        assert refused.value.status == 422 and refused.value.extra == {"field": "phone"}
        assert "nomor" in str(refused.value.message).lower()


def test_a_guardian_contact_is_an_email_address_or_a_phone_number(app):
    with app.test_request_context():
        assert normalise_contact("  wali@example.org ") == "wali@example.org"
        assert normalise_contact("0812 3456 7890") == "+6281234567890"
        assert normalise_contact("") == ""
        with pytest.raises(Invalid) as refused:
            normalise_contact("wali@", field="guardian_contact")
        assert refused.value.code == "invalid_email"
        with pytest.raises(InvalidPhone):
            normalise_contact("0812", field="guardian_contact")

"""Phone numbers, kept in one form: E.164 (``+6281234567890``).

People type them every way (``0812-3456-7890``, ``+62 812 3456 7890``, ``62812...``); Karya
reads them with Google's libphonenumber (the ``phonenumbers`` package), Indonesia being the
region a number without a country code belongs to, and stores only numbers that library
finds valid. A guardian contact may be a phone number or an email address
(:func:`normalise_contact`).
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import Invalid

DEFAULT_REGION = "ID"


class InvalidPhone(Invalid):
    """Not a phone number that can be reached (422); ``field`` names the input when given."""

    code = "invalid_phone"


def normalise_phone(raw: str, region: str = DEFAULT_REGION, *, field: str | None = None) -> str:
    """The number in E.164 (``08...`` in Indonesia becomes ``+628...``), or raise
    :class:`InvalidPhone` with a translated message naming ``field``."""
    text = (raw or "").strip()
    extra = {"field": field} if field else {}
    if not text:
        raise InvalidPhone(_l("Enter a phone number."), **extra)
    if text.startswith("00"):
        text = "+" + text[2:]  # the international prefix dialled in Indonesia and Europe
    elif region == "ID" and text.startswith("62"):
        text = "+" + text  # "62812..." is a full Indonesian number written without its plus
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(_l("“%(text)s” is not a phone number. Write it as 0812… or +62812…",
                              text=raw.strip()), **extra) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_l("“%(text)s” is not a valid phone number. Check the digits and write it "
                              "as 0812… or +62812…", text=raw.strip()), **extra)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_email(text: str) -> bool:
    return "@" in (text or "")


def normalise_contact(raw: str, *, field: str | None = None) -> str:
    """A guardian contact as stored: an email address (checked, as typed) or a phone
    number in E.164; empty stays empty. Raises :class:`Invalid` naming ``field``."""
    text = (raw or "").strip()
    if not text:
        return ""
    if looks_like_email(text):
        allow_test = current_app.config["KARYA_EMBEDDED"] or current_app.testing
        try:
            validate_email(text, check_deliverability=False, test_environment=allow_test)
        except EmailNotValidError:
            extra = {"field": field} if field else {}
            raise Invalid(_l("“%(text)s” is not a valid email address.", text=text),
                          code="invalid_email", **extra) from None
        return text
    return normalise_phone(text, field=field)


def is_phone(contact: str) -> bool:
    """Whether a stored contact is a phone number (E.164), not an email address."""
    return (contact or "").startswith("+")

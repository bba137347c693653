"""Every code the pipeline can produce has words, and the words take their params."""

from __future__ import annotations

import re

import pytest

from workshop.media import analysis
from workshop.media.messages import CHECK_DETAILS, REFUSALS, UNKNOWN_DETAIL, describe_check, refusal_message
from workshop.media.probe import MediaRefused

REFUSAL_CODES = {"empty", "not_media", "damaged", "still_image", "no_video", "too_long", "too_short",
                 "dimensions", "frame_rate", "too_many_streams"}


def test_every_refusal_has_a_message():
    assert set(REFUSALS) == REFUSAL_CODES


def _codes_in_source(module) -> set[str]:
    with open(module.__file__, encoding="utf-8") as f:
        return set(re.findall(r'_check\("\w+", "\w+", "(\w+)"', f.read()))


def test_every_check_detail_has_a_message():
    produced = _codes_in_source(analysis)
    assert produced and produced <= set(CHECK_DETAILS)


def test_messages_are_filled_from_params():
    refused = MediaRefused("too_long", actual_s=1234.5, max_s=900, actual="20:35", max="15:00")
    text = refusal_message(refused.code, refused.params)
    assert "20:35" in text and "15:00" in text and "%(" not in text
    check = {"name": "black", "status": "warn", "detail_code": "black_segment",
             "params": {"start": "0:12", "seconds": 3.0, "start_s": 12.0, "count": 1}}
    assert describe_check(check) == "The picture is black for 3.0 seconds from 0:12."


@pytest.mark.parametrize("message", list(REFUSALS.values()) + list(CHECK_DETAILS.values()))
def test_missing_params_never_raise(message):
    text = str(message) % type("P", (dict,), {"__missing__": lambda self, key: "–"})()
    assert "%(" not in text


def test_unknown_codes_fall_back():
    assert describe_check({"name": "loudness", "detail_code": "new"}) == str(UNKNOWN_DETAIL)
    assert "lead" in refusal_message("something_new")

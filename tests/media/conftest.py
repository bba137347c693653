"""Fixtures for the media pipeline's tests: real ffmpeg, clips generated once per session.

These tests need neither the database nor Redis: the pipeline is framework-free.
The ``ffmpeg``, ``ffprobe`` and ``clips`` fixtures live in tests/conftest.py, shared
with the end-to-end tests.
"""

from __future__ import annotations

import pytest

from workshop.media.probe import ProbeLimits


@pytest.fixture(autouse=True)
def _clean_state():
    """Overrides the suite-wide database/Redis cleanup, which media tests do not touch."""
    yield


@pytest.fixture
def limits() -> ProbeLimits:
    return ProbeLimits()

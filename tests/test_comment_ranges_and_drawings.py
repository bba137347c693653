"""Comments over an in-out range and with a drawing on the paused frame: the API's contract,
the plain form posts the page falls back on, who may read and write them, and the page."""

from __future__ import annotations

import json

import pytest

from workshop.review.models import Comment
from workshop.submissions.models import SubmissionState

from .helpers import bearer, csrf_token_from, login

ARROW = {"kind": "arrow", "color": "yellow", "points": [[0.1, 0.2], [0.5, 0.5]]}
BOX = {"kind": "box", "color": "red", "points": [[0.25, 0.25], [0.75, 0.6]]}
PEN = {"kind": "pen", "color": "white", "points": [[0.1, 0.1], [0.123456789, 0.2], [0.3, 0.25]]}


@pytest.fixture
def world(make):
    """A ready 20-second version of a student in cohort A; a mentor, a lead and another student
    there; a mentor and a student of cohort B."""
    a, b = make.cohort(name="Cohort A"), make.cohort(name="Cohort B")
    people = {**make.people(a, {"student": "student", "classmate": "student", "mentor": "mentor", "lead": "lead"}),
              **make.people(b, {"mentor_b": "mentor", "student_b": "student"})}
    assignment = make.assignment(a, title="Sleep well", max_duration_s=120)
    version = make.version(assignment, people["student"], submission_state=SubmissionState.AWAITING_REVIEW)
    tokens = {key: bearer(make.api_token(person)[1]) for key, person in people.items()}
    return {"people": people, "version": version, "assignment": assignment, "auth": tokens,
            "url": f"/api/v1/versions/{version.id}/comments"}


def _post(client, world, who, **payload):
    return client.post(world["url"], json=payload, headers=world["auth"][who])


def _refusal(response) -> tuple[int, str | None, str]:
    error = response.json["error"]
    return response.status_code, error.get("field"), error["message"]


def test_a_range_comment_is_kept_and_its_end_must_follow_its_start_within_the_video(client, world):
    made = _post(client, world, "mentor", body="Too dark from here to here", timecode_ms=5000, end_ms=12000)
    assert made.status_code == 201, made.json
    assert (made.json["timecode_ms"], made.json["end_ms"], made.json["drawing"]) == (5000, 12000, None)

    for payload, field in [
        ({"timecode_ms": 5000, "end_ms": 5000}, "end_ms"),    # not after its start
        ({"timecode_ms": 5000, "end_ms": 4000}, "end_ms"),
        ({"timecode_ms": 5000, "end_ms": 25_000}, "end_ms"),  # past the 20-second video
        ({"end_ms": 4000}, "end_ms"),                         # no start
        ({"timecode_ms": 5000, "end_ms": "12000"}, "end_ms"),
        ({"timecode_ms": 5000, "end_ms": -1}, "end_ms"),
    ]:
        refused = _post(client, world, "mentor", body="x", **payload)
        assert refused.status_code == 422 and refused.json["error"]["field"] == field, (payload, refused.json)
    after = client.post(world["url"], json={"body": "x", "timecode_ms": 5000, "end_ms": 4000},
                        headers={**world["auth"]["mentor"], "Accept-Language": "id"})
    assert _refusal(after)[2] == "Akhir rentang harus sesudah awalnya."

    # A reply belongs to its thread's moment: a range sent with it is not its own.
    reply = _post(client, world, "student", body="Fixed", parent_id=made.json["id"], timecode_ms=1000, end_ms=2000)
    assert reply.status_code == 201 and reply.json["timecode_ms"] is None and reply.json["end_ms"] is None


def test_a_drawing_is_kept_in_fractions_of_the_frame_and_read_back(client, world):
    made = _post(client, world, "mentor", body="Look here", timecode_ms=5000, drawing=[ARROW, BOX, PEN])
    assert made.status_code == 201, made.json
    assert made.json["drawing"][:2] == [ARROW, BOX]
    assert made.json["drawing"][2]["points"][1] == [0.1235, 0.2]  # kept to a ten-thousandth
    listed = client.get(world["url"], headers=world["auth"]["student"]).json["comments"]
    assert listed[0]["drawing"] == made.json["drawing"]


@pytest.mark.parametrize("drawing, field, message", [
    ([{**ARROW, "kind": "circle"}], "drawing", "'drawing[0].kind' must be one of: pen, arrow, box."),
    ([{**ARROW, "color": "#ff00ff"}], "drawing",
     "'drawing[0].color' must be one of: red, yellow, green, blue, white."),
    ([{**ARROW, "points": [[0.1, 0.2], [0.5, 0.5], [0.6, 0.6]]}], "drawing",
     "A pen stroke has 2 to 400 points; an arrow and a box have 2."),
    ([{**ARROW, "points": [[0.1, 0.2]]}], "drawing", "'drawing[0].points' needs at least 2 items."),
    ([{**BOX, "points": [[0.1, 0.2], [1.5, 0.5]]}], "drawing", "'drawing[0].points[1][0]' must be at most 1.0."),
    ([{**BOX, "points": [[0.1, 0.2], [0.5]]}], "drawing", "'drawing[0].points[1]' needs at least 2 items."),
    ([{**BOX, "points": [[0.1, 0.2], ["0.5", 0.5]]}], "drawing", "'drawing[0].points[1][0]' must be a number."),
    ([{**BOX, "points": [[0.1, 0.2], [True, 0.5]]}], "drawing", "'drawing[0].points[1][0]' must be a number."),
    ([ARROW] * 31, "drawing", "'drawing' can have at most 30 items."),
    ([{**PEN, "points": [[0.5, 0.5]] * 401}], "drawing", "'drawing[0].points' can have at most 400 items."),
    ([{**PEN, "points": [[0.5, 0.5]] * 400}] * 6, "drawing", "A drawing can have at most 2000 points in all."),
    ({"shapes": [ARROW]}, "drawing", "'drawing' must be a list."),
])
def test_the_api_refuses_a_drawing_out_of_bounds_naming_it(client, world, drawing, field, message):
    refused = _post(client, world, "mentor", body="x", timecode_ms=5000, drawing=drawing)
    assert _refusal(refused) == (422, field, message)


def test_a_drawing_needs_its_moment_and_never_rides_on_a_reply(client, world):
    assert _refusal(_post(client, world, "mentor", body="x", drawing=[ARROW]))[:2] == (422, "drawing")
    root = _post(client, world, "mentor", body="Root", timecode_ms=1000).json
    on_reply = _post(client, world, "student", body="x", parent_id=root["id"], drawing=[ARROW])
    assert _refusal(on_reply)[:2] == (422, "drawing")
    nan = client.post(world["url"], data='{"body": "x", "timecode_ms": 1, "drawing": [{"kind": "box", '
                      '"color": "red", "points": [[0, 0], [NaN, 1]]}]}',
                      headers={**world["auth"]["mentor"], "Content-Type": "application/json"})
    assert nan.status_code in (400, 422)
    # An empty drawing is no drawing.
    assert _post(client, world, "mentor", body="x", timecode_ms=1000, drawing=[]).json["drawing"] is None


def test_only_the_cohort_reads_and_writes_comments_and_students_never_see_private_notes(client, world):
    url = world["url"]
    note = _post(client, world, "mentor", body="Seems tired", timecode_ms=2000, end_ms=4000, drawing=[BOX],
                 private=True).json
    shown = _post(client, world, "mentor", body="Nice light", timecode_ms=6000).json
    # Students of the cohort see the open comment, never the private note, nor can they resolve.
    seen = client.get(url, headers=world["auth"]["student"]).json["comments"]
    assert [c["id"] for c in seen] == [shown["id"]]
    assert client.post(f"/api/v1/comments/{shown['id']}/resolve", headers=world["auth"]["student"]).status_code == 403
    assert _post(client, world, "student", body="x", parent_id=note["id"]).status_code == 422
    # Another student of the cohort, and anyone of cohort B, learn nothing and change nothing.
    for who in ("classmate", "mentor_b", "student_b"):
        assert client.get(url, headers=world["auth"][who]).status_code == 404, who
        assert _post(client, world, who, body="x", timecode_ms=1000).status_code == 404, who
        for action in ("resolve", "unresolve"):  # a member below mentor is refused; a stranger finds nothing
            assert client.post(f"/api/v1/comments/{note['id']}/{action}", headers=world["auth"][who]).status_code \
                == (403 if who == "classmate" else 404), who
    assert client.post(f"/api/v1/comments/{note['id']}/resolve", headers=world["auth"]["lead"]).json["resolved"]


def test_a_signed_in_browser_sends_comments_with_the_csrf_header(csrf_app, make, world):
    browser = csrf_app.test_client()
    login_page = browser.get("/login")
    browser.post("/login", data={"email": world["people"]["mentor"].email, "password": "correct-horse-battery",
                                 "csrf_token": csrf_token_from(login_page.data)})
    page = browser.get(f"/versions/{world['version'].id}").data.decode()
    token = csrf_token_from(page)
    body = {"body": "At 0:05", "timecode_ms": 5000}
    assert browser.post(world["url"], json=body).status_code == 400
    made = browser.post(world["url"], json=body, headers={"X-CSRFToken": token})
    assert made.status_code == 201 and made.json["timecode_ms"] == 5000


# --- the plain form posts (the page without its script) --------------------------------------------

def _page_as(client, world, who):
    login(client, world["people"][who])
    return f"/versions/{world['version'].id}"


def test_the_form_post_takes_a_range_and_a_drawing(app, client, world):
    page = _page_as(client, world, "mentor")
    posted = client.post(f"{page}/comments", data={"body": "Shaky here", "timecode_ms": "5000", "end_ms": "12000",
                                                   "drawing": json.dumps([ARROW])})
    assert posted.status_code == 302
    with app.app_context():
        comment = Comment.query.one()
        assert (comment.timecode_ms, comment.end_ms, comment.drawing) == (5000, 12000, [ARROW])
        assert posted.headers["Location"].endswith(f"#comment-{comment.id}")
    html = client.get(page).data.decode()
    assert "0:05–0:12" in html and 'data-end-ms="12000"' in html and "marker-range" in html
    assert """data-drawing='[{"color": "yellow", "kind": "arrow", "points": [[0.1, 0.2], [0.5, 0.5]]}]'""" in html


@pytest.mark.parametrize("data, message", [
    ({"timecode_ms": "5000", "end_ms": "3000"}, "The end of the range must come after its start."),
    ({"timecode_ms": "5000", "drawing": "[{not json"}, "The drawing could not be read. Clear it and draw again."),
    ({"timecode_ms": "5000", "drawing": json.dumps([{**ARROW, "kind": "star"}])},
     "Each shape must be a pen stroke, an arrow or a box."),
])
def test_a_refused_form_post_shows_why_beside_the_form_and_keeps_what_was_typed(app, client, world, data, message):
    page = _page_as(client, world, "mentor")
    refused = client.post(f"{page}/comments", data={"body": "Keep these words <b>", "private": "1", **data})
    html = refused.data.decode()
    assert refused.status_code == 422
    form = html[html.index('id="comment-form"'):html.index("</form>", html.index('id="comment-form"'))]
    assert message in form and 'role="alert"' in form
    assert "Keep these words &lt;b&gt;</textarea>" in form and 'name="private" value="1" checked' in form
    assert f'value="{data["timecode_ms"]}"' in form
    with app.app_context():
        assert Comment.query.count() == 0


def test_a_refused_reply_reopens_its_box_with_the_reply_in_it(client, world, make):
    root = make.comment(world["version"], world["people"]["mentor"], "Louder please", timecode_ms=3000)
    page = _page_as(client, world, "student")
    refused = client.post(f"{page}/comments", data={"body": "   ", "parent_id": str(root.id)})
    html = refused.data.decode()
    assert refused.status_code == 422
    box = html[html.index(f'id="comment-{root.id}"'):]
    assert '<details class="reply-box" open>' in box[:box.index("</details>")]
    assert "Write something first." in box[:box.index("</details>")]


def test_a_drawing_on_an_earlier_version_shows_as_a_small_picture_beside_its_comment(client, world, make):
    make.comment(world["version"], world["people"]["mentor"], "Crop this", timecode_ms=4000, drawing=[BOX, ARROW])
    v2 = make.version(world["assignment"], world["people"]["student"], 2)
    login(client, world["people"]["student"])
    html = client.get(f"/versions/{v2.id}").data.decode()
    earlier = html[html.index('id="earlier-comments"'):]
    assert "Crop this" in earlier and 'aria-label="Drawing on the frame at 0:04"' in earlier
    # The box's corners in the 1280 x 720 frame, and the arrow's line to its head.
    assert 'class="shape shape-red" d="M320.0 180.0H960.0V432.0H320.0Z"' in earlier
    assert 'class="shape shape-yellow" d="M128.0 144.0L640.0 360.0M' in earlier

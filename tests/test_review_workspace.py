"""The review workspace's rules, through the pages on the real database: a saved review is
shown rather than an empty form, its author may change it until the student uploads again
(nobody else may, and another cohort cannot even see it), an escalation stays as it is, a
refused review lists its problems first, and "Save and next in queue" follows the queue.
The browser side (tabs, the checklist's buttons, the keyboard) is in tests/browser/test_workspace.py."""

from __future__ import annotations

import pytest

from workshop.audit.models import AuditEvent
from workshop.extensions import db
from workshop.notifications.models import Notification
from workshop.review.models import Review
from workshop.submissions.models import SafeguardingConcern, SubmissionState, Version, VersionState

from .helpers import login
from .test_review import World


@pytest.fixture
def world(app, make, client):
    return World(app, make, client)


def _as(world, who: str, language: str = "en"):
    world.client.post("/logout")
    login(world.client, world.people[who])
    world.client.post("/language", data={"locale": language, "next": "/"})
    return world.client


def _form(world, verdict: str, summary: str = "", answer: str = "yes", **extra) -> dict:
    data = {"verdict": verdict, "summary": summary, **extra}
    for item in world.checklist():
        data[f"answer-{item['id']}"] = answer
    return data


def _state(app, version_id: int) -> SubmissionState:
    with app.app_context():
        return db.session.get(Version, version_id).submission.state


def test_the_author_edits_a_review_until_a_newer_version_and_nobody_else_can(app, world):
    v1 = world.ready_version()
    mentor = _as(world, "mentor")
    saved = mentor.post(f"/versions/{v1}/review", data=_form(world, "changes_requested", "Add the helpline."))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/versions/{v1}#verdict")

    # The page shows the saved review (the form is there only behind "Edit review").
    page = mentor.get(f"/versions/{v1}").data.decode()
    assert 'id="verdict"' in page and "Add the helpline." in page and 'id="edit-review"' in page
    assert '<section class="card review-panel" id="review" aria-labelledby="review-title" hidden>' in page
    opened = mentor.get(f"/versions/{v1}?edit=1").data.decode()
    assert '<section class="card review-panel" id="review" aria-labelledby="review-title">' in opened
    assert 'value="changes_requested" checked' in opened and "Add the helpline.</textarea>" in opened

    # Its author changes it: the verdict moves the submission, the student hears of it.
    first_item = world.checklist()[0]["id"]
    edited = mentor.post(f"/versions/{v1}/review/edit",
                         data=_form(world, "approved", **{f"note-{first_item}": "Much better"}))
    assert edited.status_code == 302
    assert _state(app, v1) is SubmissionState.APPROVED
    with app.app_context():
        reviews = db.session.scalars(db.select(Review)).all()
        assert len(reviews) == 1 and reviews[0].verdict.value == "approved"
        assert {a.item_id: a.note for a in reviews[0].answers}[first_item] == "Much better"
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.kind == "verdict")) == 2
        assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "review.edited"))

    # A lead of the cohort may read it but not change it; the page offers no edit.
    lead = _as(world, "lead")
    assert 'id="edit-review"' not in lead.get(f"/versions/{v1}").data.decode()
    refused = lead.post(f"/versions/{v1}/review/edit", data=_form(world, "changes_requested", "No"))
    assert refused.status_code == 403
    assert "Only the mentor who wrote this review can change it." in refused.data.decode()
    refused_id = _as(world, "lead", "id").post(f"/versions/{v1}/review/edit",
                                               data=_form(world, "changes_requested", "Tidak"))
    assert refused_id.status_code == 403 and "Hanya mentor yang menulis tinjauan ini" in refused_id.data.decode()
    assert _state(app, v1) is SubmissionState.APPROVED

    # Another cohort's mentor and lead cannot see it, let alone change it.
    for outsider in ("mentor_b", "lead_b"):
        client = _as(world, outsider)
        assert client.get(f"/versions/{v1}").status_code == 404
        assert client.post(f"/versions/{v1}/review/edit", data=_form(world, "approved")).status_code == 404
    assert world.api.get(f"/api/v1/versions/{v1}", headers=world.auth("mentor_b")).status_code == 404

    # Back to "changes requested"; once the student has uploaded again it is final.
    mentor = _as(world, "mentor")
    assert mentor.post(f"/versions/{v1}/review/edit",
                       data=_form(world, "changes_requested", "One more fix")).status_code == 302
    assert _state(app, v1) is SubmissionState.CHANGES_REQUESTED
    world.make.version(world.assignment, world.people["student"], 2, state=VersionState.QUEUED)
    assert 'id="edit-review"' not in mentor.get(f"/versions/{v1}").data.decode()
    late = mentor.post(f"/versions/{v1}/review/edit", data=_form(world, "approved"))
    assert late.status_code == 409 and "uploaded a newer version" in late.data.decode()
    assert _state(app, v1) is SubmissionState.CHANGES_REQUESTED


def test_an_escalation_is_not_edited_back(app, world):
    version_id = world.ready_version()
    mentor = _as(world, "mentor")
    mentor.post(f"/versions/{version_id}/review", data=_form(world, "escalated", "Worrying scene at 0:10"))
    assert _state(app, version_id) is SubmissionState.ESCALATED
    assert 'id="edit-review"' not in mentor.get(f"/versions/{version_id}").data.decode()
    refused = mentor.post(f"/versions/{version_id}/review/edit", data=_form(world, "approved"))
    assert refused.status_code == 409 and "An escalation cannot be changed" in refused.data.decode()
    assert _state(app, version_id) is SubmissionState.ESCALATED


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_refused_review_lists_its_problems_first_with_links_to_the_fields(app, world, language):
    version_id = world.ready_version()
    must = [i for i in world.checklist() if i["severity"] == "must"]
    mentor = _as(world, "mentor", language)
    data = _form(world, "approved")
    del data[f"answer-{must[0]['id']}"]
    refused = mentor.post(f"/versions/{version_id}/review", data=data)
    assert refused.status_code == 422
    html = refused.data.decode()
    summary = html[html.index('id="review-problems"'):html.index("</div>", html.index('id="review-problems"'))]
    assert 'tabindex="-1" autofocus' in summary
    assert f'href="#answer-{must[0]["id"]}-yes"' in summary
    assert ("Your review was not saved" if language == "en" else "Tinjauan Anda belum tersimpan") in summary
    # It comes before the video and the checklist, and the item is marked where it is.
    assert html.index('id="review-problems"') < html.index('id="ws-video"')
    assert f'id="item-error-{must[0]["id"]}"' in html

    no_summary = mentor.post(f"/versions/{version_id}/review", data=_form(world, "changes_requested"))
    assert no_summary.status_code == 422 and 'href="#summary"' in no_summary.data.decode()


def test_save_and_next_opens_the_next_waiting_version_then_the_queue(app, world):
    first = world.ready_version("student", ready_minutes_ago=30)
    second = world.ready_version("other_student", ready_minutes_ago=20)
    mentor = _as(world, "mentor")
    to_next = mentor.post(f"/versions/{first}/review", data=_form(world, "approved", next_in_queue="1"))
    assert to_next.status_code == 302 and to_next.headers["Location"].endswith(f"/versions/{second}")
    to_queue = mentor.post(f"/versions/{second}/review", data=_form(world, "approved", next_in_queue="1"))
    assert to_queue.status_code == 302 and to_queue.headers["Location"].endswith("/reviews")
    assert "Nothing else is waiting for you in the queue." in mentor.get("/reviews").data.decode()


def test_the_badge_shows_where_a_version_stands(app, world):
    busy = world.make.version(world.assignment, world.people["other_student"], 1, state=VersionState.PROCESSING,
                              progress=42.0)
    page = _as(world, "mentor").get(f"/versions/{busy.id}").data.decode()
    assert '<span class="badge state-processing" id="state-badge"' in page and ">Processing 42%</span>" in page

    v1 = world.ready_version()
    mentor = _as(world, "mentor")
    assert ">Ready</span>" in mentor.get(f"/versions/{v1}").data.decode()
    mentor.post(f"/versions/{v1}/claim")
    assert ">In review</span>" in mentor.get(f"/versions/{v1}").data.decode()
    mentor.post(f"/versions/{v1}/review", data=_form(world, "changes_requested", "Louder, please."))
    v2 = world.ready_version(number=2)
    mentor.post(f"/versions/{v2}/review", data=_form(world, "approved"))
    # Each version keeps its own outcome, on its page and in the student's list.
    assert 'class="badge state-approved" id="state-badge"' in mentor.get(f"/versions/{v2}").data.decode()
    assert 'class="badge state-changes_requested" id="state-badge"' in mentor.get(f"/versions/{v1}").data.decode()
    listing = _as(world, "student").get(f"/assignments/{world.assignment.id}").data.decode()
    assert listing.count("badge state-approved") == 2  # the submission's and version 2's
    assert "badge state-changes_requested" in listing and 'id="upload"' in listing
    # The lead's table of submissions: approved, and no "Ready" beside it.
    table = _as(world, "lead").get(f"/assignments/{world.assignment.id}").data.decode()
    assert "badge state-approved" in table and "badge state-ready" not in table
    assert "badge state-processing" in table  # a version still processing keeps its badge


def test_the_api_changes_a_review_for_its_author_only(app, world):
    version_id = world.ready_version()
    url = f"/api/v1/versions/{version_id}/review"
    approve = {"verdict": "approved", "summary": "", "answers": world.all_yes()}
    none_yet = world.api.put(url, headers=world.auth("mentor"), json=approve)
    assert none_yet.status_code == 409 and none_yet.json["error"]["code"] == "no_review"
    world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("mentor"),
                   json={"verdict": "changes_requested", "summary": "Cut the end.", "answers": []})
    changed = world.api.put(url, headers=world.auth("mentor"), json=approve)
    assert changed.status_code == 200 and changed.json["verdict"] == "approved"
    assert len(changed.json["answers"]) == len(approve["answers"])
    assert _state(app, version_id) is SubmissionState.APPROVED
    by_lead = world.api.put(url, headers=world.auth("lead"), json={"verdict": "changes_requested", "summary": "x"})
    assert by_lead.status_code == 403 and by_lead.json["error"]["code"] == "not_author"
    assert world.api.put(url, headers=world.auth("lead_b"), json=approve).status_code == 404
    assert _state(app, version_id) is SubmissionState.APPROVED

    # Changed into an escalation: the text goes to the concern alone, and it stays escalated.
    worry = world.api.put(url, headers=world.auth("mentor"),
                          json={"verdict": "escalated", "summary": "A worry about 0:10", "answers": []})
    assert worry.status_code == 200 and worry.json["verdict"] == "escalated" and worry.json["summary"] == ""
    assert _state(app, version_id) is SubmissionState.ESCALATED
    with app.app_context():
        assert db.session.scalar(db.select(SafeguardingConcern.summary)) == "A worry about 0:10"
    back = world.api.put(url, headers=world.auth("mentor"), json=approve)
    assert back.status_code == 409 and back.json["error"]["code"] == "escalated"

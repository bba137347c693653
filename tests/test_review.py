"""Mentor review: checklists, comments, verdicts, the queue, safeguarding, and every
permission edge, through the API and the pages, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workshop.audit.models import AuditEvent
from workshop.notifications.models import Notification
from workshop.review.models import Review
from workshop.submissions.models import SafeguardingConcern
from workshop.submissions.models import SubmissionState, Version

from .helpers import PASSWORD, bearer, login


class World:
    """Cohort A (two students, a mentor, a lead) and cohort B (its own mentor and lead)."""

    def __init__(self, app, make, client):
        # Pages are used through ``client`` (a cookie session); the API through ``api``
        # (bearer tokens only: a cookie session makes API writes need a CSRF header).
        self.app, self.client, self.api = app, client, app.test_client()
        self.make = make
        self.a, self.b = make.cohort(name="Cohort A"), make.cohort(name="Cohort B")
        self.people = {**make.people(self.a, {"student": "student", "other_student": "student",
                                              "mentor": "mentor", "lead": "lead"}),
                       **make.people(self.b, {"mentor_b": "mentor", "lead_b": "lead"})}
        self.assignment = make.assignment(self.a, title="Sleep well", max_duration_s=120)
        self._tokens = {}

    def auth(self, who: str) -> dict:
        if who not in self._tokens:
            response = self.api.post("/api/v1/tokens", json={"email": self.people[who].email,
                                                                 "password": PASSWORD})
            self._tokens[who] = response.json["token"]
        return bearer(self._tokens[who])

    def ready_version(self, student="student", number=1, ready_minutes_ago=10) -> int:
        """A processed version, as the media job leaves it (review does not look at the files)."""
        return self.make.version(self.assignment, self.people[student], number,
                                 submission_state=SubmissionState.AWAITING_REVIEW,
                                 ready_ago=timedelta(minutes=ready_minutes_ago)).id

    def checklist(self) -> list[dict]:
        return self.api.get(f"/api/v1/assignments/{self.assignment.id}/checklist",
                               headers=self.auth("mentor")).json["items"]

    def all_yes(self) -> list[dict]:
        return [{"item_id": item["id"], "answer": "yes", "note": ""} for item in self.checklist()]


@pytest.fixture
def world(app, make, client):
    return World(app, make, client)


def _count(app, model, **where):
    from workshop.extensions import db

    with app.app_context():
        query = db.select(db.func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def _submission_state(app, version_id):
    from workshop.extensions import db

    with app.app_context():
        return db.session.get(Version, version_id).submission.state


# --- checklists -------------------------------------------------------------------------

def test_the_checklist_lists_items_with_ids_and_severities_from_the_default_templates(world):
    body = world.api.get(f"/api/v1/assignments/{world.assignment.id}/checklist",
                            headers=world.auth("mentor")).json
    assert [t["key"] for t in body["templates"]] == ["wellbeing", "child_safety", "accuracy", "copyright"]
    assert body["helpline"] == {"name": "SEJIWA (Kemenkes)", "contact": "119 ext 8"}
    severities = {item["severity"] for item in body["items"]}
    assert severities == {"must", "should"} and all(isinstance(i["id"], int) and i["text"] for i in body["items"])
    indonesian = world.api.get(f"/api/v1/assignments/{world.assignment.id}/checklist",
                                  headers={**world.auth("mentor"), "Accept-Language": "id"}).json
    assert indonesian["items"][0]["text"] == body["items"][0]["text_id"] != body["items"][0]["text"]


def test_a_lead_copies_and_edits_a_template_chooses_it_and_sets_the_helpline(app, world):
    client = world.client
    login(client, world.people["lead"])
    page = client.get(f"/cohorts/{world.a.id}/checklists")
    assert page.status_code == 200 and b"SEJIWA" in page.data
    from workshop.extensions import db
    from workshop.review.models import ChecklistTemplate

    with app.app_context():
        wellbeing = db.session.scalar(db.select(ChecklistTemplate).where(
            ChecklistTemplate.cohort_id.is_(None), ChecklistTemplate.key == "wellbeing"))
        first_item = wellbeing.items[0].id
    copied = client.post(f"/cohorts/{world.a.id}/checklists/copy", data={"template_id": wellbeing.id})
    copy_id = int(copied.headers["Location"].split("/")[-2])
    with app.app_context():
        copy = db.session.get(ChecklistTemplate, copy_id)
        item_ids = [i.id for i in copy.items]
    edited = client.post(f"/checklists/{copy_id}/edit", data={
        "name_en": "Wellbeing (our school)", "name_id": "Kesejahteraan (sekolah kami)",
        f"delete-{item_ids[-1]}": "1", f"severity-{item_ids[0]}": "should",
        "new_text_en": "Mentions the school counsellor.", "new_text_id": "Menyebut guru BK.",
        "new_severity": "must"})
    assert edited.status_code == 302
    client.post(f"/assignments/{world.assignment.id}/checklists", data={"template_id": [str(copy_id)]})
    client.post(f"/cohorts/{world.a.id}/helpline", data={"helpline_name": "Layanan Sekolah",
                                                        "helpline_contact": "0800-123"})

    body = world.api.get(f"/api/v1/assignments/{world.assignment.id}/checklist", headers=world.auth("mentor")).json
    assert [t["key"] for t in body["templates"]] == ["wellbeing"] and body["templates"][0]["id"] == copy_id
    assert body["helpline"] == {"name": "Layanan Sekolah", "contact": "0800-123"}
    texts = [i["text_en"] for i in body["items"]]
    assert texts[-1] == "Mentions the school counsellor." and len(texts) == len(item_ids)
    assert body["items"][0]["severity"] == "should"
    with app.app_context():  # the default itself is untouched
        assert db.session.get(ChecklistTemplate, wellbeing.id).items[0].id == first_item
        assert db.session.get(ChecklistTemplate, wellbeing.id).items[0].severity.value == "must"

    # A half-filled new item is refused with a message, and nothing of the form is saved;
    # what the lead typed comes back to be finished.
    refused = client.post(f"/checklists/{copy_id}/edit", data={"name_en": "Changed", "name_id": "Diubah",
                                                               "new_text_en": "Only English",
                                                               f"text_en-{item_ids[0]}": "Reworded first item"})
    assert refused.status_code == 422 and b"both English and Bahasa Indonesia" in refused.data
    assert b'value="Changed"' in refused.data and b"Only English</textarea>" in refused.data
    assert b"Reworded first item</textarea>" in refused.data
    with app.app_context():
        assert db.session.get(ChecklistTemplate, copy_id).name_en == "Wellbeing (our school)"


def test_only_the_cohorts_leads_manage_checklists(app, world):
    from workshop.extensions import db
    from workshop.review.models import ChecklistTemplate

    with app.app_context():
        default_id = db.session.scalar(db.select(ChecklistTemplate.id).where(ChecklistTemplate.cohort_id.is_(None)))
    for who, status in [("mentor", 403), ("lead_b", 404), ("student", 403)]:
        world.client.post("/logout")
        login(world.client, world.people[who])
        assert world.client.get(f"/cohorts/{world.a.id}/checklists").status_code == status, who
    # Nobody edits the site-wide defaults in place (they belong to no cohort).
    world.client.post("/logout")
    login(world.client, world.people["lead"])
    assert world.client.get(f"/checklists/{default_id}/edit").status_code == 404


# --- comments ---------------------------------------------------------------------------

def test_comments_pinned_to_times_with_replies_private_notes_and_resolving(app, world):
    version_id = world.ready_version()
    client, url = world.api, f"/api/v1/versions/{version_id}/comments"
    first = client.post(url, json={"body": "Lovely opening shot", "timecode_ms": 5000}, headers=world.auth("mentor"))
    second = client.post(url, json={"body": "Say where this fact comes from", "timecode_ms": 12000},
                         headers=world.auth("mentor"))
    note = client.post(url, json={"body": "Student seems low; check in at the session", "private": True},
                       headers=world.auth("mentor"))
    assert first.status_code == second.status_code == note.status_code == 201
    assert first.json["timecode_ms"] == 5000 and note.json["private"] is True

    reply = client.post(url, json={"body": "It is from the WHO page", "parent_id": second.json["id"]},
                        headers=world.auth("student"))
    assert reply.status_code == 201 and reply.json["parent_id"] == second.json["id"]
    assert _count(app, Notification, user_id=world.people["mentor"].id, kind="reply") == 1

    seen_by_student = client.get(url, headers=world.auth("student")).json["comments"]
    assert [c["body"] for c in seen_by_student] == ["Lovely opening shot", "Say where this fact comes from",
                                                   "It is from the WHO page"]
    seen_by_mentor = client.get(url, headers=world.auth("mentor")).json["comments"]
    assert len(seen_by_mentor) == 4
    seen_by_lead = client.get(url, headers=world.auth("lead")).json["comments"]
    assert any(c["private"] for c in seen_by_lead)

    resolved = client.post(f"/api/v1/comments/{second.json['id']}/resolve", headers=world.auth("mentor"))
    assert resolved.json["resolved"] is True
    assert client.post(f"/api/v1/comments/{second.json['id']}/resolve",
                       headers=world.auth("student")).status_code == 403
    assert client.post(f"/api/v1/comments/{second.json['id']}/unresolve",
                       headers=world.auth("mentor")).json["resolved"] is False


def test_comment_permission_edges(app, world):
    version_id = world.ready_version()
    client, url = world.api, f"/api/v1/versions/{version_id}/comments"
    note = client.post(url, json={"body": "private", "private": True}, headers=world.auth("mentor")).json
    # A student cannot write private notes, reply into one, or read another student's comments.
    assert client.post(url, json={"body": "x", "private": True}, headers=world.auth("student")).status_code == 403
    assert client.post(url, json={"body": "x", "parent_id": note["id"]},
                       headers=world.auth("student")).status_code == 422
    assert client.get(url, headers=world.auth("other_student")).status_code == 404
    assert client.post(url, json={"body": "x"}, headers=world.auth("other_student")).status_code == 404
    # A mentor of another cohort sees nothing of this one.
    assert client.get(url, headers=world.auth("mentor_b")).status_code == 404
    assert client.get(f"/api/v1/assignments/{world.assignment.id}/checklist",
                      headers=world.auth("mentor_b")).status_code == 404
    # Bad input gets clear errors.
    for payload, field in [({"body": ""}, "body"), ({"body": "x", "timecode_ms": 999_999}, "timecode_ms"),
                           ({"body": "x", "timecode_ms": -1}, "timecode_ms"), ({"body": "x", "private": "yes"},
                                                                                "private")]:
        response = client.post(url, json=payload, headers=world.auth("mentor"))
        assert response.status_code == 422 and response.json["error"]["field"] == field, payload


def test_a_nested_mistake_names_its_place_in_both_languages(app, world):
    version_id = world.ready_version()
    url = f"/api/v1/versions/{version_id}/reviews"
    body = {"verdict": "approved", "answers": [*world.all_yes()[:1], {"item_id": "7", "answer": "yes"}]}
    for language, message in (("en", "'answers[1].item_id' must be a whole number."),
                              ("id", "'answers[1].item_id' harus berupa bilangan bulat.")):
        response = world.api.post(url, json=body, headers={**world.auth("mentor"), "Accept-Language": language})
        assert response.status_code == 422
        assert response.json["error"] == {"code": "invalid", "field": "answers", "message": message}
    wrong_verdict = world.api.post(url, json={"verdict": "fine"}, headers=world.auth("mentor"))
    assert wrong_verdict.json["error"]["message"] == \
        "'verdict' must be one of: approved, changes_requested, escalated."
    assert _count(app, Review) == 0


# --- verdicts ---------------------------------------------------------------------------

def test_approving_without_the_must_items_fails_with_422_naming_them_and_changes_nothing(app, world):
    version_id = world.ready_version()
    items = world.checklist()
    must = [i for i in items if i["severity"] == "must"]
    # The first "must" item left out, the second answered "no", everything else "yes".
    answers = [{"item_id": i["id"], "answer": "no" if i["id"] == must[1]["id"] else "yes"}
               for i in items if i["id"] != must[0]["id"]]

    response = world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("mentor"),
                                 json={"verdict": "approved", "summary": "Great", "answers": answers})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "must_items_missing"
    assert {m["item_id"] for m in error["missing"]} == {must[0]["id"], must[1]["id"]}
    assert all(m["text"] for m in error["missing"])
    assert _count(app, Review) == 0 and _submission_state(app, version_id) is SubmissionState.AWAITING_REVIEW
    assert _count(app, Notification, kind="verdict") == 0


def test_a_verdict_with_answers_updates_the_submission_and_tells_the_student(app, world):
    version_id = world.ready_version()
    url = f"/api/v1/versions/{version_id}/reviews"
    missing_summary = world.api.post(url, headers=world.auth("mentor"),
                                        json={"verdict": "changes_requested", "answers": []})
    assert missing_summary.status_code == 422 and missing_summary.json["error"]["field"] == "summary"
    answers = world.all_yes()
    answers[0] = {**answers[0], "answer": "no", "note": "The method is described at 0:40"}
    changes = world.api.post(url, headers=world.auth("mentor"), json={
        "verdict": "changes_requested", "summary": "Cut 0:38-0:45 and add the helpline.", "answers": answers})
    assert changes.status_code == 201 and changes.json["verdict"] == "changes_requested"
    assert _submission_state(app, version_id) is SubmissionState.CHANGES_REQUESTED
    assert _count(app, Notification, user_id=world.people["student"].id, kind="verdict") == 1

    # The student's page shows the verdict, the checklist outcome and the way on.
    login(world.client, world.people["student"])
    page = world.client.get(f"/versions/{version_id}").data.decode()
    assert "Cut 0:38-0:45 and add the helpline." in page and "The method is described at 0:40" in page
    assert "Upload the next version" in page and 'name="verdict"' not in page

    # A review of a version that is no longer the newest is refused.
    newer = world.ready_version(number=2)
    stale = world.api.post(url, headers=world.auth("mentor"),
                              json={"verdict": "approved", "summary": "", "answers": world.all_yes()})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "newer_version"
    approved = world.api.post(f"/api/v1/versions/{newer}/reviews", headers=world.auth("mentor"),
                                 json={"verdict": "approved", "summary": "", "answers": world.all_yes()})
    assert approved.status_code == 201 and _submission_state(app, newer) is SubmissionState.APPROVED


def test_a_mentor_of_another_cohort_cannot_see_or_review(app, world):
    version_id = world.ready_version()
    review = world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("mentor_b"),
                               json={"verdict": "approved", "summary": "", "answers": []})
    assert review.status_code == 404
    assert world.api.get(f"/api/v1/versions/{version_id}", headers=world.auth("mentor_b")).status_code == 404
    assert world.api.get("/api/v1/reviews/queue", headers=world.auth("mentor_b")).json["versions"] == []
    # Students do not review.
    assert world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("student"),
                             json={"verdict": "approved", "summary": "", "answers": []}).status_code == 403
    assert _count(app, Review) == 0


# --- the queue --------------------------------------------------------------------------

def test_the_queue_is_oldest_first_with_filters_and_claiming(app, world):
    newer = world.ready_version("student", ready_minutes_ago=5)
    older = world.ready_version("other_student", ready_minutes_ago=60)
    queue = world.api.get("/api/v1/reviews/queue", headers=world.auth("mentor")).json["versions"]
    assert [e["version_id"] for e in queue] == [older, newer]
    assert queue[0]["student"]["name"] == "Other Student" and queue[0]["waiting_since"]

    claimed = world.api.post(f"/api/v1/versions/{newer}/claim", headers=world.auth("mentor"))
    assert claimed.status_code == 200 and claimed.json["state"] == "in_review"
    mine = world.api.get("/api/v1/reviews/queue?only=mine", headers=world.auth("mentor")).json["versions"]
    unassigned = world.api.get("/api/v1/reviews/queue?only=unassigned",
                                  headers=world.auth("mentor")).json["versions"]
    assert [e["version_id"] for e in mine] == [newer] and [e["version_id"] for e in unassigned] == [older]
    assert world.api.get("/api/v1/reviews/queue?only=nonsense",
                            headers=world.auth("mentor")).status_code == 422

    login(world.client, world.people["mentor"])
    page = world.client.get("/reviews").data.decode()
    assert page.index("Other Student") < page.index("Sleep well · Version 1</a>", page.index("Other Student") + 1)
    assert "Assign to me" in page


def test_the_queue_page_and_a_reviewed_submission_leaves_the_queue(app, world):
    version_id = world.ready_version()
    world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("mentor"),
                      json={"verdict": "approved", "summary": "", "answers": world.all_yes()})
    assert world.api.get("/api/v1/reviews/queue", headers=world.auth("mentor")).json["versions"] == []
    login(world.client, world.people["student"])
    assert world.client.get("/reviews").status_code == 404  # students have no queue


# --- safeguarding -----------------------------------------------------------------------

def test_escalation_raises_a_concern_for_leads_only_and_locks_the_submission(app, world):
    version_id = world.ready_version()
    escalated = world.api.post(f"/api/v1/versions/{version_id}/reviews", headers=world.auth("mentor"), json={
        "verdict": "escalated", "summary": "The student says they have hurt themselves.", "answers": []})
    assert escalated.status_code == 201
    assert _submission_state(app, version_id) is SubmissionState.ESCALATED
    from workshop.extensions import db

    with app.app_context():
        concern = db.session.scalar(db.select(SafeguardingConcern))
        notified = db.session.scalars(db.select(Notification).where(Notification.kind == "concern")).all()
        assert [n.user_id for n in notified] == [world.people["lead"].id]
        assert "hurt" not in str(notified[0].data)  # the notification (and its email) carries no details

    # The student sees no details and cannot upload; the API says why.
    login(world.client, world.people["student"])
    page = world.client.get(f"/versions/{version_id}").data.decode()
    assert "hurt themselves" not in page and "Your workshop lead is looking at this video" in page
    upload = world.api.post(f"/api/v1/assignments/{world.assignment.id}/versions",
                               data={"file": (__import__("io").BytesIO(b"x" * 100), "v2.mp4")},
                               headers=world.auth("student"))
    assert upload.status_code == 409 and upload.json["error"]["code"] == "submission_locked"
    assert "paused" in upload.json["error"]["message"]

    # Other cohorts' leads and students do not see concerns; the cohort's lead does, and the
    # mentor who raised it follows their own, in the list of what they raised.
    for who, status, listing in [("mentor", 200, 200), ("lead_b", 404, 404), ("student", 403, 403)]:
        world.client.post("/logout")
        login(world.client, world.people[who])
        assert world.client.get(f"/concerns/{concern.id}").status_code == status, who
        assert world.client.get(f"/cohorts/{world.a.id}/concerns").status_code == listing, who
    world.client.post("/logout")
    login(world.client, world.people["lead"])
    assert b"hurt themselves" in world.client.get(f"/concerns/{concern.id}").data
    assert world.client.post(f"/concerns/{concern.id}/resolve", data={"resolution": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(SafeguardingConcern, concern.id).state.value == "open"  # needs a resolution
    world.client.post(f"/concerns/{concern.id}/resolve",
                      data={"resolution": "Spoke with the student and guardian; counsellor involved."})
    assert _submission_state(app, version_id) is SubmissionState.CHANGES_REQUESTED
    with app.app_context():
        actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("concern.raised") == 1 and "concern.viewed" in actions and "concern.resolved" in actions


# --- the pages --------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_the_review_page_keeps_what_the_mentor_entered_when_approval_is_refused(app, world, language):
    version_id = world.ready_version()
    world.api.post(f"/api/v1/versions/{version_id}/comments", headers=world.auth("mentor"),
                      json={"body": "Private worry", "private": True})
    login(world.client, world.people["mentor"])
    world.client.post("/language", data={"locale": language, "next": "/"})
    page = world.client.get(f"/versions/{version_id}").data.decode()
    assert 'name="verdict"' in page and "Private worry" in page
    assert ("Checklist" if language == "en" else "Daftar periksa") in page
    first = world.checklist()[0]["id"]
    refused = world.client.post(f"/versions/{version_id}/review", data={
        "verdict": "approved", "summary": "Nice work, Budi", f"answer-{first}": "yes", f"note-{first}": "ok!"})
    assert refused.status_code == 422
    html = refused.data.decode()
    assert "Nice work, Budi" in html and 'value="ok!"' in html and "checked" in html
    assert _count(app, Review) == 0


def test_a_student_replies_on_the_page_and_never_sees_private_notes(app, world):
    version_id = world.ready_version()
    comment = world.api.post(f"/api/v1/versions/{version_id}/comments", headers=world.auth("mentor"),
                                json={"body": "Louder here please", "timecode_ms": 7000}).json
    world.api.post(f"/api/v1/versions/{version_id}/comments", headers=world.auth("mentor"),
                      json={"body": "Private worry", "private": True})
    login(world.client, world.people["student"])
    page = world.client.get(f"/versions/{version_id}").data.decode()
    assert "Louder here please" in page and "0:07" in page and "Private worry" not in page
    assert 'name="private"' not in page and 'name="verdict"' not in page
    replied = world.client.post(f"/versions/{version_id}/comments",
                                data={"body": "Done, thanks", "parent_id": str(comment["id"])})
    assert replied.status_code == 302 and replied.headers["Location"].endswith(f"#comment-{comment['id']}")
    assert "Done, thanks" in world.client.get(f"/versions/{version_id}").data.decode()
    # Another student of the cohort cannot open it at all.
    world.client.post("/logout")
    login(world.client, world.people["other_student"])
    assert world.client.get(f"/versions/{version_id}").status_code == 404


def test_earlier_versions_comments_stay_visible_and_versions_compare_side_by_side(app, world):
    v1 = world.ready_version(number=1)
    world.api.post(f"/api/v1/versions/{v1}/comments", headers=world.auth("mentor"),
                      json={"body": "Shaky camera at the start", "timecode_ms": 1000})
    v2 = world.ready_version(number=2)
    login(world.client, world.people["mentor"])
    page = world.client.get(f"/versions/{v2}").data.decode()
    assert "Comments on earlier versions" in page and "Shaky camera at the start" in page
    compare = world.client.get(f"/versions/{v2}/compare?with={v1}")
    assert compare.status_code == 200 and compare.data.count(b'class="synced"') == 2
    other = world.ready_version("other_student")
    assert world.client.get(f"/versions/{v2}/compare?with={other}").status_code == 404

"""What a lead does reaches their own cohort only: a person's data export and the erasure
after a consent withdrawal stop at the cohort's edge, whatever else the person belongs to.

Siti is a student of cohort A (videos, comments, consent, attendance, an escalation) and
also of cohort B, whose lead added her (the membership is made directly here).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from workshop.accounts.models import User
from workshop.audit.models import AuditEvent
from workshop.cohorts.models import Membership
from workshop.sessions.models import Attendance, WorkshopSession
from workshop.consent.models import Consent
from workshop.db_types import utcnow
from workshop.notifications.models import Notification
from workshop.review.models import Comment
from workshop.submissions.models import SubmissionState, Version, VersionState

from .helpers import login
from .test_consent import PDF, SITI, World

CONCERN = "CONCERN-41aa: bruises on her arm in the kitchen scene"
B = {"guardian_name": "Bapak Bima Wijaya", "guardian": "+6289977770001", "filename": "kota-kita-b.mov",
     "comment": "B-COMMENT: nice skyline", "reply": "B-REPLY: terima kasih kak"}
A_TRACES = (SITI["filename"], SITI["guardian"], SITI["guardian_e164"], SITI["guardian_name"], "Cohort A", "Suaranya pelan",
            "A-REPLY", "CONCERN-41aa", "A-SESSION")


def stored_version(make, assignment, student, filename) -> int:
    """A processed version of ``student`` in the assignment's cohort whose media really is in storage."""
    make.submission(assignment, student, state=SubmissionState.AWAITING_REVIEW)
    version = make.version(assignment, student, uploaded_by_id=student.id, original_filename=filename,
                           original_size=20, duration_s=12.0)
    return make.stored_files(version, {"original_key": ("original", b"ORIGINAL " + filename.encode()),
                                       "rendition_key": ("rendition.mp4", b"RENDITION " + filename.encode()),
                                       "poster_key": ("poster.jpg", b"POSTER")}).id


class TwoCohorts:
    def __init__(self, app, make, client):
        self.app = app
        self.w = w = World(app, make, client)
        self.assignment_b = make.assignment(w.b, title="Kota kita")
        self.mentor_b = make.user(name="Mentor Bayu", email="mentorb@karya.test")
        make.member(self.mentor_b, w.b, "mentor")
        make.member(w.siti, w.b, "student")

        # Cohort A: a video with comments, consent, an escalation, attendance.
        self.v_a = stored_version(make, w.assignment, w.siti, SITI["filename"])
        note = w.api.post(f"/api/v1/versions/{self.v_a}/comments", headers=w.token(w.mentor),
                          json={"body": "Suaranya pelan di awal.", "timecode_ms": 2000})
        assert note.status_code == 201, note.json
        reply = w.api.post(f"/api/v1/versions/{self.v_a}/comments", headers=w.token(w.siti),
                           json={"body": "A-REPLY: siap kak", "parent_id": note.json["id"]})
        assert reply.status_code == 201, reply.json
        assert w.record(w.siti).status_code == 302
        # B: the same for cohort B, through B's own people.
        self.v_b = stored_version(make, self.assignment_b, w.siti, B["filename"])
        note = w.api.post(f"/api/v1/versions/{self.v_b}/comments", headers=w.token(self.mentor_b),
                          json={"body": B["comment"], "timecode_ms": 1000})
        assert note.status_code == 201, note.json
        reply = w.api.post(f"/api/v1/versions/{self.v_b}/comments", headers=w.token(w.siti),
                           json={"body": B["reply"], "parent_id": note.json["id"]})
        assert reply.status_code == 201, reply.json
        # A review row as it was written before escalations kept their text in the concern only.
        make.review(make.row(Version, self.v_a), w.mentor, "escalated", CONCERN)
        for cohort, title in [(w.a, "A-SESSION storyboard"), (w.b, "B-SESSION editing")]:
            make.attendance(make.session(cohort, title, starts_in=-timedelta(days=1)), w.siti, "present")

    def as_(self, user):
        return self.w.as_(user)

    def record_in_b(self, given_on=None):
        return self.as_(self.w.lead_b).post(f"/cohorts/{self.w.b.id}/consent/new", data={
            "student_id": self.w.siti.id, "guardian_name": B["guardian_name"], "guardian_contact": B["guardian"],
            "given_on": given_on or utcnow().date().isoformat(), "evidence": (io.BytesIO(PDF), "form.pdf")},
            content_type="multipart/form-data")

    def consent_in(self, cohort) -> Consent:
        from workshop.extensions import db

        with self.app.app_context():
            consent = db.session.scalar(select(Consent).where(Consent.student_id == self.w.siti.id,
                                                              Consent.cohort_id == cohort.id)
                                        .order_by(Consent.id.desc()))
            db.session.expunge(consent)
            return consent

    def withdraw(self, lead, consent, day: str):
        return self.as_(lead).post(f"/consents/{consent.id}/withdraw", data={"withdrawn_on": day, "confirm": "yes"})


@pytest.fixture
def two(app, make, client):
    return TwoCohorts(app, make, client)


def _export(response):
    assert response.status_code == 200, response.data
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    return json.loads(archive.read("data.json")), everything, archive.namelist()


def _keys(app, version_id: int) -> list[str]:
    from workshop.extensions import db

    with app.app_context():
        version = db.session.get(Version, version_id)
        keys = [version.original_key, version.rendition_key, version.poster_key]
    assert all(keys)
    return keys


# --- the export ------------------------------------------------------------------------

def test_a_leads_export_holds_only_their_cohorts_part_of_a_person(app, two):
    w = two.w
    assert two.record_in_b().status_code == 302
    data, everything, names = _export(two.as_(w.lead_b).get(f"/cohorts/{w.b.id}/people/{w.siti.id}/export.zip"))
    for trace in A_TRACES:
        assert trace.encode() not in everything, trace
    assert set(data["profile"]) == {"id", "name", "email", "minor"}
    assert [m["cohort_id"] for m in data["memberships"]] == [w.b.id]
    assert [(c["cohort_id"], c["guardian_contact"]) for c in data["consents"]] == [(w.b.id, B["guardian"])]
    assert [s["cohort_id"] for s in data["submissions"]] == [w.b.id]
    assert [c["body"] for c in data["comments_written"]] == [B["reply"]]
    assert [c["body"] for c in data["comments_on_my_work"]] == [B["comment"]]
    assert [a["session"] for a in data["attendance"]] == ["B-SESSION editing"]
    assert b"RENDITION " + B["filename"].encode() in everything
    assert len([n for n in names if n.startswith("media/")]) == 2


def test_cohort_a_leads_export_leaves_out_cohort_b(app, two):
    w = two.w
    assert two.record_in_b().status_code == 302
    data, everything, _names = _export(two.as_(w.lead).get(f"/cohorts/{w.a.id}/people/{w.siti.id}/export.zip"))
    for trace in (B["filename"], B["guardian"], B["guardian_name"], B["comment"], B["reply"], "Cohort B",
                  "B-SESSION", CONCERN):
        assert trace.encode() not in everything, trace
    assert [s["cohort_id"] for s in data["submissions"]] == [w.a.id]
    assert [c["guardian_contact"] for c in data["consents"]] == [SITI["guardian_e164"]]


def test_the_persons_own_export_holds_all_of_theirs_but_no_concern(app, two):
    w = two.w
    assert two.record_in_b().status_code == 302
    data, everything, _names = _export(two.as_(w.siti).get("/me/export.zip"))
    assert sorted(s["cohort_id"] for s in data["submissions"]) == sorted([w.a.id, w.b.id])
    assert data["profile"]["guardian_contact"] == SITI["guardian"]
    assert sorted(c["guardian_contact"] for c in data["consents"]) == sorted([SITI["guardian_e164"], B["guardian"]])
    assert {a["session"] for a in data["attendance"]} == {"A-SESSION storyboard", "B-SESSION editing"}
    assert CONCERN.encode() not in everything


def test_another_cohorts_guardian_contact_is_not_offered_on_the_consent_form(app, two):
    w = two.w
    page = two.as_(w.lead_b).get(f"/cohorts/{w.b.id}/consent/new?student_id={w.siti.id}")
    assert page.status_code == 200
    assert SITI["guardian"] not in page.get_data(as_text=True)
    assert SITI["guardian_e164"] not in page.get_data(as_text=True)
    # Cohort A recorded it with its own consent: its lead is offered it again.
    page = two.as_(w.lead).get(f"/cohorts/{w.a.id}/consent/new?student_id={w.siti.id}")
    assert SITI["guardian_e164"] in page.get_data(as_text=True)


# --- the erasure -----------------------------------------------------------------------

def test_a_backdated_withdrawal_in_b_erases_only_bs_data_after_a_grace_from_recording(app, two):
    from workshop.consent.deletion import delete_due_data
    from workshop.extensions import db

    w = two.w
    assert two.record_in_b(given_on="2020-01-01").status_code == 302
    consent_b = two.consent_in(w.b)
    before = utcnow()
    assert two.withdraw(w.lead_b, consent_b, "2020-01-02").status_code == 302
    due = two.consent_in(w.b).deletion_due_at
    assert before + timedelta(days=14) <= due <= utcnow() + timedelta(days=14)
    a_keys, b_keys = _keys(app, two.v_a), _keys(app, two.v_b)

    with app.app_context():
        assert delete_due_data() == []  # the typed date is long past; the grace period is not
        assert delete_due_data(now=due - timedelta(minutes=1)) == []
        assert delete_due_data(now=due + timedelta(minutes=1)) == [w.siti.id]

        # Cohort B: her work, comments, attendance, consent details and membership are gone.
        assert db.session.get(Version, two.v_b).state is VersionState.FAILED
        assert db.session.get(Version, two.v_b).original_filename == ""
        assert db.session.scalar(select(Comment.body).where(Comment.cohort_id == w.b.id,
                                                            Comment.author_id == w.siti.id)) == "—"
        assert db.session.scalar(select(Membership).where(Membership.user_id == w.siti.id,
                                                          Membership.cohort_id == w.b.id)) is None
        assert db.session.get(Consent, consent_b.id).guardian_contact == ""
        sessions_b = select(WorkshopSession.id).where(WorkshopSession.cohort_id == w.b.id)
        assert db.session.scalar(select(Attendance).where(Attendance.user_id == w.siti.id,
                                                          Attendance.session_id.in_(sessions_b))) is None

        # Cohort A: everything stands, and the account with it.
        siti = db.session.get(User, w.siti.id)
        assert siti.deleted_at is None and siti.name == SITI["name"] and siti.guardian_contact == SITI["guardian"]
        assert db.session.get(Version, two.v_a).state is VersionState.READY
        assert db.session.get(Version, two.v_a).original_filename == SITI["filename"]
        assert db.session.scalar(select(Comment.body).where(Comment.cohort_id == w.a.id,
                                                            Comment.author_id == w.siti.id)) == "A-REPLY: siap kak"
        assert db.session.scalar(select(Membership).where(Membership.user_id == w.siti.id,
                                                          Membership.cohort_id == w.a.id)) is not None
        consent_a = db.session.get(Consent, two.consent_in(w.a).id)
        assert consent_a.withdrawn_at is None and consent_a.guardian_contact == SITI["guardian_e164"]
        assert consent_a.evidence_key
        sessions_a = select(WorkshopSession.id).where(WorkshopSession.cohort_id == w.a.id)
        assert db.session.scalar(select(Attendance).where(Attendance.user_id == w.siti.id,
                                                          Attendance.session_id.in_(sessions_a))) is not None

        # Only B hears of it: its audit log and its lead; A's log and lead see nothing.
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.data_deleted")).all()
        assert [(e.cohort_id, e.data["account_erased"]) for e in events] == [(w.b.id, False)]
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "data_deleted")).all()
        assert told == [w.lead_b.id]
    with app.app_context():
        from workshop.media.storage import get_storage

        assert all(get_storage().exists(key) for key in a_keys)
        assert not any(get_storage().exists(key) for key in b_keys)
    assert login(w.client, w.siti)  # she still signs in, for cohort A
    listing = two.as_(w.lead_b).get(f"/cohorts/{w.b.id}/consent").get_data(as_text=True)
    assert "Data deleted" in listing and B["guardian"] not in listing
    bell = two.as_(w.lead_b).get("/notifications").get_data(as_text=True)
    assert "Cohort B" in bell and "withdrew consent" in bell


def test_the_account_goes_when_its_last_membership_does_and_every_touched_cohort_is_told(app, two):
    from workshop.consent.deletion import delete_due_data
    from workshop.extensions import db

    w = two.w
    assert two.record_in_b().status_code == 302
    assert two.withdraw(w.lead_b, two.consent_in(w.b), utcnow().date().isoformat()).status_code == 302
    later = utcnow() + timedelta(days=15)
    a_keys = _keys(app, two.v_a)
    with app.app_context():
        assert delete_due_data(now=later) == [w.siti.id]
        assert db.session.get(User, w.siti.id).deleted_at is None  # A's membership remains
    assert two.withdraw(w.lead, two.consent_in(w.a), utcnow().date().isoformat()).status_code == 302
    with app.app_context():
        assert delete_due_data(now=later) == [w.siti.id]
        siti = db.session.get(User, w.siti.id)
        assert siti.deleted_at is not None and siti.name == "Deleted person"
        assert db.session.get(Version, two.v_a).state is VersionState.FAILED
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.data_deleted")
                                    .order_by(AuditEvent.id)).all()
        assert (w.a.id, True) in [(e.cohort_id, e.data["account_erased"]) for e in events]
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "data_deleted")))
        assert w.lead.id in told
    with app.app_context():
        from workshop.media.storage import get_storage

        assert not any(get_storage().exists(key) for key in a_keys)


def test_withdrawal_and_consent_dates_are_checked(app, two):
    w = two.w
    assert two.record_in_b(given_on=(utcnow() + timedelta(days=3)).date().isoformat()).status_code == 422
    assert two.record_in_b(given_on="2024-03-10").status_code == 302
    consent = two.consent_in(w.b)
    early = two.withdraw(w.lead_b, consent, "2024-03-09")
    assert early.status_code == 422 and "before consent was given" in early.get_data(as_text=True)
    future = two.withdraw(w.lead_b, consent, (utcnow() + timedelta(days=2)).date().isoformat())
    assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
    assert two.consent_in(w.b).withdrawn_at is None
    # In Indonesian too.
    client = two.as_(w.lead_b)
    client.post("/language", data={"locale": "id"})
    early = client.post(f"/consents/{consent.id}/withdraw", data={"withdrawn_on": "2024-03-09", "confirm": "yes"})
    assert early.status_code == 422 and "sebelum persetujuan diberikan" in early.get_data(as_text=True)

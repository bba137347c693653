"""Guardian consent: recording it with evidence, the "consent missing" flag,
deletion after a withdrawal with a clock the test controls, and a person's data export."""

from __future__ import annotations

import io
import json
import struct
import threading
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from workshop.accounts.models import User
from workshop.audit.models import AuditEvent
from workshop.consent.models import Consent
from workshop.db_types import utcnow
from workshop.submissions.models import Submission, SubmissionState, Version, VersionState

from .helpers import PASSWORD, bearer, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SITI = {"name": "Siti Rahmawati", "email": "siti.rahmawati@karya.test", "guardian": "+62 812 5550 1234",
        "guardian_e164": "+6281255501234", "phone": "+6281377778888",
        "guardian_name": "Ibu Kartini Rahmawati", "filename": "siti-liburan-keluarga.mov"}


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def png_bomb(side=20_000) -> bytes:
    """A real decompression bomb: a 1-bit PNG of side × side blank pixels, a few tens of KB on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\0" * (1 + side // 8)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


class World:
    """Cohort A: a lead, a mentor, two minors (Siti, Budi) and an adult student; cohort B: its own lead."""

    def __init__(self, app, make, client):
        self.app, self.client, self.api, self.make = app, client, app.test_client(), make
        self.a, self.b = make.cohort(name="Cohort A"), make.cohort(name="Cohort B")
        self.lead = make.user(name="Lead Ana", email="lead@karya.test")
        self.mentor = make.user(name="Mentor Mira", email="mentor@karya.test")
        self.siti = make.user(name=SITI["name"], email=SITI["email"], is_minor=True, birth_year=2010,
                              guardian_contact=SITI["guardian"], phone=SITI["phone"], whatsapp_opt_in=True)
        self.budi = make.user(name="Budi Santoso", email="budi@karya.test", is_minor=True, birth_year=2011,
                              guardian_contact="+62 811 0000 999")
        self.adult = make.user(name="Dewi Lestari", email="dewi@karya.test", is_minor=False)
        self.lead_b = make.user(name="Lead Bima", email="leadb@karya.test")
        for user, role in [(self.lead, "lead"), (self.mentor, "mentor"), (self.siti, "student"),
                           (self.budi, "student"), (self.adult, "student")]:
            make.member(user, self.a, role)
        make.member(self.lead_b, self.b, "lead")
        self.assignment = make.assignment(self.a, title="Tidur cukup!")

    def as_(self, user):
        self.client.post("/logout")
        login(self.client, user)
        return self.client

    def token(self, user) -> dict:
        response = self.api.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
        return bearer(response.json["token"])

    def stored_version(self, student, number=1, filename="clip.mov") -> int:
        """A processed version whose media really is in storage (as the media job leaves it)."""
        make = self.make
        make.submission(self.assignment, student, state=SubmissionState.AWAITING_REVIEW)
        version = make.version(self.assignment, student, number, uploaded_by_id=student.id,
                               original_filename=filename, original_size=20, duration_s=12.0,
                               probe={"format": {"filename": filename}},
                               checks=[{"name": "loudness", "status": "warn", "detail_code": "too_quiet",
                                        "params": {"lufs": -34.2}}])
        return make.stored_files(version, {
            "original_key": ("original", b"ORIGINAL " + filename.encode()),
            "rendition_key": ("rendition.mp4", b"RENDITION"), "poster_key": ("poster.jpg", b"POSTER"),
            "storyboard_key": ("storyboard.jpg", b"SPRITE"), "storyboard_vtt_key": ("storyboard.vtt", b"WEBVTT"),
        }).id

    def record(self, student, evidence=PDF, filename="form.pdf", given_on=None, guardian_name=None,
               cohort=None):
        return self.as_(self.lead).post(f"/cohorts/{(cohort or self.a).id}/consent/new", data={
            "student_id": student.id,
            "guardian_name": guardian_name or (SITI["guardian_name"] if student.id == self.siti.id else "Bapak Santoso"),
            "guardian_contact": SITI["guardian"] if student.id == self.siti.id else "+62 811 0000 999",
            "given_on": given_on or utcnow().date().isoformat(),
            "evidence": (io.BytesIO(evidence), filename)}, content_type="multipart/form-data")

    def consent(self, student) -> Consent:
        from workshop.extensions import db

        with self.app.app_context():
            consent = db.session.scalar(select(Consent).where(Consent.student_id == student.id)
                                        .order_by(Consent.id.desc()))
            db.session.expunge(consent)
            return consent


@pytest.fixture
def world(app, make, client):
    return World(app, make, client)


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()]


def rows_as_text(app) -> str:
    """Every row of every table, as text: where personal data would show if any were left."""
    from workshop.extensions import db

    with app.app_context():
        chunks = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).mappings():
                chunks.append(f"{table.name}: " + json.dumps({k: str(v) for k, v in row.items()},
                                                              ensure_ascii=False))
        return "\n".join(chunks).lower()


# --- recording consent -------------------------------------------------------------------

def test_a_lead_records_consent_with_a_pdf_or_png_kept_under_a_key_karya_made(app, world):
    response = world.record(world.siti, PDF, filename="../../../etc/evil name.pdf")
    assert response.status_code == 302, response.data
    response = world.record(world.budi, png_bytes(), filename="photo.jpeg")  # the name lies; the bytes decide
    assert response.status_code == 302, response.data

    siti, budi = world.consent(world.siti), world.consent(world.budi)
    assert siti.evidence_key == f"consents/{siti.id}/evidence.pdf"
    assert budi.evidence_key == f"consents/{budi.id}/evidence.png"
    assert siti.guardian_name == SITI["guardian_name"] and siti.guardian_contact == SITI["guardian_e164"]
    assert siti.recorded_by_id == world.lead.id and siti.withdrawn_at is None
    root = Path(app.config["MEDIA_ROOT"])
    assert (root / siti.evidence_key).read_bytes() == PDF
    assert not any("evil" in str(p) for p in root.rglob("*"))

    download = world.client.get(f"/consents/{siti.id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert world.client.get(f"/consents/{budi.id}/evidence").mimetype == "image/png"

    listing = world.client.get(f"/cohorts/{world.a.id}/consent").get_data(as_text=True)
    assert SITI["guardian_name"] in listing and "Budi Santoso" in listing
    in_indonesian = world.client.get(f"/cohorts/{world.a.id}/consent", headers={"Accept-Language": "id"})
    assert "Persetujuan orang tua/wali" in in_indonesian.get_data(as_text=True)
    assert "Dewi Lestari" not in listing  # adults need no guardian consent
    from workshop.extensions import db

    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("consent.recorded") == 2 and actions.count("consent.evidence_viewed") == 2


@pytest.mark.parametrize("payload, filename, message", [
    (b"Hello, this is a letter, not a PDF at all.\n", "consent.pdf", "is not a PDF, JPEG or PNG"),
    (png_bomb(), "scan.png", "far too large in pixels"),
    (PDF[:-7], "cut-short.pdf", "incomplete or damaged"),
    (b"", "empty.pdf", "The file is empty"),
])
def test_evidence_that_is_not_what_it_claims_is_refused_and_the_form_keeps_what_was_typed(
        app, world, payload, filename, message):
    before = set(media_files(app))
    response = world.record(world.siti, payload, filename=filename, guardian_name="Pak Joko Widodo")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Pak Joko Widodo"' in page and f'value="{SITI["guardian"]}"' in page
    assert f'<option value="{world.siti.id}" selected>' in page
    from workshop.extensions import db

    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Consent)) == 0
    assert set(media_files(app)) == before  # nothing kept, not even the temporary copy


def test_a_guardian_contact_that_is_neither_a_phone_number_nor_an_email_is_refused_on_its_field(app, world):
    client = world.as_(world.lead)
    for typed, message in (("0812 34", "is not a valid phone number"), ("ibu@", "is not a valid email address")):
        response = client.post(f"/cohorts/{world.a.id}/consent/new", data={
            "student_id": world.siti.id, "guardian_name": "Pak Joko Widodo", "guardian_contact": typed,
            "given_on": utcnow().date().isoformat(), "evidence": (io.BytesIO(PDF), "form.pdf")},
            content_type="multipart/form-data")
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page
        assert f'value="{typed}" aria-invalid="true"' in page and 'value="Pak Joko Widodo"' in page
    from workshop.extensions import db

    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Consent)) == 0


def test_a_lead_records_that_the_guardian_wants_no_whatsapp_messages(app, world):
    client = world.as_(world.lead)
    assert "guardian_no_whatsapp" not in client.get(f"/cohorts/{world.a.id}/consent/new").get_data(as_text=True)
    app.config["WHATSAPP_PRINT"] = True  # WhatsApp is on: the form offers the choice
    try:
        assert "guardian_no_whatsapp" in client.get(f"/cohorts/{world.a.id}/consent/new").get_data(as_text=True)
        response = client.post(f"/cohorts/{world.a.id}/consent/new", data={
            "student_id": world.siti.id, "guardian_name": "Pak Joko Widodo", "guardian_contact": "0812 5550 1234",
            "guardian_no_whatsapp": "y", "given_on": utcnow().date().isoformat(),
            "evidence": (io.BytesIO(PDF), "form.pdf")}, content_type="multipart/form-data")
    finally:
        app.config["WHATSAPP_PRINT"] = False
    assert response.status_code == 302
    consent = world.consent(world.siti)
    assert consent.guardian_whatsapp_opt_out is True and consent.guardian_contact == "+6281255501234"
    assert world.record(world.budi).status_code == 302
    assert world.consent(world.budi).guardian_whatsapp_opt_out is False


def test_evidence_larger_than_the_limit_is_refused_with_the_limit_named(app, world):
    from workshop.consent.evidence import MAX_BYTES

    before = set(media_files(app))
    response = world.record(world.siti, PDF[:-6] + b"\0" * MAX_BYTES + b"%%EOF\n")
    assert response.status_code == 422 and "larger than 10 MB" in response.get_data(as_text=True)
    assert set(media_files(app)) == before


def test_consent_is_refused_for_adults_other_cohorts_students_future_dates_and_twice(app, world, make):
    stranger = make.user(name="Outsider", is_minor=True)
    make.member(stranger, world.b, "student")
    for student, given_on, expected in [(world.adult, None, "who is under 18"),
                                        (stranger, None, "who is under 18"),
                                        (world.siti, (utcnow() + timedelta(days=3)).date().isoformat(),
                                         "cannot be in the future"),
                                        (world.siti, "31/12/2024", "YYYY-MM-DD")]:
        response = world.record(student, given_on=given_on)
        assert response.status_code == 422 and expected in response.get_data(as_text=True)
    assert world.record(world.siti).status_code == 302
    again = world.record(world.siti)
    assert again.status_code == 409 and "already has consent on file" in again.get_data(as_text=True)


# --- the flag ----------------------------------------------------------------------------

def test_the_consent_missing_flag_follows_consent_and_never_reaches_students_or_adults(app, world):
    from workshop.consent.service import consent_missing, consent_missing_among

    siti_v = world.stored_version(world.siti)
    adult_v = world.stored_version(world.adult)

    def flagged(user, version_id) -> bool:
        return "Consent missing" in world.as_(user).get(f"/versions/{version_id}").get_data(as_text=True)

    def in_queue() -> str:
        return world.as_(world.mentor).get("/reviews").get_data(as_text=True)

    with app.app_context():
        assert consent_missing(world.siti.id, world.a.id)
        assert not consent_missing(world.adult.id, world.a.id)
        assert consent_missing_among([(world.siti.id, world.a.id), (world.adult.id, world.a.id),
                                      (world.budi.id, world.a.id)]) == {(world.siti.id, world.a.id),
                                                                        (world.budi.id, world.a.id)}
    assert flagged(world.mentor, siti_v) and flagged(world.lead, siti_v)
    assert in_queue().count("Consent missing") == 1
    assert not flagged(world.siti, siti_v)  # the student never sees it
    assert not flagged(world.mentor, adult_v)

    assert world.record(world.siti).status_code == 302
    assert not flagged(world.mentor, siti_v) and "Consent missing" not in in_queue()
    with app.app_context():
        assert not consent_missing(world.siti.id, world.a.id)
        assert consent_missing(world.siti.id, world.b.id)  # consent is per cohort

    consent = world.consent(world.siti)
    world.as_(world.lead).post(f"/consents/{consent.id}/withdraw",
                               data={"withdrawn_on": utcnow().date().isoformat(), "confirm": "yes"})
    assert flagged(world.mentor, siti_v) and in_queue().count("Consent missing") == 1
    assert not flagged(world.siti, siti_v)


# --- withdrawal and deletion -------------------------------------------------------------

def _siti_leaves_traces_everywhere(app, world) -> tuple[int, int]:
    """Siti's work as the real flows leave it: versions with media, comments and replies,
    notifications to the mentor naming her, an API token, an unfinished upload, an invite."""
    from workshop.extensions import db
    from workshop.submissions.service import announce_ready

    v1 = world.stored_version(world.siti, 1, filename=SITI["filename"])
    v2 = world.stored_version(world.siti, 2, filename=SITI["filename"])
    budi_v = world.stored_version(world.budi, 1, filename="budi-tugas.mp4")
    with app.app_context():
        announce_ready(db.session.get(Version, v2))
        db.session.commit()
    siti_api, mentor_api = world.token(world.siti), world.token(world.mentor)
    note = world.api.post(f"/api/v1/versions/{v1}/comments", headers=mentor_api,
                          json={"body": "Suaranya terlalu pelan di awal.", "timecode_ms": 3000})
    assert note.status_code == 201, note.json
    reply = world.api.post(f"/api/v1/versions/{v1}/comments", headers=siti_api,
                           json={"body": "Baik kak, saya rekam ulang di kamar Siti.", "parent_id": note.json["id"]})
    assert reply.status_code == 201, reply.json
    upload = world.api.post("/api/v1/uploads", headers={
        **siti_api, "Tus-Resumable": "1.0.0", "Upload-Length": "10",
        "Upload-Metadata": f"assignment_id {_b64(world.assignment.id)},filename {_b64(SITI['filename'])}"})
    assert upload.status_code == 201, upload.data
    with app.app_context():
        from workshop.invitations.service import create_invite
        from workshop.cohorts.models import Cohort
        from workshop.roles import Role

        create_invite(db.session.get(Cohort, world.b.id), SITI["email"], Role.STUDENT, None)
        db.session.commit()
    assert world.record(world.siti, png_bytes()).status_code == 302
    assert world.record(world.budi, PDF).status_code == 302
    return v1, v2, budi_v, upload.headers["Location"].rsplit("/", 1)[1]


def _days_ago(days: int) -> str:
    return (utcnow() - timedelta(days=days)).date().isoformat()


def _b64(value) -> str:
    import base64

    return base64.b64encode(str(value).encode()).decode()


def test_withdrawal_asks_for_confirmation_then_deletes_everything_of_that_student_after_the_grace_period(
        app, world):
    from workshop.consent.deletion import delete_due_data
    from workshop.extensions import db
    from workshop.media.storage import get_storage

    v1, v2, budi_v, upload_id = _siti_leaves_traces_everywhere(app, world)
    upload_folder = Path(app.config["MEDIA_ROOT"]) / "uploads" / upload_id
    assert upload_folder.is_dir()
    with app.app_context():
        siti_keys = [k for v in db.session.scalars(select(Version).join(Submission).where(
            Submission.student_id == world.siti.id)) for k in (v.original_key, v.rendition_key, v.poster_key,
                                                              v.storyboard_key, v.storyboard_vtt_key)]
        siti_keys.append(world.consent(world.siti).evidence_key)
    budi_files_before = {p for p in media_files(app) if f"versions/{budi_v}/" in p.as_posix()}
    assert len(budi_files_before) == 5
    text = rows_as_text(app)
    for trace in (SITI["name"], SITI["email"], SITI["guardian"], SITI["guardian_e164"], SITI["phone"],
                  SITI["guardian_name"], SITI["filename"]):
        assert trace.lower() in text  # the search below can find them

    consent = world.consent(world.siti)
    client = world.as_(world.lead)
    today = utcnow().date().isoformat()
    confirm = client.post(f"/consents/{consent.id}/withdraw", data={"withdrawn_on": today})
    assert confirm.status_code == 200 and "This cannot be undone" in confirm.get_data(as_text=True)
    assert world.consent(world.siti).withdrawn_at is None  # nothing happens before the confirmation
    before = utcnow()
    done = client.post(f"/consents/{consent.id}/withdraw", data={"withdrawn_on": today, "confirm": "yes"})
    assert done.status_code == 302
    withdrawn = world.consent(world.siti)
    # The grace period runs from when the withdrawal was recorded.
    assert before + timedelta(days=14) <= withdrawn.deletion_due_at <= utcnow() + timedelta(days=14)
    listing = client.get(f"/cohorts/{world.a.id}/consent").get_data(as_text=True)
    assert "Withdrawn" in listing

    with app.app_context():
        assert delete_due_data(now=withdrawn.deletion_due_at - timedelta(minutes=1)) == []
        assert all(get_storage().exists(key) for key in siti_keys)
        assert delete_due_data(now=withdrawn.deletion_due_at + timedelta(minutes=1)) == [world.siti.id]
        storage = get_storage()
        assert not any(storage.exists(key) for key in siti_keys)
        assert delete_due_data(now=withdrawn.deletion_due_at + timedelta(days=1)) == []  # idempotent
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.data_deleted")).all()
        # Cohort B only held an invitation for Siti's address; it goes with her account, and B is told too.
        assert sorted(e.cohort_id for e in events) == sorted([world.a.id, world.b.id])
        assert all(e.data["student_id"] == world.siti.id and e.data["account_erased"] for e in events)

    # No file of Siti's anywhere under MEDIA_ROOT; Budi's files are all still there.
    remaining = media_files(app)
    assert {p for p in remaining if f"versions/{budi_v}/" in p.as_posix()} == budi_files_before
    assert not [p for p in remaining if f"versions/{v1}/" in p.as_posix() or f"versions/{v2}/" in p.as_posix()]
    assert not [p for p in remaining if f"consents/{withdrawn.id}/" in p.as_posix()]
    assert not upload_folder.exists()

    # No personal data of Siti's in any row of any table; Budi's is untouched.
    text = rows_as_text(app)
    for trace in (SITI["name"], SITI["email"], SITI["guardian"], SITI["guardian_e164"], SITI["phone"],
                  SITI["guardian_name"], SITI["filename"], "kamar siti"):
        assert trace.lower() not in text, trace
    assert "budi santoso" in text and "budi-tugas.mp4" in text and "suaranya terlalu pelan" in text
    with app.app_context():
        siti = db.session.get(User, world.siti.id)
        assert siti.name == "Deleted person" and siti.deleted_at is not None and siti.birth_year is None
        assert db.session.get(Version, budi_v).state is VersionState.READY
        # The audit log keeps what Siti did, but not the addresses she did it from.
        acted = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == world.siti.id)).all()
        assert acted and all(event.ip is None for event in acted)
    assert world.api.post("/api/v1/tokens", json={"email": SITI["email"], "password": PASSWORD}).status_code == 401
    page = world.as_(world.mentor).get(f"/versions/{v1}")
    assert page.status_code == 200 and SITI["name"] not in page.get_data(as_text=True)


def test_recording_consent_again_in_the_grace_period_cancels_the_deletion(app, world):
    from workshop.consent.deletion import delete_due_data

    world.stored_version(world.siti)
    assert world.record(world.siti).status_code == 302
    consent = world.consent(world.siti)
    world.as_(world.lead).post(f"/consents/{consent.id}/withdraw",
                               data={"withdrawn_on": utcnow().date().isoformat(), "confirm": "yes"})
    assert world.record(world.siti).status_code == 302
    with app.app_context():
        assert delete_due_data(now=utcnow() + timedelta(days=30)) == []
    assert world.consent(world.siti).withdrawn_at is None  # the new, active one
    assert SITI["name"].lower() in rows_as_text(app)


def test_a_withdrawal_cannot_be_in_the_future_nor_recorded_twice(app, world):
    assert world.record(world.siti).status_code == 302
    consent = world.consent(world.siti)
    client = world.as_(world.lead)
    future = (utcnow() + timedelta(days=5)).date().isoformat()
    response = client.post(f"/consents/{consent.id}/withdraw", data={"withdrawn_on": future, "confirm": "yes"})
    assert response.status_code == 422 and "cannot be in the future" in response.get_data(as_text=True)
    assert f'value="{future}"' in response.get_data(as_text=True)
    client.post(f"/consents/{consent.id}/withdraw",
                data={"withdrawn_on": utcnow().date().isoformat(), "confirm": "yes"})
    again = client.post(f"/consents/{consent.id}/withdraw", follow_redirects=True,
                        data={"withdrawn_on": utcnow().date().isoformat(), "confirm": "yes"})
    assert "already been withdrawn" in again.get_data(as_text=True)


def test_two_workers_never_erase_the_same_student_twice(app, world):
    from workshop.consent import deletion, service
    from workshop.extensions import db

    world.stored_version(world.siti)
    assert world.record(world.siti, given_on=_days_ago(40)).status_code == 302
    with app.app_context():
        consent = db.session.get(Consent, world.consent(world.siti).id)
        service.withdraw(consent, withdrawn_at=utcnow() - timedelta(days=20))
        db.session.commit()
        seen = consent.deletion_due_at
        lease = utcnow() + deletion.CLAIM_LEASE
        # Two workers that both read the row before either claimed it: one wins.
        assert deletion._claim(consent.id, seen, lease) is True
        assert deletion._claim(consent.id, seen, lease) is False
        deletion._release(consent.id, seen)
    after_grace = seen + timedelta(minutes=1)

    results, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(deletion.delete_due_data(now=after_grace))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results, key=len) == [[], [world.siti.id]]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.data_deleted")) == 1


def test_deletion_waits_while_a_worker_is_processing_one_of_the_students_versions(app, world):
    from workshop.consent import deletion, service
    from workshop.extensions import db

    version_id = world.stored_version(world.siti)
    assert world.record(world.siti, given_on=_days_ago(40)).status_code == 302
    with app.app_context():
        db.session.get(Version, version_id).state = VersionState.PROCESSING
        consent = db.session.get(Consent, world.consent(world.siti).id)
        service.withdraw(consent, withdrawn_at=utcnow() - timedelta(days=20))
        db.session.commit()
        due = consent.deletion_due_at
        assert deletion.delete_due_data(now=due + timedelta(minutes=1)) == []
        db.session.expire_all()
        assert db.session.get(Consent, consent.id).deletion_due_at == due  # released for the next run
        db.session.get(Version, version_id).state = VersionState.READY
        db.session.commit()
        assert deletion.delete_due_data(now=due + timedelta(minutes=1)) == [world.siti.id]


def test_the_deletion_chore_runs_in_every_worker(app):
    from workshop import housekeeping

    chore = next(c for c in housekeeping.chores() if c.name == "consent deletion")
    assert chore.every_key == "CONSENT_DELETION_EVERY_S" and app.config[chore.every_key] == 3600
    assert app.config["DATA_DELETION_GRACE_DAYS"] == 14


# --- export ------------------------------------------------------------------------------

def test_a_student_exports_their_data_and_media_without_private_notes(app, world):
    version_id = world.stored_version(world.siti, filename=SITI["filename"])
    assert world.record(world.siti).status_code == 302
    mentor_api, siti_api = world.token(world.mentor), world.token(world.siti)
    comment = world.api.post(f"/api/v1/versions/{version_id}/comments", headers=mentor_api,
                             json={"body": "Bagus, tambahkan sumber.", "timecode_ms": 4000})
    world.api.post(f"/api/v1/versions/{version_id}/comments", headers=mentor_api,
                   json={"body": "PRIVATE: check with the counsellor", "private": True})
    world.api.post(f"/api/v1/versions/{version_id}/comments", headers=siti_api,
                   json={"body": "Terima kasih!", "parent_id": comment.json["id"]})
    world.stored_version(world.budi, filename="budi-tugas.mp4")

    response = world.as_(world.siti).get("/me/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["name"] == SITI["name"] and data["profile"]["email"] == SITI["email"]
    assert data["profile"]["guardian_contact"] == SITI["guardian"] and data["profile"]["birth_year"] == 2010
    assert (data["profile"]["phone"], data["profile"]["whatsapp"]) == (SITI["phone"], True)
    assert [(m["cohort"], m["role"]) for m in data["memberships"]] == [("Cohort A", "student")]
    assert data["consents"][0]["guardian_name"] == SITI["guardian_name"]
    assert data["consents"][0]["evidence_on_file"] is True
    [submission] = data["submissions"]
    [version] = submission["versions"]
    assert submission["assignment"] == "Tidur cukup!" and version["original_filename"] == SITI["filename"]
    assert version["checks"][0]["name"] == "loudness" and version["checks"][0]["status"] == "warn"
    assert version["files"] == {"original": f"media/{world.assignment.id}-tidur-cukup/v1-{SITI['filename']}",
                                "rendition": f"media/{world.assignment.id}-tidur-cukup/v1.mp4"}
    assert archive.read(version["files"]["original"]) == b"ORIGINAL " + SITI["filename"].encode()
    assert archive.read(version["files"]["rendition"]) == b"RENDITION"
    assert [c["body"] for c in data["comments_written"]] == ["Terima kasih!"]
    assert [c["body"] for c in data["comments_on_my_work"]] == ["Bagus, tambahkan sumber."]
    everything = b"".join(archive.read(name) for name in names)
    assert b"PRIVATE" not in everything and b"budi" not in everything.lower()
    assert len(names) == 3
    from workshop.extensions import db

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data.exported"))
        assert event.actor_id == world.siti.id and event.target_id == world.siti.id


def test_leads_export_a_member_of_their_cohort_and_nobody_else_can(app, world, make):
    world.stored_version(world.budi)
    outsider = make.user(name="Not a member")
    ok = world.as_(world.lead).get(f"/cohorts/{world.a.id}/people/{world.budi.id}/export.zip")
    assert ok.status_code == 200
    assert json.loads(zipfile.ZipFile(io.BytesIO(ok.data)).read("data.json"))["profile"]["name"] == "Budi Santoso"
    assert world.client.get(f"/cohorts/{world.a.id}/people/{outsider.id}/export.zip").status_code == 404
    assert world.as_(world.mentor).get(
        f"/cohorts/{world.a.id}/people/{world.budi.id}/export.zip").status_code == 403
    assert world.as_(world.lead_b).get(
        f"/cohorts/{world.a.id}/people/{world.budi.id}/export.zip").status_code == 404
    assert world.as_(world.siti).get(
        f"/cohorts/{world.a.id}/people/{world.budi.id}/export.zip").status_code == 403
    world.client.post("/logout")
    assert world.client.get("/me/export.zip").status_code in (302, 401)


# --- who may open the consent pages ------------------------------------------------------

def test_only_the_cohorts_leads_reach_the_consent_pages(app, world):
    assert world.record(world.siti).status_code == 302
    consent = world.consent(world.siti)
    pages = [f"/cohorts/{world.a.id}/consent", f"/cohorts/{world.a.id}/consent/new",
             f"/consents/{consent.id}/evidence", f"/consents/{consent.id}/withdraw"]
    for path in pages:
        assert world.as_(world.lead).get(path).status_code == 200, path
        assert world.as_(world.mentor).get(path).status_code == 403, path
        assert world.as_(world.lead_b).get(path).status_code == 404, path
    assert world.as_(world.budi).get(f"/consents/{consent.id}/evidence").status_code == 404
    assert world.as_(world.siti).get(f"/consents/{consent.id}/evidence").status_code == 403
    assert world.as_(world.mentor).post(f"/consents/{consent.id}/withdraw",
                                        data={"withdrawn_on": "2025-01-01", "confirm": "yes"}).status_code == 403
    assert world.consent(world.siti).withdrawn_at is None
    overview = world.as_(world.lead).get(f"/cohorts/{world.a.id}").get_data(as_text=True)
    assert f'href="/cohorts/{world.a.id}/consent"' in overview
    assert f'/cohorts/{world.a.id}/consent"' not in world.as_(world.mentor).get(
        f"/cohorts/{world.a.id}").get_data(as_text=True)


def test_erasing_an_account_deletes_the_whatsapp_log_of_its_numbers(app, make):
    from workshop.consent import service
    from workshop.consent.deletion import delete_due_data
    from workshop.extensions import db
    from workshop.notifications import whatsapp
    from workshop.notifications.models import WhatsAppMessage

    cohort, lead = make.cohort(), make.user("Lead Ana")
    student = make.user("Siti Rahmawati", is_minor=True, phone="+6281377778888", whatsapp_opt_in=True,
                        guardian_contact="+6281255501234")
    make.member(lead, cohort, "lead")
    make.member(student, cohort, "student")
    consent = make.consent(cohort, student, lead, guardian_contact="+6281299990000")
    numbers = ("+6281377778888", "+6281255501234", "+6281299990000", "+6285600001111")
    with app.app_context():
        for number in numbers:  # hers, her guardians' (roster and consent), and someone else's
            db.session.add(WhatsAppMessage(template="notification", language="id", status="sent",
                                           recipient_digest=whatsapp.recipient_digest(number)))
        withdrawn = service.withdraw(db.session.get(Consent, consent.id), withdrawn_at=utcnow())
        db.session.commit()
        assert delete_due_data(now=withdrawn.deletion_due_at + timedelta(minutes=1)) == [student.id]
        left = set(db.session.scalars(select(WhatsAppMessage.recipient_digest)))
        assert left == {whatsapp.recipient_digest(numbers[-1])}

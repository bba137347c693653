"""The world the authorisation matrix (test_authorization_matrix.py) walks every route in.

Cohort A holds one of everything a URL can name: a lead, a mentor, three students
(``student`` owns the work, ``peer`` is a classmate, ``spare`` is there to be removed),
an assignment, a submission with two ready versions, a comment, a private mentor
note, a review, an open safeguarding concern, a session with attendance, a consent
record with its evidence file, invites, a checklist copy, a resumable upload, a
roster upload waiting for confirmation, and a notification for every person.
Cohort B has its own lead, who must see none of A. A third cohort only receives the
invites that signed-in people accept while the matrix runs.

Rows are made directly in the database (and through the API where a row also needs
files on disk, like a resumable upload), as the media job or a lead would leave them.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from itertools import count

from .helpers import PASSWORD, bearer, login

# Text that only staff may ever read: no response to anyone else may contain it.
PRIVATE_NOTE = "PRIVATE-NOTE-7f3a: talk to the counsellor before replying"
CONCERN_SUMMARY = "CONCERN-9b2c: the student mentions self-harm at 0:42"

# Who the matrix plays, in the order it plays them: the authorised person of most
# routes (the cohort's lead) goes last, so that what a route destroys or changes
# (deleting a session, revoking an invite) happens after everyone else was refused.
IDENTITIES = ("anon", "peer", "student", "mentor", "other_lead", "lead")

TUS = {"Tus-Resumable": "1.0.0"}


def tus_metadata(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


class AuthzWorld:
    """Builds the world and answers the values every URL argument and request body needs."""

    def __init__(self, app, make):
        self.app, self.make = app, make
        self._invites = count(1)
        self.a = make.cohort(name="Cohort A")
        self.b = make.cohort(name="Cohort B")
        self.scratch = make.cohort(name="Invite scratch")
        self.people = {
            **make.people(self.a, {"lead": "lead", "mentor": "mentor", "student": "student", "peer": "student",
                                   "spare": "student"}, student={"is_minor": True, "birth_year": 2011}),
            **make.people(self.b, {"other_lead": "lead"}),
        }
        self.assignment = make.assignment(self.a, title="Sleep well", max_duration_s=120)

        self.api = app.test_client(use_cookies=False)  # bearer tokens only: no CSRF header needed
        self.tokens = {who: self._token(who) for who in IDENTITIES if who != "anon"}
        # The upload comes first: once the concern is open the submission is locked.
        self.tus_upload_id = self._start_tus_upload()
        self._rows()

    # --- clients ------------------------------------------------------------------------

    def _token(self, who: str) -> str:
        response = self.api.post("/api/v1/tokens", json={"email": self.people[who].email, "password": PASSWORD})
        assert response.status_code == 201, response.data
        return response.json["token"]

    def api_headers(self, who: str) -> dict:
        return bearer(self.tokens[who]) if who != "anon" else {}

    def page_client(self, who: str):
        client = self.app.test_client()
        if who != "anon":
            login(client, self.people[who])
        return client

    def _start_tus_upload(self) -> str:
        response = self.api.post("/api/v1/uploads", headers={
            **TUS, **self.api_headers("student"), "Upload-Length": "10",
            "Upload-Metadata": tus_metadata(assignment_id=self.assignment.id, filename="draft.mp4")})
        assert response.status_code == 201, response.data
        return response.headers["Location"].rsplit("/", 1)[-1]

    # --- rows ---------------------------------------------------------------------------

    def _rows(self) -> None:
        from workshop.accounts import confirmation, service as accounts
        from workshop.accounts.models import User
        from workshop.invitations import service as invitations
        from workshop.roster import service as roster_import
        from workshop.cohorts.models import Cohort, Membership
        from workshop.roles import Role
        from workshop.roster.parsing import parse_roster
        from workshop.db_types import utcnow
        from workshop.extensions import db
        from workshop.review import checklists
        from workshop.review.models import ChecklistTemplate
        from workshop.sessions import feeds
        from workshop.submissions.models import SubmissionState

        make, people = self.make, self.people
        student, mentor, lead = people["student"], people["mentor"], people["lead"]
        submission = make.submission(self.assignment, student, mentor_id=mentor.id, state=SubmissionState.ESCALATED)
        first, latest = (make.version(self.assignment, student, number, ready_ago=timedelta(hours=3 - number),
                                      original_key=f"originals/x{number}") for number in (1, 2))
        latest = make.stored_files(latest, {"poster_key": ("poster.jpg",
                                                           b"\xff\xd8\xff\xe0 a poster, as far as the route cares")})
        comment = make.comment(latest, mentor, "Lovely opening shot.", timecode_ms=1500)
        note = make.comment(latest, mentor, PRIVATE_NOTE, private=True)
        make.review(first, mentor, "changes_requested", "Shorten the intro.")
        concern = make.concern(latest, mentor, CONCERN_SUMMARY)
        session = make.session(self.a, "Storyboarding", starts_in=timedelta(days=2), lasts=timedelta(hours=2),
                               location="Lab 3")
        make.attendance(session, student, "present", recorded_by_id=lead.id)
        consent = make.consent(self.a, student, lead, "Ibu Sari", guardian_contact="0812-000",
                               given_at=utcnow() - timedelta(days=3),
                               evidence=b"%PDF-1.4\n% signed form\n%%EOF\n")
        notifications = {key: make.notification(user, "version_ready", f"/versions/{latest.id}",
                                                data={"version": 2, "assignment": "Sleep well"})
                         for key, user in people.items()}
        spare_token, _raw = make.api_token(student, "spare")
        self.guardian_token = "guardian-link-of-the-world-" + "x" * 20
        make.consent_request(self.a, student, lead, self.guardian_token)

        with self.app.app_context():
            cohort_a = db.session.get(Cohort, self.a.id)
            lead_row = db.session.get(User, lead.id)
            default = db.session.scalar(db.select(ChecklistTemplate).where(
                ChecklistTemplate.cohort_id.is_(None), ChecklistTemplate.key == "wellbeing"))
            copy = checklists.copy_template(default, cohort_a)
            pending, _raw = invitations.create_invite(cohort_a, "invitee@karya.test", Role.MENTOR, lead_row)
            # An account a lead made from a roster: no password yet, a welcome link to choose one.
            newcomer = invitations.create_account_for("newcomer@karya.test", "Newcomer")
            db.session.add(Membership(user=newcomer, cohort=cohort_a, role=Role.STUDENT))
            _welcome, self.welcome_token = invitations.create_invite(cohort_a, newcomer.email, Role.STUDENT, lead_row)
            feeds.ensure_token(cohort_a)
            feeds.ensure_token(db.session.get(User, student.id))
            db.session.commit()

            self.default_template_id = default.id
            self.reset_token = accounts.make_reset_token(db.session.get(User, people["spare"].id))
            # The student's own confirmation link: only the student may open it (already confirmed).
            self.confirm_token = confirmation.make_token(db.session.get(User, student.id))
            with self.app.test_request_context("/"):
                self.roster_upload_id = roster_import.store_upload(
                    parse_roster(b"name,email\nNew Person,new.person@karya.test\n"), cohort_a, lead_row)
            spare_membership = db.session.scalar(db.select(Membership.id).where(
                Membership.user_id == people["spare"].id, Membership.cohort_id == self.a.id))
            copy_id, pending_id = copy.id, pending.id

        self.first_version_id, self.media_token = first.id, latest.media_token
        # The value of each URL argument, by its name in the rule.
        self.values = {
            "cohort_id": self.a.id, "assignment_id": self.assignment.id, "version_id": latest.id,
            "comment_id": comment.id, "safeguarding_concern_id": concern.id, "checklist_template_id": copy_id,
            "workshop_session_id": session.id, "consent_id": consent.id, "invite_id": pending_id,
            "membership_id": spare_membership, "submission_id": submission.id,
            "notification_id": notifications["student"].id, "user_id": student.id,
            "token_ref": str(spare_token.id), "kind": "poster.jpg",
        }
        self.private_note_id = note.id

    # --- answers for the matrix ---------------------------------------------------------

    def _fresh_invite(self) -> str:
        """A new invite to the scratch cohort: a signed-in person who opens it joins that cohort."""
        from workshop.cohorts.models import Cohort
        from workshop.extensions import db
        from workshop.invitations import service as invitations
        from workshop.roles import Role

        with self.app.app_context():
            _invite, raw = invitations.create_invite(db.session.get(Cohort, self.scratch.id),
                                                  f"guest{next(self._invites)}@karya.test", Role.STUDENT, None)
            db.session.commit()
            return raw

    def _calendar_token(self, model, row_id: int) -> str:
        # Read at request time: the rotate routes change it while the matrix runs.
        from workshop.extensions import db

        with self.app.app_context():
            return db.session.get(model, row_id).calendar_token

    def url_value(self, endpoint: str, name: str):
        """The value for URL argument ``name`` of ``endpoint``; some names mean different things per route."""
        from workshop.accounts.models import User
        from workshop.cohorts.models import Cohort

        if name == "token":
            per_endpoint = {
                "media.version_media": lambda: self.media_token,
                "sessions.cohort_feed": lambda: self._calendar_token(Cohort, self.a.id),
                "sessions.my_feed": lambda: self._calendar_token(User, self.people["student"].id),
                "invitations.accept": self._fresh_invite,
                "invitations.welcome": lambda: self.welcome_token,
                "accounts.reset_password": lambda: self.reset_token,
                "accounts.confirm_email": lambda: self.confirm_token,
                **dict.fromkeys(("guardian_consent.page", "guardian_consent.send_code", "guardian_consent.decide",
                                 "guardian_consent.withdraw"), lambda: self.guardian_token),
            }
            return per_endpoint[endpoint]()
        if name == "upload_id":
            return self.tus_upload_id if endpoint.startswith("api.tus_") else self.roster_upload_id
        return self.values[name]

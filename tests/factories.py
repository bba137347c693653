"""Rows made directly in the database, as a lead, a finished upload or the media job leaves them.

The ``make`` fixture (tests/conftest.py) is a :class:`Factory`. Each method commits its rows
and returns them detached from the session, so a test reads ids and columns outside an app
context. The defaults are the plain case; any keyword overrides the column of that name.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from workshop.extensions import db

from .helpers import PASSWORD

# What the media job leaves for a processed landscape clip; review never reads the files.
READY_VERSION = {"duration_s": 20.0, "width": 1280, "height": 720}


class Factory:
    """Makes people, cohorts, work and its review, and consent, in the test database."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _saved(self, *rows):
        """Commit ``rows`` and hand them back loaded and detached (one row, or a tuple)."""
        with self.app.app_context():
            db.session.add_all(rows)
            db.session.commit()
            for row in rows:
                db.session.refresh(row)
                db.session.expunge(row)
        return rows[0] if len(rows) == 1 else rows

    def row(self, model, row_id):
        """The ``model`` row with that id, as it is now (detached)."""
        with self.app.app_context():
            found = db.session.get(model, row_id)
            db.session.expunge(found)
            return found

    # --- people and cohorts -----------------------------------------------------------

    def user(self, name="Test Person", email=None, password=PASSWORD, **fields):
        """A person whose email is confirmed, unless ``email_confirmed_at=None`` is given."""
        from workshop.accounts.models import User
        from workshop.accounts.service import hash_password
        from workshop.db_types import utcnow

        self._n += 1
        fields.setdefault("email_confirmed_at", utcnow())
        with self.app.app_context():
            password_hash = hash_password(password)
        return self._saved(User(email=email or f"person{self._n}@karya.test", name=name,
                                password_hash=password_hash, **fields))

    def cohort(self, name="Cohort", **fields):
        from workshop.cohorts.models import Cohort

        return self._saved(Cohort(name=name, **fields))

    def member(self, user, cohort, role):
        from workshop.cohorts.models import Membership
        from workshop.roles import Role

        with self.app.app_context():
            db.session.add(Membership(user_id=user.id, cohort_id=cohort.id, role=Role(role)))
            db.session.commit()

    def people(self, cohort, roles: dict[str, str], *, domain="karya.test", **fields_by_key) -> dict:
        """Members of ``cohort``, by key: ``{"lead": "lead", "peer": "student"}`` makes "Lead"
        (lead@karya.test) and "Peer" (peer@karya.test); ``peer={"is_minor": True}`` adds columns."""
        made = {}
        for key, role in roles.items():
            made[key] = self.user(name=key.replace("_", " ").title(), email=f"{key}@{domain}",
                                  **fields_by_key.get(key, {}))
            self.member(made[key], cohort, role)
        return made

    def api_token(self, user, label="test"):
        """A new API token of ``user``, issued directly (no password round trip): the row and
        the raw token, as ``ApiToken.issue`` gives them."""
        from workshop.accounts.models import ApiToken, User

        with self.app.app_context():
            token, raw = ApiToken.issue(db.session.get(User, user.id), label)
            db.session.commit()
            db.session.refresh(token)
            db.session.expunge(token)
        return token, raw

    # --- work -------------------------------------------------------------------------

    def assignment(self, cohort, title="Assignment", **fields):
        from workshop.cohorts.models import Assignment

        return self._saved(Assignment(cohort_id=cohort.id, title=title, **fields))

    def submission(self, assignment, student, **fields):
        """The student's submission for the assignment: the one there is, else a new one
        (``fields`` then set its columns: ``state``, ``mentor_id``)."""
        from workshop.submissions.models import Submission

        with self.app.app_context():
            found = db.session.scalar(db.select(Submission).where(
                Submission.assignment_id == assignment.id, Submission.student_id == student.id))
            if found is not None:
                db.session.expunge(found)
                return found
        return self._saved(Submission(assignment_id=assignment.id, cohort_id=assignment.cohort_id,
                                      student_id=student.id, **fields))

    def version(self, assignment, student, number=1, *, state=None, submission_state=None,
                ready_ago=timedelta(0), **fields):
        """A version of the student's work (its submission made when there is none), as the
        pipeline leaves it in ``state``: a ready one (the default) with :data:`READY_VERSION`'s
        metadata, ready ``ready_ago`` before now. ``submission_state`` moves the submission too."""
        from workshop.db_types import utcnow
        from workshop.submissions.models import Submission, Version, VersionState

        submission = self.submission(assignment, student)
        if submission_state is not None:
            with self.app.app_context():
                db.session.get(Submission, submission.id).state = submission_state
                db.session.commit()
        state = state or VersionState.READY
        columns = {"original_key": "x"}
        if state is VersionState.READY:
            columns.update(READY_VERSION, ready_at=utcnow() - ready_ago)
        return self._saved(Version(submission_id=submission.id, cohort_id=submission.cohort_id, number=number,
                                   state=state, **{**columns, **fields}))

    def stored_files(self, version, files: dict[str, tuple[str, bytes]]):
        """Put media of ``version`` in storage, ``{column: (file name, bytes)}``, and point the
        columns at it: ``{"poster_key": ("poster.jpg", b"...")}`` stores versions/<id>/poster.jpg."""
        from workshop.submissions.models import Version

        keys = {}
        for column, (name, data) in files.items():
            keys[column] = f"versions/{version.id}/{name}"
            self.store(keys[column], data)
        with self.app.app_context():
            row = db.session.get(Version, version.id)
            for column, key in keys.items():
                setattr(row, column, key)
            db.session.commit()
            db.session.refresh(row)
            db.session.expunge(row)
            return row

    def store(self, key: str, data: bytes) -> None:
        """``data`` in the app's media storage under ``key``."""
        from workshop.media.storage import get_storage

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "file"
            path.write_bytes(data)
            with self.app.app_context():
                get_storage().put_file(key, path)

    # --- review -----------------------------------------------------------------------

    def comment(self, version, author, body="A comment.", **fields):
        from workshop.review.models import Comment

        return self._saved(Comment(version_id=version.id, cohort_id=version.cohort_id, author_id=author.id,
                                   body=body, **fields))

    def concern(self, version, raised_by, summary="A concern.", **fields):
        """An open safeguarding concern about ``version``."""
        from workshop.submissions.models import ConcernState, SafeguardingConcern

        fields.setdefault("state", ConcernState.OPEN)
        return self._saved(SafeguardingConcern(cohort_id=version.cohort_id, submission_id=version.submission_id,
                                               version_id=version.id, raised_by_id=raised_by.id, summary=summary,
                                               **fields))

    def review(self, version, mentor, verdict, summary="", **fields):
        from workshop.review.models import Review, Verdict

        return self._saved(Review(version_id=version.id, cohort_id=version.cohort_id, mentor_id=mentor.id,
                                  verdict=Verdict(verdict), summary=summary, **fields))

    # --- sessions, consent, notifications ---------------------------------------------

    def session(self, cohort, title="Session", starts_in=timedelta(days=1), lasts=None, **fields):
        """A workshop session starting ``starts_in`` from now (negative: already held), ending
        ``lasts`` later when that is given."""
        from workshop.sessions.models import WorkshopSession
        from workshop.db_types import utcnow

        starts_at = utcnow() + starts_in
        ends_at = starts_at + lasts if lasts is not None else None
        return self._saved(WorkshopSession(cohort_id=cohort.id, title=title, starts_at=starts_at, ends_at=ends_at,
                                           **fields))

    def attendance(self, session, user, status="present", **fields):
        from workshop.sessions.models import Attendance, AttendanceStatus

        return self._saved(Attendance(session_id=session.id, user_id=user.id, status=AttendanceStatus(status),
                                      **fields))

    def consent(self, cohort, student, recorded_by, guardian_name="Ibu Sari", *, evidence: bytes | None = None,
                **fields):
        """A guardian's consent, given now unless ``given_at`` says when; with ``evidence``, the
        signed form is in storage (consents/<id>/evidence.pdf) as a lead's upload leaves it."""
        from workshop.consent.models import Consent
        from workshop.db_types import utcnow

        fields.setdefault("given_at", utcnow())
        consent = self._saved(Consent(cohort_id=cohort.id, student_id=student.id, guardian_name=guardian_name,
                                      recorded_by_id=recorded_by.id, **fields))
        if evidence is None:
            return consent
        key = f"consents/{consent.id}/evidence.pdf"
        self.store(key, evidence)
        with self.app.app_context():
            db.session.get(Consent, consent.id).evidence_key = key
            db.session.commit()
        return self.row(Consent, consent.id)

    def consent_request(self, cohort, student, sent_by, token: str, **fields):
        """A consent request sent by email whose link carries ``token``, open for 14 days."""
        from workshop.accounts.models import hash_token
        from workshop.consent.models import ConsentRequest
        from workshop.db_types import utcnow

        fields.setdefault("expires_at", utcnow() + timedelta(days=14))
        return self._saved(ConsentRequest(cohort_id=cohort.id, student_id=student.id, channel="email",
                                          contact_hash="0" * 64, token_hash=hash_token(token),
                                          text_version="guardian-2026-12", sent_by_id=sent_by.id, **fields))

    def notification(self, user, kind="version_ready", link="/", **fields):
        from workshop.notifications.models import Notification

        return self._saved(Notification(user_id=user.id, kind=kind, link=link, **fields))

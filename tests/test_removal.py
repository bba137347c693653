"""Removing someone from a cohort takes their reach with them: the reviews waiting for
them, their notifications and emails about the cohort, and the cohort's calendar feed."""

from __future__ import annotations

import logging
import re

from rq import SimpleWorker

from workshop.audit.models import AuditEvent
from workshop.cohorts.models import Membership
from workshop.extensions import db
from workshop.notifications.models import Notification
from workshop.redis_conn import get_redis
from workshop.submissions.models import Submission, SubmissionState

from .helpers import login
from .test_leads import _ready


def _feed_url(client, cohort_id) -> str:
    page = client.get(f"/cohorts/{cohort_id}/sessions").data.decode()
    return re.search(r'id="cohort-feed" class="feed-url" readonly value="http://localhost([^"]+)"', page)[1]


def _world(make):
    cohort = make.cohort(name="Kelas 8B")
    people = {"lead": make.user(name="Lead", email="lead@karya.test"),
              "gone": make.user(name="Mentor Gone", email="gone@karya.test"),
              "stays": make.user(name="Mentor Stays", email="stays@karya.test"),
              "sari": make.user(name="Sari Minor", email="sari@karya.test")}
    make.member(people["lead"], cohort, "lead")
    make.member(people["gone"], cohort, "mentor")  # the longest-standing mentor: gets the first video
    make.member(people["stays"], cohort, "mentor")
    make.member(people["sari"], cohort, "student")
    return cohort, people


# Each helper opens its own app context: a context held open by the test would be shared
# by the test clients' requests, and with it the signed-in person Flask-Login keeps in ``g``.
def _membership_id(app, user, cohort) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Membership.id).where(Membership.user_id == user.id,
                                                                Membership.cohort_id == cohort.id))


def _notifications(app, user) -> list[tuple[str, dict, str]]:
    with app.app_context():
        return [(n.kind, n.data, n.link) for n in db.session.scalars(
            db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def _submission(app, assignment) -> tuple[int, int | None, SubmissionState]:
    with app.app_context():
        row = db.session.scalar(db.select(Submission).where(Submission.assignment_id == assignment.id))
        return row.id, row.mentor_id, row.state


def _removal_event(app) -> tuple[int, int, dict]:
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "membership.removed"))
        return event.actor_id, event.cohort_id, event.data


def test_a_removed_mentor_loses_their_reviews_notifications_emails_and_the_feed(app, make, caplog):
    cohort, people = _world(make)
    first, second = make.assignment(cohort, title="Jaga Diri"), make.assignment(cohort, title="Tidur")
    version_id = _ready(app, cohort.id, first.id, people["sari"].id)
    submission_id, mentor_id, _state = _submission(app, first)
    assert mentor_id == people["gone"].id
    [(kind, data, _link)] = _notifications(app, people["gone"])
    assert kind == "review_needed" and data["student"] == "Sari Minor"

    gone = app.test_client()
    login(gone, people["gone"])
    old_feed = _feed_url(gone, cohort.id)
    anonymous = app.test_client()
    assert anonymous.get(old_feed).status_code == 200

    lead = app.test_client()
    login(lead, people["lead"])
    removed = lead.post(f"/memberships/{_membership_id(app, people['gone'], cohort)}/remove", follow_redirects=True)
    assert b"Mentor Gone is no longer in Kelas 8B." in removed.data

    # The waiting video went to the other mentor, who is told.
    assert _submission(app, first) == (submission_id, people["stays"].id, SubmissionState.AWAITING_REVIEW)
    [(kind, data, link)] = _notifications(app, people["stays"])
    assert kind == "review_needed" and link == f"/versions/{version_id}" and data["student"] == "Sari Minor"

    # Nothing about the cohort is left for the removed mentor, in the app or by email.
    assert _notifications(app, people["gone"]) == []
    page = gone.get("/notifications").data.decode()
    assert "Sari Minor" not in page
    caplog.set_level(logging.INFO, logger="karya.mail")
    with app.app_context():
        SimpleWorker(["default"], connection=get_redis(app)).work(burst=True)
    assert "To: stays@karya.test" in caplog.text and "To: gone@karya.test" not in caplog.text

    # Later videos do not reach them either.
    _ready(app, cohort.id, second.id, people["sari"].id)
    assert _notifications(app, people["gone"]) == []

    # The cohort feed address they saw stops working; the staff who remain get a new one.
    assert anonymous.get(old_feed).status_code == 404
    new_feed = _feed_url(lead, cohort.id)
    assert new_feed != old_feed and anonymous.get(new_feed).status_code == 200

    actor_id, cohort_id, data = _removal_event(app)
    assert actor_id == people["lead"].id and cohort_id == cohort.id
    assert data["user_id"] == people["gone"].id and data["role"] == "mentor"
    assert data["reassigned"] == {str(submission_id): people["stays"].id}
    assert data["notifications_deleted"] == 1 and data["calendar_token_rotated"] is True


def test_a_notification_that_outlives_the_membership_is_neither_shown_nor_emailed(app, make, caplog):
    """As when a worker's transaction made it while the removal was committing."""
    from workshop.notifications import service

    cohort, people = _world(make)
    other = make.cohort(name="Elsewhere")
    make.member(people["gone"], other, "mentor")
    with app.app_context():
        about_cohort = service.notify(people["gone"].id, "review_needed", link="/", cohort_id=cohort.id,
                                      data={"student": "Sari Minor", "version": 1, "assignment": "Jaga Diri"}).id
        service.notify(people["gone"].id, "review_needed", link="/", cohort_id=other.id,
                       data={"student": "Someone Else", "version": 1, "assignment": "Vlog"})
        db.session.commit()
    membership_id = _membership_id(app, people["gone"], cohort)
    with app.app_context():
        db.session.execute(db.delete(Membership).where(Membership.id == membership_id))
        db.session.commit()

    client = app.test_client()
    login(client, people["gone"])
    page = client.get("/notifications").data.decode()
    assert "Sari Minor" not in page and "Someone Else" in page
    assert 'aria-label="Notifications: 1 unread"' in client.get("/").data.decode()  # the bell counts one
    with app.app_context():
        assert service.unread_count(people["gone"].id) == 1
        assert service.send_notification_email(about_cohort) == "not a member"
    assert client.post(f"/notifications/{about_cohort}/open").status_code == 404
    # And nothing new is made for them about that cohort.
    with app.app_context():
        assert service.notify(people["gone"].id, "reply", link="/", cohort_id=cohort.id,
                              data={"name": "Lead", "assignment": "Jaga Diri"}) is None


def test_removing_a_student_stops_their_notifications_about_the_cohort(app, make):
    cohort, people = _world(make)
    assignment = make.assignment(cohort, title="Jaga Diri")
    _ready(app, cohort.id, assignment.id, people["sari"].id)
    assert [kind for kind, _data, _link in _notifications(app, people["sari"])] == ["version_ready"]
    lead = app.test_client()
    login(lead, people["lead"])
    assert lead.post(f"/memberships/{_membership_id(app, people['sari'], cohort)}/remove").status_code == 302
    assert _notifications(app, people["sari"]) == []
    _ready(app, cohort.id, assignment.id, people["sari"].id, number=2)
    assert _notifications(app, people["sari"]) == []


def test_a_mentor_made_a_student_hands_over_reviews_and_the_staff_feed(app, make):
    cohort, people = _world(make)
    first = make.assignment(cohort, title="Jaga Diri")
    _ready(app, cohort.id, first.id, people["sari"].id)
    assert _submission(app, first)[1] == people["gone"].id
    gone = app.test_client()
    login(gone, people["gone"])
    old_feed = _feed_url(gone, cohort.id)

    lead = app.test_client()
    login(lead, people["lead"])
    membership_id = _membership_id(app, people["gone"], cohort)
    assert lead.post(f"/memberships/{membership_id}/role", data={"role": "student"}).status_code == 302
    assert _submission(app, first)[1:] == (people["stays"].id, SubmissionState.AWAITING_REVIEW)
    assert app.test_client().get(old_feed).status_code == 404
    assert 'id="cohort-feed"' not in gone.get(f"/cohorts/{cohort.id}/sessions").data.decode()


def test_a_submission_sent_back_for_changes_gets_a_current_mentor_next_time(app, make):
    from workshop.submissions.models import Submission

    cohort, people = _world(make)
    first = make.assignment(cohort, title="Jaga Diri")
    _ready(app, cohort.id, first.id, people["sari"].id)
    submission_id = _submission(app, first)[0]
    with app.app_context():
        db.session.get(Submission, submission_id).state = SubmissionState.CHANGES_REQUESTED
        db.session.commit()
    lead = app.test_client()
    login(lead, people["lead"])
    lead.post(f"/memberships/{_membership_id(app, people['gone'], cohort)}/remove")
    assert _submission(app, first) == (submission_id, None, SubmissionState.CHANGES_REQUESTED)
    _ready(app, cohort.id, first.id, people["sari"].id, number=2)
    assert _submission(app, first)[1] == people["stays"].id
    assert [kind for kind, _data, _link in _notifications(app, people["stays"])] == ["review_needed"]


def test_removal_deletes_their_notifications_about_that_cohort_only(app, make):
    """Rows from before notifications named their cohort got it from their link in
    migration 0006 (tests/test_migrations.py); removal goes by that column alone."""
    cohort, people = _world(make)
    other = make.cohort(name="Elsewhere")
    make.member(people["gone"], other, "mentor")
    with app.app_context():
        db.session.execute(db.delete(Notification).where(Notification.user_id == people["gone"].id))
        for link, cohort_id in (("/versions/1", cohort.id), ("/versions/1#comment-3", cohort.id),
                                ("/versions/2", other.id), ("/notifications", None)):
            db.session.add(Notification(user_id=people["gone"].id, kind="reply", link=link, cohort_id=cohort_id,
                                        data={"name": "Sari Minor", "assignment": "A"}))
        db.session.commit()
    lead = app.test_client()
    login(lead, people["lead"])
    lead.post(f"/memberships/{_membership_id(app, people['gone'], cohort)}/remove")
    assert sorted(link for _kind, _data, link in _notifications(app, people["gone"])) == [
        "/notifications", "/versions/2"]
    assert _removal_event(app)[2]["notifications_deleted"] == 2

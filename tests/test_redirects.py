"""Redirects to a place the request names (``next``) stay on this site."""

from __future__ import annotations

import pytest

from workshop.urls import is_local_path, safe_redirect_target

from .helpers import PASSWORD, login

# Each of these, followed by a browser, leaves the site (or cannot be a header at all).
OFF_SITE = [
    "//evil.example/phish",
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/x\x00y",
    "/x\x7fy",
    "/x\x85y",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    " /cohorts",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_only_paths_on_this_site_are_local(target):
    assert not is_local_path(target)
    assert safe_redirect_target(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/join", "/cohorts/3?tab=roster#x", "/a/b/../c", "/search?q=//x"])
def test_paths_on_this_site_are_followed(target):
    assert safe_redirect_target(target, "/home") == target


def test_safe_redirect_target_refuses_what_is_not_a_string():
    assert safe_redirect_target(None, "/home") == "/home"
    assert safe_redirect_target(["/join"], "/home") == "/home"


@pytest.mark.parametrize("query", ["/%09/evil.example/phish", "/%0A/evil.example/phish",
                                   "/%0D%0ALocation:%20//evil.example", "%2F%2Fevil.example"])
def test_login_next_with_control_characters_goes_home(client, make, query):
    user = make.user()
    response = client.post(f"/login?next={query}", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    already_in = client.get(f"/login?next={query}")
    assert already_in.status_code == 302 and already_in.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\t/evil.example/phish", "/\n/evil.example", "//evil.example"])
def test_language_switch_next_stays_on_the_site(client, target):
    response = client.post("/language", data={"locale": "id", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    ok = client.post("/language", data={"locale": "en", "next": "/login?x=1"})
    assert ok.headers["Location"] == "/login?x=1"


def test_reassigning_a_mentor_goes_back_only_to_a_path_on_the_site(client, make, db):
    from workshop.submissions.models import Submission

    cohort = make.cohort()
    lead = make.user(name="Lead")
    make.member(lead, cohort, "lead")
    student = make.user(name="Student")
    make.member(student, cohort, "student")
    assignment = make.assignment(cohort)
    submission = Submission(assignment_id=assignment.id, student_id=student.id, cohort_id=cohort.id)
    db.session.add(submission)
    db.session.commit()
    login(client, lead)
    response = client.post(f"/submissions/{submission.id}/mentor",
                           data={"mentor_id": "0", "next": "/\t/evil.example/phish"})
    assert response.headers["Location"] == f"/cohorts/{cohort.id}/dashboard"

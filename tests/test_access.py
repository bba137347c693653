"""Roles per cohort, enforced by the one mechanism in workshop/access.py."""

from __future__ import annotations


from workshop.access import Policy

from .helpers import PASSWORD, bearer, login


def _two_cohorts(make):
    mine, other = make.cohort(name="Mine"), make.cohort(name="Other")
    student, mentor, lead = make.user(name="Stu"), make.user(name="Men"), make.user(name="Lea")
    make.member(student, mine, "student")
    make.member(mentor, mine, "mentor")
    make.member(lead, mine, "lead")
    return mine, other, student, mentor, lead


def test_student_gets_403_on_a_mentor_page_of_their_own_cohort(client, make):
    mine, _other, student, _mentor, _lead = _two_cohorts(make)
    login(client, student)
    assert client.get(f"/cohorts/{mine.id}").status_code == 200
    response = client.get(f"/cohorts/{mine.id}/people")
    assert response.status_code == 403
    assert b"You do not have permission to do that." in response.data
    assert b"<h1>Not allowed</h1>" in response.data


def test_student_cannot_see_another_cohort_at_all(client, make):
    _mine, other, student, _mentor, _lead = _two_cohorts(make)
    login(client, student)
    for path in (f"/cohorts/{other.id}", f"/cohorts/{other.id}/people"):
        assert client.get(path).status_code == 404
    assert b"Other" not in client.get("/").data


def test_mentor_and_lead_reach_the_people_page(client, make):
    mine, _other, _student, mentor, lead = _two_cohorts(make)
    for person in (mentor, lead):
        login(client, person)
        page = client.get(f"/cohorts/{mine.id}/people")
        assert page.status_code == 200 and b"Stu" in page.data
        client.post("/logout")


def test_anonymous_visitors_are_sent_to_log_in_and_back(client, make):
    mine, *_ = _two_cohorts(make)
    response = client.get(f"/cohorts/{mine.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/cohorts/{mine.id}"


def test_the_api_refuses_with_json_errors(client, make):
    mine, other, student, _mentor, _lead = _two_cohorts(make)
    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    forbidden = client.get(f"/api/v1/cohorts/{mine.id}/members", headers=bearer(token))
    assert forbidden.status_code == 403
    assert forbidden.json == {"error": {"code": "forbidden", "message": "You do not have permission to do that."}}
    assert client.get(f"/api/v1/cohorts/{other.id}", headers=bearer(token)).status_code == 404
    anonymous = client.get(f"/api/v1/cohorts/{mine.id}")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    assert client.get(f"/api/v1/cohorts/{mine.id}", headers=bearer(token)).json["role"] == "student"


def test_admin_made_on_the_command_line_sees_every_cohort_as_lead(app, client, make):
    mine, other, *_ = _two_cohorts(make)
    result = app.test_cli_runner().invoke(
        args=["karya", "create-admin", "root@karya.test", "--password", "admin-password-1"])
    assert result.exit_code == 0, result.output
    client.post("/login", data={"email": "root@karya.test", "password": "admin-password-1"})
    home = client.get("/").data
    assert b"Mine" in home and b"Other" in home
    assert client.get(f"/cohorts/{other.id}/people").status_code == 200


def test_create_admin_promotes_an_existing_account(app, make, db):
    from workshop.accounts.models import User

    user = make.user(email="teacher@karya.test")
    result = app.test_cli_runner().invoke(args=["karya", "create-admin", "teacher@karya.test", "--password", "x"])
    assert result.exit_code == 0, result.output
    assert db.session.get(User, user.id).is_admin


def test_every_route_declares_who_may_open_it(app):
    """A new route without an access decorator fails here, before it can leak anything."""
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not isinstance(getattr(app.view_functions[rule.endpoint], "access", None), Policy)
    ]
    assert undeclared == []

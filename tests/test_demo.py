"""flask karya seed-demo: demo people only on a database with nobody else in it."""

from __future__ import annotations

from workshop.accounts.models import User
from workshop.cohorts.models import Membership


def test_seed_demo_makes_three_people_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["karya", "seed-demo"])
        assert result.exit_code == 0, result.output
    assert "student@karya.test / karya-demo" in result.output
    emails = db.session.scalars(db.select(User.email).order_by(User.email)).all()
    assert emails == ["lead@karya.test", "mentor@karya.test", "student@karya.test"]
    assert db.session.scalar(db.select(db.func.count(Membership.id))) == 3


def test_seed_demo_refuses_a_database_with_real_people(app, make, db):
    make.user(email="real.teacher@school.example")
    result = app.test_cli_runner().invoke(args=["karya", "seed-demo"])
    assert result.exit_code != 0
    assert "non-demo" in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_each_demo_account_can_log_in(app, client):
    app.test_cli_runner().invoke(args=["karya", "seed-demo"])
    for email in ("lead@karya.test", "mentor@karya.test", "student@karya.test"):
        response = client.post("/login", data={"email": email, "password": "karya-demo"})
        assert response.status_code == 302
        client.post("/logout")

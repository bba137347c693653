"""API tokens and /api/v1/me."""

from __future__ import annotations

from workshop.demo import DEMO_PASSWORD, seed_demo

from .helpers import PASSWORD, bearer


def test_demo_student_gets_a_token_and_sees_the_demo_assignment(app, client):
    with app.app_context():
        seed_demo()
    response = client.post("/api/v1/tokens", json={"email": "student@karya.test", "password": DEMO_PASSWORD})
    assert response.status_code == 201
    token = response.json["token"]
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    body = me.json
    assert {"id", "email", "name", "cohorts"} <= set(body)
    assert body["email"] == "student@karya.test"
    [cohort] = body["cohorts"]
    assert {"id", "name", "role", "assignments"} <= set(cohort)
    assert cohort["role"] == "student"
    [assignment] = cohort["assignments"]
    assert set(assignment) == {"id", "title", "due_at"}
    assert assignment["title"] == "My first explainer: why sleep matters"
    assert assignment["due_at"].endswith("+00:00")


def test_a_revoked_token_no_longer_works(client, make):
    user = make.user()
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.delete("/api/v1/tokens/current", headers=bearer(token)).status_code == 204
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_are_listed_and_revoked_by_id_and_only_by_their_owner(client, make):
    alice, bob = make.user(email="alice@karya.test"), make.user(email="bob@karya.test")
    first = client.post("/api/v1/tokens", json={"email": alice.email, "password": PASSWORD, "label": "phone"}).json
    second = client.post("/api/v1/tokens", json={"email": alice.email, "password": PASSWORD}).json
    bobs = client.post("/api/v1/tokens", json={"email": bob.email, "password": PASSWORD}).json
    assert client.delete(f"/api/v1/tokens/{first['id']}", headers=bearer(bobs["token"])).status_code == 404
    assert client.delete(f"/api/v1/tokens/{first['id']}", headers=bearer(second["token"])).status_code == 204
    listed = client.get("/api/v1/tokens", headers=bearer(second["token"])).json["tokens"]
    assert [(t["label"], t["revoked"]) for t in listed] == [("phone", True), ("", False)]
    assert client.get("/api/v1/me", headers=bearer(first["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(bobs["token"])).status_code == 200


def test_tokens_are_stored_only_as_digests(client, make, db):
    from workshop.accounts.models import ApiToken

    user = make.user()
    raw = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    stored = db.session.scalar(db.select(ApiToken.token_hash))
    assert raw not in stored and len(stored) == 64


def test_bad_credentials_and_bad_bodies_get_json_errors(client, make):
    user = make.user()
    wrong = client.post("/api/v1/tokens", json={"email": user.email, "password": "wrong"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_credentials"
    missing = client.post("/api/v1/tokens", json={"email": user.email})
    assert missing.status_code == 422 and missing.json["error"]["field"] == "password"
    not_json = client.post("/api/v1/tokens", data="email=x")
    assert not_json.status_code == 415
    not_object = client.post("/api/v1/tokens", json=["a"])
    assert not_object.status_code == 400
    wrong_type = client.post("/api/v1/tokens", json={"email": 5, "password": "x"})
    assert wrong_type.status_code == 422
    assert client.get("/api/v1/nothing-here").json["error"]["code"] == "not_found"


def test_bearer_tokens_do_not_open_html_pages(client, make):
    user = make.user()
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    assert client.get("/", headers=bearer(token)).status_code == 302


def test_api_errors_follow_the_callers_language(client, make):
    user = make.user()
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": "wrong"},
                           headers={"Accept-Language": "id"})
    assert response.status_code == 401
    assert response.json["error"]["message"] != "That email and password do not match."


def test_a_body_that_does_not_fit_its_schema_is_refused_in_the_callers_language(client, make):
    user = make.user()
    for body, field, english, indonesian in (
            ({"password": "x"}, "email", "'email' is required.", "'email' wajib diisi."),
            ({"email": ["a"], "password": "x"}, "email", "'email' must be a string.", "'email' harus berupa string."),
            ({"email": user.email, "password": PASSWORD, "label": "x" * 121}, "label",
             "'label' is too long (at most 120 characters).", "'label' terlalu panjang (maksimal 120 karakter).")):
        for language, message in (("en", english), ("id", indonesian)):
            response = client.post("/api/v1/tokens", json=body, headers={"Accept-Language": language})
            assert response.status_code == 422, body
            assert response.json["error"] == {"code": "invalid", "field": field, "message": message}

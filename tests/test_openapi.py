"""The OpenAPI document at /api/v1/openapi.json: served, valid, and in step with the routes."""

from __future__ import annotations

import re

import schemathesis

PREFIX = "/api/v1"


def _documented_routes(app) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) for every API route in the URL map, as the document names them.

    Flask adds HEAD to every GET route and OPTIONS to every route that does not
    answer OPTIONS itself; those automatic methods are not part of the API.
    """
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        assert rule.rule.startswith(PREFIX + "/"), rule.rule
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        methods = set(rule.methods)
        if "GET" in methods:
            methods.discard("HEAD")
        if getattr(rule, "provide_automatic_options", False):
            methods.discard("OPTIONS")
        routes |= {(method, path) for method in methods}
    return routes


def test_the_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": PREFIX}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/tokens (karya_...)"}


def test_every_api_route_is_documented_and_nothing_else(app, client):
    document = client.get("/api/v1/openapi.json").json
    in_document = {(method.upper(), path) for path, operations in document["paths"].items()
                   for method in operations if method != "parameters"}
    in_app = _documented_routes(app)
    assert in_app - in_document == set(), "routes missing from workshop/api/openapi.py"
    assert in_document - in_app == set(), "documented operations that no route serves"
    assert len(in_app) >= 30


def test_the_document_is_valid_openapi_3(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()  # raises on anything the OpenAPI 3.0 meta-schema refuses


def test_path_parameters_match_the_routes_and_only_public_routes_skip_auth(app, client):
    document = client.get("/api/v1/openapi.json").json
    public = {("POST", "/tokens"), ("GET", "/openapi.json"), ("OPTIONS", "/uploads"),
              ("OPTIONS", "/uploads/{upload_id}")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == set(re.findall(r"{([a-z_]+)}", path)), (method, path)
            anonymous = operation.get("security") == []
            assert anonymous == ((method.upper(), path) in public), (method, path)
            if not anonymous:
                assert "401" in operation["responses"], (method, path)


def test_enums_come_from_the_models(client):
    schemas = client.get("/api/v1/openapi.json").json["paths"]
    review = schemas["/versions/{version_id}/reviews"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert review["properties"]["verdict"]["enum"] == ["approved", "changes_requested", "escalated"]
    assert review["properties"]["answers"]["items"]["properties"]["answer"]["enum"] == ["yes", "no", "na"]
    member = schemas["/cohorts/{cohort_id}/members"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert member["properties"]["role"]["enum"] == ["student", "mentor", "lead"]

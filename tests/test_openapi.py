"""The OpenAPI document at /api/v1/openapi.json: served, valid, built from the routes'
declarations, and the one description of the API (docs/api.md's reference is rendered from it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from openapi_spec_validator import validate as validate_openapi

from workshop.api import openapi, reference

PREFIX = "/api/v1"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


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


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _request_schema(document: dict, path: str, method: str = "post") -> dict:
    return _resolve(document, document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"])


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
    assert in_app - in_document == set(), "routes missing from the document"
    assert in_document - in_app == set(), "documented operations that no route serves"
    assert len(in_app) >= 30


def test_a_route_without_a_declaration_stops_the_document(app):
    from workshop import create_app

    bare = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    bare.add_url_rule(f"{PREFIX}/undeclared", "api.undeclared", lambda: "")
    with pytest.raises(LookupError, match="declares no @operation"):
        openapi.build(bare)


def test_the_document_is_valid_openapi_3_1(app, client):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()  # raises on anything the OpenAPI meta-schema refuses
    # openapi-spec-validator also checks every schema object against the 3.1 JSON Schema dialect.
    validate_openapi(client.get("/api/v1/openapi.json").json)


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


def test_enums_and_limits_come_from_the_models_and_services(client):
    from workshop.review.service import MAX_COMMENT_CHARS
    from workshop.sessions.service import MAX_TITLE

    document = client.get("/api/v1/openapi.json").json
    review = _request_schema(document, "/versions/{version_id}/reviews")
    assert _resolve(document, review["properties"]["verdict"])["enum"] == ["approved", "changes_requested",
                                                                           "escalated"]
    answer = _resolve(document, review["properties"]["answers"]["anyOf"][0]["items"])
    assert _resolve(document, answer["properties"]["answer"])["enum"] == ["yes", "no", "na"]
    member = _request_schema(document, "/cohorts/{cohort_id}/members")
    assert _resolve(document, member["properties"]["role"])["enum"] == ["student", "mentor", "lead"]
    assert _request_schema(document, "/versions/{version_id}/comments")["properties"]["body"]["maxLength"] == \
        MAX_COMMENT_CHARS
    assert _request_schema(document, "/cohorts/{cohort_id}/sessions")["properties"]["title"]["maxLength"] == MAX_TITLE


def test_answers_are_described_field_by_field(client):
    document = client.get("/api/v1/openapi.json").json
    version = document["paths"]["/versions/{version_id}"]["get"]["responses"]["200"]["content"]
    schema = _resolve(document, version["application/json"]["schema"])
    assert schema["additionalProperties"] is False
    assert {"id", "state", "progress", "checks", "checks_state", "rendition_url"} <= set(schema["required"])
    assert set(schema["required"]) == set(schema["properties"])  # every field is always there


def test_docs_api_md_carries_the_reference_rendered_from_the_document(client):
    """Regenerate with ``python -m workshop.api_reference`` after changing a declaration."""
    text = DOCS.read_text(encoding="utf-8")
    assert reference.BEGIN in text and reference.END in text
    written = text.split(reference.BEGIN, 1)[1].split(reference.END, 1)[0]
    rendered = reference.markdown(client.get("/api/v1/openapi.json").json)
    assert written.strip() == rendered.strip(), "docs/api.md is out of date: run python -m workshop.api_reference"

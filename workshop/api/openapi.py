"""The OpenAPI 3.1 document of ``/api/v1``, served at ``GET /api/v1/openapi.json``.

Nothing here describes a route by hand: the paths come from the app's URL map, each
operation from the :func:`~workshop.api.contract.operation` its view carries, and the
schemas from those pydantic models' own JSON Schema. A route without a declaration
stops the document from being built, so ``tests/test_openapi.py`` fails before such a
route ships. ``tests/test_api_fuzz.py`` runs schemathesis against the document, and
docs/api.md's reference is rendered from it (``reference.py``).
"""

from __future__ import annotations

import json
import re

from flask import Flask, current_app
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from ..access import public
from . import bp
from .contract import Answer, Operation, operation

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"


class MissingItem(BaseModel):
    item_id: int
    key: str
    text: str


class ErrorDetail(BaseModel):
    """What workshop/errors.py writes for every refusal; the message is in the caller's language."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(description="Stable and machine-readable: `invalid`, `not_found`, `newer_version`, ...")
    message: str
    field: str | None = Field(None, description="With 422: the input to fix")
    missing: list[MissingItem] | None = Field(None, description="With code `must_items_missing`: the items still "
                                                                "to answer")
    item_id: int | None = Field(None, description="The checklist answer at fault")
    header: str | None = Field(None, description="The request header at fault")


class Error(BaseModel):
    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "The request could not be read: not a JSON object, a bad header (`bad_header`), no CSRF token "
         "on a cookie request (`csrf_failed`)",
    401: "Not signed in: no valid bearer token or session (`unauthorized`); a wrong password on "
         "`POST /tokens` (`invalid_credentials`)",
    403: "Signed in, but the caller's role does not allow this (`forbidden`); or the account has not "
         "confirmed its email address yet, so it holds no role in any cohort (`email_unconfirmed`)",
    404: "No such object, or it is in a cohort the caller does not belong to (`not_found`)",
    409: "The object's state does not allow this now: an archived cohort (`archived`), a newer version "
         "(`newer_version`), checks still running (`checks_running`), ...",
    410: "The upload is gone: cancelled or expired",
    412: "Tus-Resumable is missing or not 1.0.0 (`tus_version`)",
    413: "The body or the declared upload is too large (`too_large`)",
    415: "The body is not of the expected content type",
    422: "A field is missing or not valid (`invalid`; `field` names it), or an approval leaves `must` "
         "items unanswered (`must_items_missing`, with `missing`)",
    429: "Too many attempts or unfinished uploads (`rate_limited`)",
    507: "The server is out of storage space (`disk_full`); an upload can be resumed later",
}

DESCRIPTION = (
    "Karya's JSON API. Send `Authorization: Bearer <token>` (from `POST /tokens`) on every call but the "
    "public ones. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`; the message is in the "
    "caller's language. Anything in a cohort the caller does not belong to answers 404, not 403.")


def api_routes(app: Flask):
    """(method, path, view) for each operation of the API, in URL-map order.

    Flask adds HEAD to every GET route and OPTIONS to every route that does not answer
    OPTIONS itself; those automatic methods are not part of the API.
    """
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        methods = set(rule.methods)
        if "GET" in methods:
            methods.discard("HEAD")
        if getattr(rule, "provide_automatic_options", False):
            methods.discard("OPTIONS")
        for method in sorted(methods):
            yield method, rule, path, app.view_functions[rule.endpoint]


def declaration(view) -> Operation:
    declared = getattr(view, "api_operation", None)
    if declared is None:
        raise LookupError(f"{view.__module__}.{view.__name__} declares no @operation")
    return declared


def build(app: Flask) -> dict:
    """The whole document, from the URL map and the declarations."""
    routes = sorted(((method, rule, path, declaration(view), getattr(view, "access", None))
                     for method, rule, path, view in api_routes(app)), key=lambda route: (route[2], route[0]))
    models = {(model, "validation") for *_, op, _access in routes for model in (op.body, op.query) if model}
    models |= {(answer.model, "serialization") for *_, op, _access in routes
               for answer in op.answers.values() if answer.model}
    models.add((Error, "serialization"))
    refs, definitions = models_json_schema(sorted(models, key=lambda pair: pair[0].__name__), ref_template=REF)
    paths: dict[str, dict] = {}
    for method, rule, path, op, access in routes:
        anonymous = access is not None and access.kind == "public"
        paths.setdefault(path, {})[method.lower()] = _operation(op, rule.rule, anonymous, refs, definitions)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Karya API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A token from POST /api/v1/tokens (karya_...)"}},
            "schemas": definitions.get("$defs", {}),
            "responses": {f"Error{status}": {"description": description, "content": {
                "application/json": {"schema": refs[(Error, "serialization")]}}}
                for status, description in ERROR_DESCRIPTIONS.items()},
        },
    }


def _operation(op: Operation, rule: str, anonymous: bool, refs: dict, definitions: dict) -> dict:
    """One operation. Every non-public one may answer 401, one with an id in its path 403 (an
    unconfirmed account) and 404, and one with a JSON body 400/415/422."""
    parameters = [_path_parameter(name, converter, op.path_descriptions.get(name))
                  for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule)]
    parameters += [_header(header) for header in op.headers]
    if op.query is not None:
        parameters += _query_parameters(refs[(op.query, "validation")], definitions)
    errors = set(op.errors)
    if any(p["in"] == "path" for p in parameters):
        errors |= {403, 404}
    result = {"summary": op.summary, "tags": [op.tag]}
    if op.description:
        result["description"] = op.description
    if parameters:
        result["parameters"] = parameters
    if op.body is not None:
        result["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
        errors |= {400, 415, 422}
    elif op.raw_body is not None:
        media_type, schema = op.raw_body
        result["requestBody"] = {"required": True, "content": {media_type: {"schema": schema}}}
    if anonymous:
        result["security"] = []
    else:
        errors.add(401)
    result["responses"] = {str(status): _answer(answer, refs) for status, answer in sorted(op.answers.items())}
    result["responses"].update({str(status): {"$ref": f"#/components/responses/Error{status}"}
                                for status in sorted(errors)})
    return result


def _path_parameter(name: str, converter: str, description: str | None) -> dict:
    # Flask's int converter takes digits only: anything else matches no route (404).
    schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
    parameter = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _header(header) -> dict:
    schema = {"type": "string"}
    if header.pattern:
        schema["pattern"] = header.pattern
    if header.enum:
        schema["enum"] = list(header.enum)
    parameter = {"name": header.name, "in": "header", "required": header.required, "schema": schema}
    if header.description:
        parameter["description"] = header.description
    return parameter


def _query_parameters(ref: dict, definitions: dict) -> list[dict]:
    """A query model's fields as query parameters. A query string has no null: an optional
    parameter is one that may be left out."""
    schema = definitions["$defs"][ref["$ref"].rsplit("/", 1)[1]]
    parameters = []
    for name, field in schema["properties"].items():
        choices = [option for option in field.get("anyOf", [field]) if option.get("type") != "null"]
        parameters.append({"name": name, "in": "query", "required": name in schema.get("required", ()),
                           "schema": choices[0] if len(choices) == 1 else {"anyOf": choices}})
    return parameters


def _answer(answer: Answer, refs: dict) -> dict:
    result = {"description": answer.description}
    if answer.model is not None:
        result["content"] = {"application/json": {"schema": refs[(answer.model, "serialization")]}}
    elif answer.raw is not None:
        media_type, schema = answer.raw
        result["content"] = {media_type: {"schema": schema}}
    if answer.headers:
        result["headers"] = {name: {"schema": {"type": "string"}} for name in answer.headers}
    return result


def document() -> dict:
    """This app's document, built once."""
    app = current_app._get_current_object()
    if "karya.openapi" not in app.extensions:
        app.extensions["karya.openapi"] = build(app)
    return app.extensions["karya.openapi"]


@bp.get("/openapi.json")
@public
@operation("This document", tag="meta", answers={200: Answer("The OpenAPI document", raw=(
    "application/json", {"type": "object"}))})
def openapi_document():
    # Written as built, not with sorted keys as jsonify does: fields in their declared order.
    return current_app.response_class(json.dumps(document()), mimetype="application/json")

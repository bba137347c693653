"""docs/api.md's reference, rendered from the OpenAPI document.

``python -m workshop.api_reference`` rewrites the part of docs/api.md between
:data:`BEGIN` and :data:`END` (that command builds the whole app, which this package may not
import: the app imports it); ``tests/test_openapi.py`` fails while that part differs
from what the declarations say, so the page cannot drift from the API.
"""

from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- reference: rendered from /api/v1/openapi.json by `python -m workshop.api_reference`; do not edit -->"
END = "<!-- end of reference -->"


def markdown(document: dict) -> str:
    """The operations by tag, each with its parameters, body and answers; then the schemas."""
    prefix = document["servers"][0]["url"]
    out = []
    by_tag: dict[str, list] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            by_tag.setdefault(operation["tags"][0], []).append((method, path, operation))
    for tag, operations in sorted(by_tag.items()):
        out += [f"### {tag.capitalize()}", ""]
        for method, path, operation in operations:
            out += _operation(method, prefix + path, operation)
    out += ["### Error statuses", "", "| status | when |", "|---|---|"]
    for name, response in document["components"]["responses"].items():
        out.append(f"| `{name.removeprefix('Error')}` | {response['description']} |")
    out += ["", "### Schemas", "",
            "Request bodies are strict: `\"5\"` is not a number, nor `\"yes\"` a boolean; fields not listed are "
            "ignored. In answers every field is always present, `null` where marked.", ""]
    for name, schema in document["components"]["schemas"].items():
        out.append(f"- **{name}**: {_schema_line(schema)}")
    return "\n".join(out) + "\n"


def _operation(method: str, path: str, operation: dict) -> list[str]:
    out = [f"#### `{method.upper()} {path}`", "", operation["summary"] + "."
           + (" Public: no token needed." if operation.get("security") == [] else ""), ""]
    if operation.get("description"):
        out += [" ".join(operation["description"].split()), ""]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            continue
        need = "required" if parameter.get("required") else "optional"
        note = f": {parameter['description']}" if parameter.get("description") else ""
        out.append(f"- {parameter['in']} `{parameter['name']}` ({_type(parameter['schema'])}, {need}){note}")
    body = operation.get("requestBody")
    if body:
        media_type, content = next(iter(body["content"].items()))
        out.append(f"- body ({media_type}): {_type(content['schema'])}")
    answers = []
    for status, response in operation["responses"].items():
        if "$ref" in response:
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        answers.append(f"`{status}` {response['description']}" + (f" ({_type(schema)})" if schema else ""))
    out.append("- answers: " + "; ".join(answers))
    errors = [status for status, response in operation["responses"].items() if "$ref" in response]
    if errors:
        out.append("- errors: " + ", ".join(f"`{status}`" for status in errors))
    return out + [""]


def _schema_line(schema: dict) -> str:
    if "enum" in schema:
        return _type(schema)
    required = set(schema.get("required", ()))
    fields = []
    for name, field in schema.get("properties", {}).items():
        text = f"`{name}` {_type(field)}"
        if name not in required:
            text += ", optional"
        if field.get("default") not in (None, [], ""):
            text += f", default `{field['default']}`"
        if field.get("description"):
            text += f" ({field['description']})"
        fields.append(text)
    return "; ".join(fields) if fields else "an object"


def _type(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        text = " or ".join(_type(option) for option in options)
        return text + " or null" if len(options) < len(schema["anyOf"]) else text
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    text = {"integer": "integer", "number": "number", "boolean": "boolean", "string": "string",
            "object": "object"}.get(kind, kind)
    if schema.get("format"):
        text += f" ({schema['format']})"
    limits = []
    if "minimum" in schema:
        limits.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        limits.append(f"≤ {schema['maximum']}")
    if "maxLength" in schema:
        limits.append(f"at most {schema['maxLength']} characters")
    if "pattern" in schema:
        limits.append(f"matching `{schema['pattern']}`")
    return text + (f" ({', '.join(limits)})" if limits else "")


def rewrite(path: Path, document: dict) -> bool:
    """Put the rendered reference into ``path`` between the markers; whether it changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n\n{markdown(document)}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text

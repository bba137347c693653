"""The tus 1.0.0 resumable-upload server at ``/api/v1/uploads``: core protocol,
creation and termination (https://tus.io/protocols/resumable-upload).

The routes live on the API blueprint, so they share its bearer-token and
cookie-plus-CSRF rules. Each one parses the tus headers and calls
:mod:`.service`. Beyond the protocol, a completed upload answers with a
``Karya-Version-Id`` header (on its last PATCH and on HEAD) naming the version it
became, so the browser can go straight to that version's page.
"""

from __future__ import annotations

import base64
import binascii
from contextlib import contextmanager

from flask import Response, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import public, signed_in
from ..api import bp
from ..api.contract import Answer, Header, operation
from ..errors import BadRequest, PreconditionFailed, UnsupportedMediaType
from . import service
from .limits import apply_body_limit, body_limit

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
VERSION_HEADER = "Karya-Version-Id"

# Must run before the API blueprint's CSRF check, which opens the body stream.
bp.before_app_request(apply_body_limit)


# The protocol's headers, as the API's OpenAPI document names them.
RESUMABLE = Header("Tus-Resumable", enum=(TUS_VERSION,))
LENGTH = Header("Upload-Length", pattern="^[0-9]{1,12}$")
METADATA = Header("Upload-Metadata", required=False, description=(
    "`assignment_id` and the file's name as `filename` (or `name`), each as `key base64(value)`"))
OFFSET = Header("Upload-Offset", pattern="^[0-9]{1,12}$")
DONE = Answer("Done; no body")


@bp.route("/uploads", methods=["OPTIONS"])
@bp.route("/uploads/<upload_id>", methods=["OPTIONS"])
@public
@operation("tus discovery: versions, extensions, largest size", tag="uploads", answers={204: DONE})
def tus_options(upload_id: str | None = None):
    """Discovery: what this tus server supports. Says nothing about any upload."""
    return Response(status=204, headers={
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(current_app.config["UPLOAD_MAX_BYTES"]),
    })


@bp.post("/uploads", provide_automatic_options=False)
@signed_in
@operation("tus creation: start a resumable upload (students)", tag="uploads",
           headers=(RESUMABLE, LENGTH, METADATA), errors=(400, 403, 404, 409, 412, 413, 429, 507),
           answers={201: Answer("Created; `Location` is the upload's address", headers=("Location", "Upload-Offset"))})
def tus_create():
    """Creation: a new upload for the assignment named in Upload-Metadata."""
    _require_tus()
    length = _int_header("Upload-Length", _l("Send the file's size in bytes as Upload-Length."))
    upload = service.create_upload(current_user, length=length,
                                   metadata=parse_metadata(request.headers.get("Upload-Metadata", "")))
    response = Response(status=201, headers={
        "Location": url_for("api.tus_head", upload_id=upload.id),
        "Upload-Offset": str(service.current_offset(upload)),
    })
    _add_version(response, upload)
    return response


@bp.route("/uploads/<upload_id>", methods=["HEAD"], provide_automatic_options=False)
@signed_in
@operation("tus: how far the upload has got", tag="uploads", headers=(RESUMABLE,), errors=(410, 412), answers={
    200: Answer("`Upload-Offset`, `Upload-Length`, and `Karya-Version-Id` once complete",
                headers=("Upload-Offset", "Upload-Length", VERSION_HEADER))})
def tus_head(upload_id: str):
    """How far the upload has got, so the client can resume from there."""
    _require_tus()
    upload = service.own_upload(current_user, upload_id)
    response = Response(status=200, headers={
        "Upload-Offset": str(service.current_offset(upload)),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    })
    _add_version(response, upload)
    return response


@bp.patch("/uploads/<upload_id>", provide_automatic_options=False)
@signed_in
@body_limit(lambda config: config["UPLOAD_MAX_BYTES"])
@operation("tus: append bytes at Upload-Offset", tag="uploads", headers=(RESUMABLE, OFFSET),
           raw_body=(OFFSET_CONTENT_TYPE, {"type": "string", "format": "binary"}),
           errors=(400, 409, 410, 412, 413, 415, 507), answers={204: DONE})
def tus_patch(upload_id: str):
    """Append the body at Upload-Offset. The last bytes make the upload a Version."""
    _require_tus()
    if request.mimetype != OFFSET_CONTENT_TYPE:
        raise UnsupportedMediaType(_l(
            "Send the bytes with Content-Type: application/offset+octet-stream."))
    offset = _int_header("Upload-Offset", _l("Send the upload's current position as Upload-Offset."))
    upload = service.own_upload(current_user, upload_id)
    with _read_timeout(current_app.config["UPLOAD_READ_TIMEOUT_S"]):
        upload = service.append(upload, request.stream, offset=offset, content_length=request.content_length)
    response = Response(status=204, headers={"Upload-Offset": str(service.current_offset(upload))})
    _add_version(response, upload)
    return response


@bp.delete("/uploads/<upload_id>", provide_automatic_options=False)
@signed_in
@operation("tus termination: cancel the upload", tag="uploads", headers=(RESUMABLE,), errors=(410, 412),
           answers={204: DONE})
def tus_delete(upload_id: str):
    """Termination: cancel the upload and delete its bytes."""
    _require_tus()
    service.terminate(service.own_upload(current_user, upload_id))
    return Response(status=204)


_TUS_ENDPOINTS = {f"api.{name}" for name in ("tus_options", "tus_create", "tus_head", "tus_patch", "tus_delete")}


@bp.after_request
def _tus_resumable_header(response: Response) -> Response:
    # Every tus response says which protocol version it speaks, errors included.
    if request.endpoint in _TUS_ENDPOINTS:
        response.headers["Tus-Resumable"] = TUS_VERSION
        if response.status_code == 412:
            response.headers["Tus-Version"] = TUS_VERSION
    return response


def parse_metadata(header: str) -> dict[str, str]:
    """Decode ``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (value optional)."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(_l(
                "Upload-Metadata is not valid: each value must be base64 of UTF-8 text."),
                code="bad_metadata") from None
        if not key or key in metadata:
            raise BadRequest(_l(
                "Upload-Metadata is not valid: each key must be given once."), code="bad_metadata")
        metadata[key] = value
    return metadata


@contextmanager
def _read_timeout(seconds: int):
    """Give up on a PATCH body that stops arriving for ``seconds``.

    A phone that walks out of the school's Wi-Fi often leaves a half-open TCP
    connection: no more bytes, and no FIN either. Without a timeout the request
    would wait for ever, holding the upload's lock, and the phone's resumed PATCH
    would be refused as busy. A timed-out read counts as a dropped connection: the
    bytes written so far are kept (the piece being read when time ran out, at most
    1 MiB, may be lost; the client sends it again) and the lock is released. Uses
    the client socket that gunicorn and Werkzeug's server put in the WSGI environ;
    under other servers, their own timeouts apply.
    """
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if sock is None or not seconds:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        sock.settimeout(previous)


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise PreconditionFailed(_l("This server speaks tus 1.0.0: send Tus-Resumable: 1.0.0."),
                                 code="tus_version")


def _int_header(name: str, message) -> int:
    raw = request.headers.get(name, "")
    if not raw.isascii() or not raw.isdigit():
        raise BadRequest(message, header=name, code="bad_header")
    return int(raw)


def _add_version(response: Response, upload) -> None:
    if upload.version_id is not None:
        response.headers[VERSION_HEADER] = str(upload.version_id)

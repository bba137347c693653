"""The plain upload: ``POST /api/v1/assignments/<id>/versions`` with a multipart ``file``.

For small files and scripts (``curl -F file=@draft.mp4``); phones on school
networks should use the resumable tus upload instead. The name kept is the file
part's, unless a ``filename`` (or ``name``) form field gives one.
"""

from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import requires
from ..api import bp
from ..api.contract import Answer, Reply, operation
from ..cohorts.models import Assignment
from ..config import MULTIPART_OVERHEAD
from ..errors import Invalid
from ..filenames import filename_from_metadata
from ..roles import Role
from . import plain
from .limits import body_limit

FORM = ("multipart/form-data", {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary"},
    "filename": {"type": "string", "description": "The file's name, when the part's own is not the real one"}}})


class VersionCreated(Reply):
    version_id: int


@bp.post("/assignments/<int:assignment_id>/versions")
@requires(Role.STUDENT, Assignment)
@body_limit(lambda config: config["FORM_UPLOAD_MAX_BYTES"] + MULTIPART_OVERHEAD)
@operation("Upload a whole file in one request (students)", tag="submissions", raw_body=FORM,
           answers={201: Answer("The new version; `Location` is its address", VersionCreated, headers=("Location",))},
           errors=(400, 403, 409, 413, 422, 507))
def upload_version(assignment: Assignment):
    """Upload a whole file in one request; answers 201 ``{"version_id": ...}``."""
    try:
        # Werkzeug spools file parts over 500 KB to a temporary file, not to memory.
        file = request.files.get("file")
    except RequestEntityTooLarge:
        raise plain.form_too_large(request.max_content_length - MULTIPART_OVERHEAD) from None
    if file is None or not file.filename:
        raise Invalid(_l("Attach the video as the form field 'file'."), field="file")
    # A script posting a bare blob may name it in a field of its own instead.
    filename = filename_from_metadata(request.form) or file.filename
    version = plain.save_form_upload(assignment, current_user, file, filename=filename)
    return VersionCreated(version_id=version.id), 201, {
        "Location": url_for("api.version_detail", version_id=version.id)}

"""The plain upload: ``POST /api/v1/assignments/<id>/versions`` with a multipart ``file``.

For small files and scripts (``curl -F file=@draft.mp4``); phones on school
networks should use the resumable tus upload instead. The name kept is the file
part's, unless a ``filename`` (or ``name``) form field gives one.
"""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import requires
from ..api import bp
from ..cohorts.models import Assignment
from ..config import MULTIPART_OVERHEAD
from ..errors import Invalid
from ..filenames import filename_from_metadata
from ..roles import Role
from . import plain
from .limits import body_limit


@bp.post("/assignments/<int:assignment_id>/versions")
@requires(Role.STUDENT, Assignment)
@body_limit(lambda config: config["FORM_UPLOAD_MAX_BYTES"] + MULTIPART_OVERHEAD)
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
    response = jsonify({"version_id": version.id})
    response.headers["Location"] = url_for("api.version_detail", version_id=version.id)
    return response, 201

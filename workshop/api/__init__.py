"""The JSON API at ``/api/v1``.

Callers authenticate with ``Authorization: Bearer <token>`` (from ``POST
/api/v1/tokens``). The browser's own pages may call it with their session cookie
too, and then every state-changing request must carry the CSRF token in an
``X-CSRFToken`` header, so another site cannot make a signed-in browser act.
"""

from flask import Blueprint, g, request
from flask_login import current_user

from ..access import READ_ONLY_METHODS
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _csrf_for_cookie_sessions():
    if request.method in READ_ONLY_METHODS:
        return
    # Touching current_user runs the loaders: the session first, then the bearer token.
    if current_user.is_authenticated and g.get("api_token") is None:
        csrf.protect()


from . import cohorts, openapi, progress, reviews, sessions, tokens, versions  # noqa: E402,F401  (routes register on import)

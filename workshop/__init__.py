"""Karya: a platform for content-creation training workshops.

``create_app`` is the application factory: web processes, the RQ worker, the
CLI and the tests all build their app with it. It sits above every other module:
it imports the features (inside the functions below, so that importing one module
of the package, which runs this file first, does not import them all) and none of
them imports it.
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from . import config as config_module, jobs


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app from the environment, with ``config`` laid on top.

    Outside the embedded default (``KARYA_EMBEDDED=1``) and tests, a
    ``SECRET_KEY`` must be given: a guessable key would let anyone forge sessions.
    """
    app = Flask(__name__, instance_path=os.environ.get("KARYA_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    _require_secret_key(app)
    from .file_modes import prepare_sqlite_file  # why: see the module docstring (so for each import here)

    prepare_sqlite_file(app.config.get("SQLALCHEMY_DATABASE_URI"))  # 0600 before SQLite makes it

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not (app.config.get("BASE_URL") or app.config["KARYA_EMBEDDED"] or app.testing):
        logging.getLogger("karya").warning(
            "BASE_URL is not set: links in emails will use each request's Host header")
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix  # why: only behind a proxy

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    _init_extensions(app)
    _register_blueprints(app)

    from . import errors, security, templating  # why: assembled here

    errors.register(app)
    templating.register(app)
    app.after_request(security.add_security_headers)

    from .cli import karya_cli  # why: assembled here

    app.cli.add_command(karya_cli)
    return app


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["KARYA_EMBEDDED"]:
        app.config["SECRET_KEY"] = config_module.embedded_secret_key(app.instance_path)
        return
    raise RuntimeError(
        "SECRET_KEY is not set. Set it to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
        "or run the embedded default with 'make run'."
    )


def _init_extensions(app: Flask) -> None:
    from . import access, prepared_statements  # why: assembled here
    from .accounts import auth  # why: assembled here
    from .cohorts.models import Cohort, Membership  # why: assembled here
    from .extensions import babel, csrf, db, login_manager, migrate  # why: assembled here
    from .i18n import select_locale  # why: assembled here
    from . import models  # noqa: F401  why: every model, so that metadata (and Alembic) sees all tables
    from .notifications import service as notifications  # why: assembled here

    db.init_app(app)
    prepared_statements.register(app)  # after db.init_app: see prepared_statements.py
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                     render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    auth.init_login_manager(login_manager, unread_count_of=notifications.unread_count_of)
    notifications.init_app(app)  # queues notification emails when their transaction commits
    access.use_memberships(Membership, Cohort)


def _register_blueprints(app: Flask) -> None:
    from .accounts.routes import bp as accounts_bp  # why: assembled here
    from .api import bp as api_bp  # why: assembled here
    from .assignments.routes import bp as assignments_bp  # why: assembled here
    from .cohorts.routes import admin_bp as cohort_admin_bp, bp as cohorts_bp  # why: assembled here
    from .consent import api as consent_api  # noqa: F401  why: assembled here (its routes join the API blueprint)
    from .consent.guardian_routes import bp as guardian_consent_bp  # why: assembled here
    from .consent.routes import bp as consent_bp  # why: assembled here
    from .dashboard.routes import bp as dashboard_bp  # why: assembled here
    from .health import bp as health_bp  # why: assembled here
    from .invitations.routes import bp as invitations_bp  # why: assembled here
    from .media.routes import bp as media_bp  # why: assembled here
    from .membership.routes import bp as membership_bp  # why: assembled here
    from .notifications.routes import bp as notifications_bp  # why: assembled here
    from .review.routes import bp as review_bp  # why: assembled here
    from .roster.routes import bp as roster_bp  # why: assembled here
    from .sessions.routes import bp as sessions_bp  # why: assembled here
    from .uploads import form, tus  # noqa: F401  why: assembled here (their routes join the API blueprint)

    for blueprint in (accounts_bp, assignments_bp, cohorts_bp, cohort_admin_bp, consent_bp, guardian_consent_bp,
                      dashboard_bp,
                      health_bp, invitations_bp, media_bp, membership_bp, notifications_bp, review_bp,
                      roster_bp, sessions_bp, api_bp):
        app.register_blueprint(blueprint)


# A job run outside worker.py makes its app with the factory (see jobs.py).
jobs.use_factory(create_app)

"""Limits hold under concurrency: many requests at once, over real HTTP, against gunicorn
(two worker processes, four threads each) sharing the test database and Redis.

Counting after the fact lets simultaneous requests all pass the check before any of them
is counted; these tests send the requests together and count what got through.
"""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from workshop.accounts.models import ApiToken
from workshop.extensions import db

from .browser.conftest import karya_served
from .helpers import bearer


@pytest.fixture(scope="module")
def live_server(app, database_url, redis_url, tmp_path_factory):
    """gunicorn with two processes for this module's tests (no media is processed here)."""
    with karya_served(app, database_url, redis_url, tmp_path_factory, processes=2, media_worker=False) as base:
        yield base


def _all_at_once(count: int, send) -> list[int]:
    """Run ``send()`` in ``count`` threads released together; their status codes."""
    start = threading.Barrier(count)

    def one(_):
        start.wait()
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_wrong_passwords_get_no_more_401s_than_the_limit(app, make, live_server):
    user = make.user(email="target@karya.test")
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])

    def guess():
        return requests.post(f"{live_server}/api/v1/tokens", timeout=60,
                             json={"email": user.email, "password": "wrong-guess"}).status_code

    codes = _all_at_once(40, guess)
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= limit, codes
    assert codes.count(429) >= 40 - limit


def test_concurrent_upload_creations_get_no_more_than_the_pending_limit(app, make, live_server):
    cohort = make.cohort(name="Race cohort")
    assignment = make.assignment(cohort, title="Race")
    student = make.user(name="Racer")
    make.member(student, cohort, "student")
    with app.app_context():
        _, raw = ApiToken.issue(db.session.get(type(student), student.id), "race")
        db.session.commit()
    limit = app.config["UPLOAD_MAX_PENDING_PER_USER"]
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in {"assignment_id": str(assignment.id), "filename": "clip.mp4"}.items())

    def create():
        return requests.post(f"{live_server}/api/v1/uploads", timeout=60, headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "1000", "Upload-Metadata": meta, **bearer(raw)}).status_code

    codes = _all_at_once(24, create)
    assert set(codes) <= {201, 429}, codes
    assert codes.count(201) == limit, codes

"""Faults: Redis down during an upload and restarted empty while versions
wait. Nothing is lost: the upload is kept, the version waits as ``queued`` and the
watchdog puts it back in the queue once Redis answers again.

Uses a redis-server of its own (on a fixed port, so it can come back at the same address),
swapped into the test app for the test's length.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta

import pytest
from redis import Redis

from workshop.db_types import utcnow
from workshop.embedded_redis import redis_server_binary
from workshop.submissions.models import VersionState

from .test_processing import _burst, _new_version, _state, make_clip, student_setup  # noqa: F401 (a fixture)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server that can be stopped and started again at the same port, empty each time."""

    def __init__(self, folder):
        self.port, self.folder, self.process = _free_port(), folder, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return self
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # as a crash or a restart without persistence: the queue is gone
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(app, tmp_path):
    server = RedisServer(tmp_path).start()
    saved = {key: app.config[key] for key in ("REDIS_URL",)}
    client = app.extensions.pop("karya_redis", None)
    app.config["REDIS_URL"] = server.url
    yield server
    server.stop()
    app.config.update(saved)
    app.extensions.pop("karya_redis", None)
    if client is not None:
        app.extensions["karya_redis"] = client


def test_an_upload_while_redis_is_down_waits_and_is_processed_after_a_restart(app, own_redis, student_setup,
                                                                              tmp_path, caplog):
    from workshop.extensions import db
    from workshop.media.watchdog import recover_stuck_versions
    from workshop.submissions.models import Version

    _cohort, student, _mentor, assignment = student_setup
    clip = make_clip(tmp_path / "clip.mp4", seconds=1)

    own_redis.stop()
    version_id = _new_version(app, assignment, student, clip)  # the upload finishes while Redis is down
    version = _state(app, version_id)
    assert version.state is VersionState.QUEUED and version.job_id is None
    assert version.original_key  # the upload is safe in storage
    assert "could not queue version" in caplog.text

    # Redis is back (empty); the watchdog finds the version that never reached a queue.
    own_redis.start()
    with app.app_context():
        assert recover_stuck_versions(now=utcnow() + timedelta(minutes=2))["reenqueued"] == [version_id]
    _burst(app)
    assert _state(app, version_id).state is VersionState.READY


def test_versions_queued_before_a_redis_restart_are_processed_after_it(app, own_redis, student_setup, make,
                                                                      tmp_path):
    from workshop.media.watchdog import recover_stuck_versions

    cohort, student, _mentor, assignment = student_setup
    clip = make_clip(tmp_path / "clip.mp4", seconds=1)
    others = []
    for i in range(2):
        other = make.user(email=f"queued{i}@karya.test")
        make.member(other, cohort, "student")
        others.append(other)
    ids = [_new_version(app, assignment, person, clip) for person in [student, *others]]
    assert all(_state(app, i).job_id for i in ids)  # all three reached the queue

    own_redis.stop()
    own_redis.start()  # restarted without persistence: the three jobs are gone
    with app.app_context():
        # During the grace period nothing is touched (a job may simply not have arrived yet) ...
        assert recover_stuck_versions()["reenqueued"] == []
        # ... after it, every lost version is queued again, once.
        later = utcnow() + timedelta(minutes=2)
        assert sorted(recover_stuck_versions(now=later)["reenqueued"]) == sorted(ids)
        assert recover_stuck_versions(now=later)["reenqueued"] == []
    _burst(app)
    assert all(_state(app, i).state is VersionState.READY for i in ids)


# --- the database unreachable for a few seconds ---------------------------------------------

class TcpProxy:
    """Forwards a local port to the database; ``down()`` drops every connection and refuses
    new ones until ``up()``, as a database restart or a network cut does."""

    def __init__(self, target_host: str, target_port: int):
        import threading

        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.is_down = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_down:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self):
        self.is_down = True
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open.clear()

    def up(self):
        self.is_down = False

    def close(self):
        self.down()
        self.listener.close()


@pytest.fixture
def behind_proxy(app, database_url):
    """A second app whose database connections go through a :class:`TcpProxy`: (app, proxy)."""
    from sqlalchemy.engine import make_url

    from workshop import create_app

    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        pytest.skip("needs a database server to cut off (CI runs it on PostgreSQL)")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    cut_off = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "REDIS_URL", "RATELIMIT_STORAGE_URI",
                                                         "MEDIA_ROOT")},
                          "TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                          "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=proxy.port).render_as_string(
                              hide_password=False)})
    try:
        yield cut_off, proxy
    finally:
        proxy.close()
        from workshop.extensions import db

        with cut_off.app_context():
            db.engine.dispose()


def test_a_database_outage_gives_a_clear_message_and_the_site_recovers(behind_proxy, make):
    """Pages and the API answer 503 with a message while the database is unreachable, and work
    again as soon as it is back (the pool checks connections before reusing them)."""
    from .helpers import PASSWORD, login

    cut_off, proxy = behind_proxy
    student = make.user(name="Tari", email="tari@karya.test")
    client = cut_off.test_client()
    login(client, student)
    token = cut_off.test_client().post("/api/v1/tokens", json={"email": student.email,
                                                               "password": PASSWORD}).json["token"]
    assert client.get("/").status_code == 200

    proxy.down()
    page = client.get("/")
    assert page.status_code == 503 and b"Please try again soon" in page.data
    api = cut_off.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"

    proxy.up()
    assert client.get("/").status_code == 200


def test_after_a_database_restart_the_first_page_and_the_first_form_succeed(behind_proxy, app, make):
    """Every pooled connection died in the restart; each is checked before use (pool_pre_ping) and
    replaced, so neither a page read nor a form sent just after the restart fails, and the form's
    change is kept."""
    from workshop.extensions import db
    from workshop.notifications.models import EmailPreference

    from .helpers import login

    cut_off, proxy = behind_proxy
    student = make.user(name="Tari", email="tari@karya.test")
    client = cut_off.test_client()
    login(client, student)
    assert client.get("/").status_code == 200  # the pool now holds a connection

    proxy.down()  # a restart between two requests: nobody saw it happen
    proxy.up()
    assert client.get("/").status_code == 200

    proxy.down()
    proxy.up()
    saved = client.post("/settings/notifications", data={"email": ["version_ready"]})
    assert saved.status_code == 302
    with app.app_context():
        choices = dict(db.session.execute(db.select(EmailPreference.kind, EmailPreference.email)
                                          .where(EmailPreference.user_id == student.id)).all())
    assert choices["version_ready"] is True and choices["review_needed"] is False

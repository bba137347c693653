"""Shared fixtures: a real database and a real Redis for every test.

* Database: PostgreSQL when ``TEST_DATABASE_URL`` is set, else a SQLite file in a
  temporary folder. The schema is built once per run by the Alembic migrations
  themselves (so every run also tests them); rows are removed after each test.
* Redis: ``TEST_REDIS_URL`` when set, else an embedded redis-server. That Redis
  database is flushed after each test, so it is a variable of its own: a shell set
  up with the app's ``REDIS_URL`` never has its queues wiped by a test run.
* ``make test`` runs the suite in two processes (pytest-xdist). Each has its own database
  (``<name>_gw1`` beside the given PostgreSQL database, or its own SQLite file) and its own
  Redis database number, so neither sees the other's rows, queues or rate limits.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, make_url, text

from workshop import create_app
from workshop.embedded_redis import EmbeddedRedis
from workshop.extensions import db as _db
from workshop.media import tools

from .factories import Factory
from .media import clips as clip_recipes


def _worker_number() -> int:
    """Which pytest-xdist process this is (gw0 -> 0, gw1 -> 1); 0 when the suite runs in one."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        parts = urlsplit(url)
        number = int(parts.path.strip("/") or 0) + _worker_number()
        yield urlunsplit(parts._replace(path=f"/{number}"))
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


# SQLite syncs its journal and database to disk at every commit, and the suite commits tens of
# thousands of times; in memory-backed /dev/shm (where there is one) those syncs cost nothing.
# It is the same SQLite, with the same settings.
IN_MEMORY_FILES = Path("/dev/shm")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if not (IN_MEMORY_FILES.is_dir() and os.access(IN_MEMORY_FILES, os.W_OK)):
            yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
            return
        folder = Path(tempfile.mkdtemp(prefix="karya-test-db-", dir=IN_MEMORY_FILES))
        yield f"sqlite:///{folder / 'test.sqlite3'}"
        shutil.rmtree(folder, ignore_errors=True)
        return
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    if _worker_number():
        url = _database_of_its_own(url, _worker_number())
    # Start from an empty schema: the migrations must build everything themselves.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


def _database_of_its_own(url: str, worker: int) -> str:
    """``.../test`` -> ``.../test_gw1``, created on the same server when it is not there yet."""
    given = make_url(url)
    own = given.set(database=f"{given.database}_gw{worker}")
    server = create_engine(given, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": own.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "MEDIA_ROOT": str(instance / "media"),
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # Cheap Argon2 parameters: the suite hashes hundreds of passwords.
        # test_accounts.py checks that the real configuration keeps argon2-cffi's defaults.
        "PASSWORD_HASH_PARAMS": (1, 8, 1),
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Each test starts with empty tables (but the default checklist templates) and an empty Redis database."""
    yield
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Fail loudly, not hang, if something still holds a transaction open.
                conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                # DELETE, children first, and the sequences restarted (as TRUNCATE ... RESTART
                # IDENTITY would): on tables of a few rows, TRUNCATE's new files cost ~110 ms a
                # test and this one round trip ~8 ms.
                sequences = conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars()
                conn.exec_driver_sql("; ".join([f"DELETE FROM {table}" for table in tables]
                                               + [f"ALTER SEQUENCE {name} RESTART" for name in sequences]))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
        from workshop.redis_conn import get_redis
        from workshop.review.defaults import install_default_templates

        install_default_templates()  # site-wide rows the migration put in, as on a real site
        get_redis(app).flushdb()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def make(app):
    """Rows made directly in the database (tests/factories.py)."""
    return Factory(app)


# --- real media, generated once per session (tests/media/clips.py) ---------------------

def pytest_report_header(config):
    """Which ffmpeg/ffprobe the media tests run, and why (the app's own locator picks them)."""
    lines = []
    for name in tools.NAMES:
        try:
            found = tools.choose(name)
            lines.append(f"{name}: {found.path} ({found.version}): {found.reason}")
        except tools.ToolMissing as exc:
            lines.append(f"{name}: {exc}")
    return lines


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    """The ffmpeg the app would run here (tools.choose): FFMPEG_PATH, else PATH when new
    enough, else the bundled build."""
    return tools.locate("ffmpeg")


@pytest.fixture(scope="session")
def ffprobe() -> str:
    """The ffprobe the app would run here, chosen as :func:`ffmpeg` is."""
    return tools.locate("ffprobe")


# Where a real ffmpeg older than the floor may be installed: Debian 12's 5.1 (apt-get
# install ffmpeg), moved aside so that it is not first on everyone's PATH.
OLD_FFMPEG_DIRS = ("/opt/debian-ffmpeg/bin", "/usr/bin", "/usr/local/bin")


@pytest.fixture(scope="session")
def old_ffmpeg_dir() -> Path:
    """A folder with a real ffmpeg and ffprobe older than tools.MINIMUM_VERSION (``OLD_FFMPEG_DIR``
    or one of :data:`OLD_FFMPEG_DIRS`); the test is skipped, saying so, when there is none."""
    for folder in (os.environ.get("OLD_FFMPEG_DIR"), *OLD_FFMPEG_DIRS):
        if not folder:
            continue
        programs = [os.path.join(folder, name) for name in tools.NAMES]
        if all(os.access(p, os.X_OK) and tools.new_enough(tools.version_of(p)) is False for p in programs):
            return Path(folder)
    pytest.skip(f"no real ffmpeg/ffprobe older than {tools.MINIMUM_TEXT} installed (on Debian 12, "
                "apt-get install ffmpeg gives 5.1; set OLD_FFMPEG_DIR to the folder holding it)")


@pytest.fixture(scope="session")
def clips(ffmpeg, tmp_path_factory) -> Path:
    """The folder holding every clip of ``tests/media/clips.py``, made once for the run: the
    first of the suite's processes to need them makes them while the others wait."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, holding each process's own (popen-gw0, ...)
    folder, done = shared / "clips", shared / "clips.done"
    with open(shared / "clips.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            clip_recipes.generate(ffmpeg, folder)
            done.touch()
    return folder


# Modules that take tens of seconds (real browsers, workers killed mid-job, `make run`), longest
# first. They are started first, so that when the suite runs in two processes the short tests
# fill in at the end, instead of one process working through a long module alone.
LONG_RUNNING = (
    "tests/browser/", "tests/test_worker_kill.py", "tests/test_checks_job.py", "tests/test_embedded.py",
)
# Run in one process, one after another: they share one live server (tests/browser/conftest.py).
TOGETHER = ("tests/browser/",)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(LONG_RUNNING) if path.startswith(prefix)), len(LONG_RUNNING))

    items.sort(key=rank)  # stable: each module keeps its own order


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook; absent when xdist is
def pytest_xdist_make_scheduler(config, log):
    """`make test`'s --dist loadscope, with the modules of TOGETHER sent out as one unit.

    (xdist's own grouping, --dist loadgroup, renames each test by setting ``Node._nodeid``,
    which pytest 9 no longer has: there every test becomes a group of its own.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesWithTheBrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((prefix for prefix in TOGETHER if path.startswith(prefix)), super()._split_scope(nodeid))

    return ModulesWithTheBrowserTestsTogether(config, log)

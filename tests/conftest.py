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
from workshop.redis_conn import get_redis
from workshop.review.defaults import install_default_templates

from . import test_processing as processing_tests
from .factories import Factory
from .helpers import CHEAP_PASSWORD_HASH_PARAMS
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
        "PASSWORD_HASH_PARAMS": CHEAP_PASSWORD_HASH_PARAMS,
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app


# The site-wide default checklist templates are on every site. Each test starts with the
# rows install_default_templates makes, read once a run: they are kept while no test changed
# them, and put back as read otherwise (adding them through the ORM for each test cost more
# than all the rest of the emptying).
KEPT_TABLES = ("checklist_templates", "checklist_items")


def _rows_of(names) -> dict[str, list]:
    with _db.engine.connect() as conn:
        return {name: conn.execute(_db.metadata.tables[name].select().order_by(text("id"))).all() for name in names}


def _empty_tables(keep: dict[str, list] | None) -> None:
    """Delete every row, children first, but those of ``keep`` (table -> its rows); on
    PostgreSQL the sequences start again as after TRUNCATE ... RESTART IDENTITY, the kept
    tables' after their rows."""
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    kept_ids = {name: [row.id for row in rows] for name, rows in (keep or {}).items()}
    statements = [f"DELETE FROM {table} WHERE id NOT IN ({', '.join(map(str, kept_ids[table]))})"
                  if kept_ids.get(table) else f"DELETE FROM {table}" for table in tables]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Fail loudly, not hang, if something still holds a transaction open.
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))
            # DELETE, children first, and the sequences restarted: on tables of a few rows,
            # TRUNCATE's new files cost ~110 ms a test and this one round trip ~8 ms.
            sequences = conn.execute(text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars()
            conn.exec_driver_sql("; ".join(
                statements + [f"ALTER SEQUENCE {name} RESTART" for name in sequences]
                + [f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {max(ids)})"
                   for table, ids in kept_ids.items() if ids]))
        else:
            for statement in statements:
                conn.execute(text(statement))


def _restore_kept_rows(kept: dict[str, list]) -> None:
    """Put the kept tables back as they were read, if a test changed a row of theirs."""
    if _rows_of(kept) == kept:
        return
    _empty_tables(keep=None)
    with _db.engine.begin() as conn:
        for name in KEPT_TABLES:  # parents first
            if kept[name]:
                conn.execute(_db.metadata.tables[name].insert(), [row._asdict() for row in kept[name]])
        if conn.dialect.name == "postgresql":
            for name, rows in kept.items():
                if rows:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {rows[-1].id})"))


@pytest.fixture(scope="session")
def _default_rows(app) -> dict[str, list]:
    """The rows of KEPT_TABLES each test starts with: the default templates on empty tables."""
    with app.app_context():
        _empty_tables(keep=None)
        install_default_templates()  # site-wide rows the migration put in, as on a real site
        return _rows_of(KEPT_TABLES)


@pytest.fixture(autouse=True)
def _clean_state(app, _default_rows):
    """Each test starts with empty tables (but the default checklist templates) and an empty Redis database."""
    yield
    with app.app_context():
        _db.session.remove()
        _empty_tables(keep=_default_rows)
        _restore_kept_rows(_default_rows)
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


def _run_folder(tmp_path_factory) -> Path:
    """The temporary folder that the suite's processes of this run share."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, holding each process's own (popen-gw0, ...)
    return shared


@pytest.fixture(scope="session", autouse=True)
def _made_clips_kept(tmp_path_factory):
    """``make_clip`` (tests/test_processing.py) encodes each clip once a run, kept here."""
    folder = _run_folder(tmp_path_factory) / "made-clips"
    folder.mkdir(exist_ok=True)
    processing_tests.MADE_CLIPS = folder
    yield
    processing_tests.MADE_CLIPS = None


@pytest.fixture(scope="session")
def clips(ffmpeg, tmp_path_factory) -> Path:
    """The folder holding every clip of ``tests/media/clips.py``, made once for the run: the
    first of the suite's processes to need them makes them while the others wait."""
    shared = _run_folder(tmp_path_factory)
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
    "tests/browser/test_every_page.py", "tests/browser/", "tests/test_worker_kill.py", "tests/test_checks_job.py",
    "tests/test_embedded.py",
)
# Run in one process, one after another: they share one live server (tests/browser/conftest.py).
# The audit of every page (a minute and a half of one browser) is a group of its own, so that it
# runs beside the other browser tests in the other process, with a live server of its own there.
TOGETHER = {"tests/browser/test_every_page.py": "browser-audit", "tests/browser/": "browser"}


def xdist_group_of(nodeid: str) -> str:
    """The group a test goes out in under ``--dist loadgroup``: its module, or the group of the
    folder in TOGETHER holding it."""
    path = nodeid.split("::", 1)[0]
    return next((group for folder, group in TOGETHER.items() if path.startswith(folder)), path)


# First: pytest-xdist reads the marks in its own hook of this name, which would otherwise run
# before this one (a conftest's hooks run after a plugin's registered earlier).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Orders the tests (LONG_RUNNING first) and marks each with its group (``make test``'s
    ``--dist loadgroup --no-loadscope-reorder`` sends the groups out in that order)."""
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(LONG_RUNNING) if path.startswith(prefix)), len(LONG_RUNNING))

    items.sort(key=rank)  # stable: each module keeps its own order
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group_of(item.nodeid)))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook; absent when xdist is
def pytest_xdist_node_collection_finished(node, ids):
    """Stop at once when ``--dist loadgroup`` would not group: pytest-xdist names each test's
    group after an ``@`` in the test ids it reports, and with a pytest whose test ids it cannot
    extend (pytest 9.2 with pytest-xdist 3.8) every test would go out alone, spreading the
    browser tests over both processes, each with a live server of its own."""
    if node.config.getvalue("dist") == "loadgroup" and ids and not all("@" in nodeid for nodeid in ids):
        pytest.exit("--dist loadgroup does not group the tests with this pytest and pytest-xdist "
                    "(the test ids carry no @group): use the versions requirements-dev.txt pins", returncode=4)

"""A real Karya for the browser: gunicorn and an RQ worker as separate processes,
sharing the test database and Redis, driven through Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from ..helpers import CHEAP_PASSWORD_HASH_PARAMS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
LIVE: dict[str, tuple] = {}  # base URL -> (worker process, its log file)
WEB_LOGS: dict[str, Path] = {}  # base URL -> the web server's log, where emails are printed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is missing; 'make test' installs it (apt-get install chromium)")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@contextmanager
def karya_served(app, database_url, redis_url, tmp_path_factory, *, processes: int = 1, media_worker: bool = True):
    """Base URL of gunicorn serving Karya (``processes`` of four threads each; one is enough for
    a few browser pages at once), with one worker processing media unless ``media_worker`` is
    False; they stop when the block ends. Passwords are hashed as in the test process
    (:data:`~tests.helpers.CHEAP_PASSWORD_HASH_PARAMS`), so that each log-in of a person the
    tests made neither costs a full Argon2 hash nor rehashes the password with one."""
    port = _free_port()
    env = {**os.environ, "SECRET_KEY": "browser-test-secret", "DATABASE_URL": database_url,
           "REDIS_URL": redis_url, "MEDIA_ROOT": app.config["MEDIA_ROOT"], "SESSION_COOKIE_SECURE": "0",
           "KARYA_INSTANCE_PATH": str(tmp_path_factory.mktemp("live-instance")),
           # WhatsApp messages are printed to the worker's log, never sent: its settings show.
           "WHATSAPP_PRINT": "1"}
    env.pop("KARYA_EMBEDDED", None)
    logs = tmp_path_factory.mktemp("live-logs")
    # gunicorn calls the factory with these literal arguments.
    factory = f"workshop:create_app({{'PASSWORD_HASH_PARAMS': {CHEAP_PASSWORD_HASH_PARAMS!r}}})"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(processes),
         "--worker-class", "gthread", "--threads", "4", "--no-control-socket", factory],
        cwd=ROOT, env=env, stdout=open(logs / "web.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    started = [web]
    base = f"http://127.0.0.1:{port}"
    WEB_LOGS[base] = logs / "web.log"
    if media_worker:
        worker = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                                  stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        started.append(worker)
        LIVE[base] = (worker, logs / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                break
            except OSError:
                assert web.poll() is None, (logs / "web.log").read_text()
                time.sleep(0.2)
        yield base
    finally:
        for proc in started:
            os.killpg(proc.pid, 15)
        for proc in started:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)


# Package scope: one server for all the browser tests (starting gunicorn and a worker costs
# seconds of CPU), stopped when they are done, so that it never holds database connections
# while other tests empty the tables, nor takes their jobs off the queue. `make test` sends
# the browser tests to one process together (tests/conftest.py groups them).
@pytest.fixture(scope="package")
def live_server(app, database_url, redis_url, tmp_path_factory):
    with karya_served(app, database_url, redis_url, tmp_path_factory) as base:
        yield base


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Contexts:
    """Browser contexts, each kept for the session and lent to one test at a time.

    Making a context costs Chromium about 0.7 s of CPU (a renderer process, a profile), and the
    browser tests open dozens. A context given back is emptied of what a site can keep in it
    (cookies, and through the DevTools protocol the live servers' storage: local and session
    storage, IndexedDB, caches; Uppy keeps its resumable uploads there), so the next test gets
    one that Karya cannot tell from a new one. Each language has its own: the locale and the
    Accept-Language header are set when a context is made.
    """

    def __init__(self, browser):
        self.browser = browser
        self.idle: dict[str, list] = {}

    def page(self, language: str, width: int, height: int):
        """A page of a context of ``language`` that no other page of this test uses."""
        idle = self.idle.setdefault(language, [])
        context = idle.pop() if idle else self.browser.new_context(
            locale="id-ID" if language == "id" else "en-US", extra_http_headers={"Accept-Language": language})
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        return page

    def give_back(self, page, language: str) -> None:
        context = page.context
        try:
            cleaner = context.new_cdp_session(page)
            for base in WEB_LOGS:
                cleaner.send("Storage.clearDataForOrigin", {"origin": base, "storageTypes": "all"})
            cleaner.detach()
            context.clear_cookies()
            context.clear_permissions()
            for open_page in context.pages:
                open_page.close()
        except PlaywrightError:
            context.close()  # closed or crashed in the test: the next one gets a new context
            return
        self.idle[language].append(context)


@pytest.fixture(scope="session")
def contexts(browser):
    return Contexts(browser)


@pytest.fixture
def page_in(contexts):
    """``page_in("id")`` opens a phone-sized page whose browser prefers that language, in a
    context of its own: as a new one, without cookies or storage (:class:`Contexts`). Each call
    gives another context, so a test can be two people at once."""
    lent = []

    def open_page(language: str = "en", *, width: int = 412, height: int = 915):
        page = contexts.page(language, width, height)
        lent.append((page, language))
        return page

    yield open_page
    for page, language in lent:
        contexts.give_back(page, language)


def screenshot(page, name: str, *, jpeg: bool = False) -> Path:
    """Keep a screenshot as a test artefact (test-artifacts/screenshots/). ``jpeg`` for tests
    that keep hundreds: Chromium encodes a long page as JPEG in a fraction of a PNG's time."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.{'jpg' if jpeg else 'png'}"
    options = {"path": str(path), "full_page": True, **({"type": "jpeg", "quality": 80} if jpeg else {})}
    try:
        page.screenshot(**options)
    except PlaywrightError:
        # Chromium refuses a capture while the page is between documents (the version page
        # reloads itself when processing ends, which can fall on the moment of the capture).
        # The artefact is for people to look at; take it again once the page has settled.
        page.wait_for_load_state("load")
        page.screenshot(**options)
    return path


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now, one line each.

    axe comes from the npm registry (package-lock.json pins it). It is evaluated through the
    DevTools protocol, which the page's Content-Security-Policy does not govern, so the page
    is audited exactly as served. A context that visits many pages can load it once for all of
    them (``context.add_init_script(path=AXE)``); it is then not sent again.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;0")
    # Every rule runs: axe's public API does not say which impact a rule can have.
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in impacts]


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(base + "/")


def emailed(base: str, to: str, pattern: str) -> re.Match:
    """``pattern``'s match in the newest email to ``to`` that has one, as the live server
    printed it in its log (the tests set no mail server)."""
    mails = WEB_LOGS[base].read_text(errors="replace").split("email (no MAIL_SERVER set, so printed here)")
    for mail in reversed(mails):
        match = re.search(pattern, mail)
        if f"To: {to}\n" in mail and match:
            return match
    raise AssertionError(f"nothing like {pattern!r} emailed to {to}")


def emailed_link(base: str, to: str, kind: str) -> str:
    """The newest ``/<kind>/...`` link emailed to ``to`` by the live server."""
    return emailed(base, to, rf"https?://\S+/{kind}/\S+").group(0)


def worker_diagnosis(base: str) -> str:
    """The stacks of the live worker and its work horses (worker.py dumps them on SIGUSR1)
    and the end of its log: what a test that waited in vain for processing should show."""
    import signal as signals

    import psutil

    worker, log = LIVE[base]
    for process in [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]:
        try:
            if "python" in process.name():
                process.send_signal(signals.SIGUSR1)
        except psutil.Error:
            pass
    time.sleep(1)
    return log.read_text(errors="replace")[-12000:]


def wait_until(page, expression: str, timeout_s: float = 30) -> None:
    """Poll ``expression`` in the page until it is true. Playwright's ``wait_for_function``
    compiles a polled predicate inside the page, which Karya's Content-Security-Policy (no
    'unsafe-eval') refuses whenever the first check is false; ``evaluate`` goes through the
    DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s:.0f} s: {expression}"
        page.wait_for_timeout(100)


def wait_for_player(page, base: str, timeout_ms: int = 120_000) -> None:
    """Wait for the ready player on a version page; on timeout, fail with the worker's state."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector("video#video", timeout=timeout_ms)
    except PlaywrightTimeout:
        pytest.fail(f"the version did not become ready in {timeout_ms / 1000:.0f} s; worker:\n"
                    + worker_diagnosis(base))

"""``make run``: Karya on one machine with nothing but Python.

Starts an embedded Redis (unless ``REDIS_URL`` is set), brings the SQLite
database (or ``DATABASE_URL``) up to date, seeds the demo cohort on an empty
database, then runs one RQ worker and the web server until Ctrl-C, which stops
all of them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flask_migrate import upgrade

from . import create_app
from .accounts.models import User
from .demo import DEMO_JOIN_CODE, DEMO_PASSWORD, DEMO_PEOPLE, DemoRefused, seed_demo
from .embedded_redis import EmbeddedRedis
from .extensions import db
from .file_modes import private_dirs
from .media import tools

ROOT = Path(__file__).resolve().parent.parent


def _prepare_database(env: dict) -> list[str]:
    """Upgrade the schema and seed the demo; return lines to print about logins."""
    os.environ.update(env)
    app = create_app()
    with app.app_context():
        upgrade()
        try:
            seed_demo()
        except DemoRefused:
            count = db.session.scalar(db.select(db.func.count(User.id)))
            return [f"  (this database has {count} real account(s); no demo accounts were added)"]
    return [f"  {role.value:8} {email}  password: {DEMO_PASSWORD}" for email, _name, role in DEMO_PEOPLE]


def _media_tools() -> list[str]:
    """Which ffmpeg and ffprobe the worker will run, and why; exits when ``FFMPEG_PATH``
    or ``FFPROBE_PATH`` names one too old (a setting someone made is not silently overridden)."""
    lines = []
    for name in tools.NAMES:
        try:
            found = tools.choose(name)
        except tools.ToolTooOld as exc:
            raise SystemExit(f"Karya cannot start: {exc}") from None
        except tools.ToolMissing as exc:
            lines.append(f"  {name}: none usable, so uploads will not be processed ({exc})")
            continue
        lines.append(f"  {name} {found.version} at {found.path}\n    because: {found.reason}")
    return lines


def _wait_until_serving(port: int, children: list[subprocess.Popen], timeout: float = 60) -> None:
    """Return once the web server accepts connections; fail if a child dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit("a Karya process exited during start-up; see the messages above")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the web server did not start listening on port {port}")


def _exit_on_sigterm(_signum, _frame):
    raise SystemExit(0)  # runs the clean-up in main()'s finally, as Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # A shell that starts us in the background ignores SIGINT; Ctrl-C must still work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    instance = Path(os.environ.get("KARYA_INSTANCE_PATH") or ROOT / "instance")
    private_dirs(instance, instance)  # the database, media and secret key live here
    env = {"KARYA_EMBEDDED": "1", "KARYA_INSTANCE_PATH": str(instance)}
    port = os.environ.get("PORT", "5000")
    if not os.environ.get("BASE_URL"):
        # The worker builds the links in notification emails and has no request to take a host from.
        env["BASE_URL"] = f"http://127.0.0.1:{port}"

    media_tools = _media_tools()  # before anything starts, so a refusal leaves nothing running
    redis = None
    if not os.environ.get("REDIS_URL"):
        redis = EmbeddedRedis(instance / "redis").start()
        env["REDIS_URL"] = redis.url
    children: list[subprocess.Popen] = []
    try:
        logins = _prepare_database(env)
        child_env = {**os.environ, **env}
        python = sys.executable
        children.append(subprocess.Popen([python, str(ROOT / "worker.py")], env=child_env, cwd=ROOT))
        children.append(subprocess.Popen(
            [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
             "--graceful-timeout", "10", "--no-control-socket",
             "--access-logfile", "-", "workshop:create_app()"],
            env=child_env, cwd=ROOT,
        ))
        _wait_until_serving(int(port), children)
        print("\n" + "=" * 64)
        print(f"Karya is running at http://127.0.0.1:{port}")
        print(f"Demo logins (students can also sign up with join code {DEMO_JOIN_CODE}):")
        print("\n".join(logins))
        print("Video processing uses:")
        print("\n".join(media_tools))
        print("Emails (password resets, notifications) and WhatsApp messages are printed in this terminal.")
        print("Press Ctrl-C to stop the web server, the worker and Redis.")
        print("=" * 64 + "\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1  # one of them died on its own
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())

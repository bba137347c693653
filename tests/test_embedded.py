"""`make run`'s launcher: serves the app with a worker and Redis, and Ctrl-C stops them all."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_in(base: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "karya-demo"}).encode()
    return opener.open(f"{base}/login", data=body, timeout=10).read().decode()


def test_embedded_default_serves_demo_logins_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY", "KARYA_EMBEDDED")}
    env.update(PORT=str(port), KARYA_INSTANCE_PATH=str(tmp_path / "instance"))
    launcher = subprocess.Popen([sys.executable, "-m", "workshop.embedded"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    output = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            output.append(line)
            if "Press Ctrl-C" in line or launcher.poll() is not None:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}" in text, text
        assert "student@karya.test" in text
        # Which ffmpeg the worker will run, and why (the locator's reason).
        assert re.search(r"ffmpeg \S+ at /\S+/ffmpeg\n\s+because: \S", text), text
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        for email in ("lead@karya.test", "mentor@karya.test", "student@karya.test"):
            home = _log_in(base, email)
            assert "Demo cohort" in home, email
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert any("worker.py" in " ".join(c.cmdline()) for c in children)
        assert any("redis-server" in " ".join(c.cmdline()) for c in children)
    finally:
        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        launcher.wait(timeout=60)
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(tmp_path) in " ".join(p.info["cmdline"] or [])], "a child outlived Ctrl-C"


def test_an_ffmpeg_path_too_old_stops_make_run_before_anything_starts(tmp_path, old_ffmpeg_dir):
    old = str(old_ffmpeg_dir / "ffmpeg")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "KARYA_EMBEDDED")}
    env.update(PORT=str(_free_port()), KARYA_INSTANCE_PATH=str(tmp_path / "instance"), FFMPEG_PATH=old)
    done = subprocess.run([sys.executable, "-m", "workshop.embedded"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Karya cannot start: FFMPEG_PATH ffmpeg" in done.stderr and old in done.stderr, done.stderr
    assert "older than" in done.stderr
    assert not (tmp_path / "instance" / "redis").exists()  # refused before Redis was started

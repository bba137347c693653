"""Benchmark: 1 GiB through the tus endpoint of a real gunicorn web process.

    make bench-upload                  # or: .venv/bin/python bench/upload.py --size-mib 1024

Sets up a throw-away embedded-style site (temporary instance folder, SQLite, an
embedded Redis, the demo cohort), starts gunicorn with the upload pool's settings
(``deploy/gunicorn_transfers.py``) on one process, and
uploads generated random data with the tuspy client in chunks. Prints the
throughput and the web worker's peak RSS growth over its resident size before
the upload, sampled every 20 ms with psutil. The target for the growth is at most
50 MB whatever the file size: the server streams each PATCH to disk in 1 MiB
pieces and never holds a chunk, let alone the file, in memory. Exits 1 when the
target is missed. Processing is queued on Redis, but no worker runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests
from tusclient import client as tus_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.embedded_redis import EmbeddedRedis  # noqa: E402

MiB = 1024 * 1024
RSS_TARGET_MB = 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare_site(env: dict) -> None:
    """Migrate the SQLite database and seed the demo cohort, in this process."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from workshop import create_app
    from workshop.demo import seed_demo

    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo()


def _generate(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path`` in 8 MiB pieces; return their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            piece = os.urandom(min(8 * MiB, left))
            digest.update(piece)
            out.write(piece)
            left -= len(piece)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while piece := source.read(8 * MiB):
            digest.update(piece)
    return digest.hexdigest()


def _wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            # Any answer will do: /healthz says 503 here, since no RQ worker runs.
            requests.get(f"{url}/healthz", timeout=60)  # a busy machine can take a while to load the app
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start serving in time")


class RssSampler(threading.Thread):
    """Samples the resident set size of one process until stopped; keeps the peak."""

    def __init__(self, pid: int, every_s: float = 0.02):
        super().__init__(daemon=True)
        self.process, self.every_s = psutil.Process(pid), every_s
        self.peak = self.process.memory_info().rss
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every_s):
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.samples += 1

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def _upload(base: str, auth: dict, path: Path, assignment_id: int, chunk_size: int):
    client = tus_client.TusClient(f"{base}/api/v1/uploads", headers=auth)
    uploader = client.uploader(str(path), chunk_size=chunk_size,
                               metadata={"assignment_id": str(assignment_id), "filename": path.name})
    uploader.upload()
    return uploader


def main() -> int:
    """Run the benchmark; print the figures; exit 1 when the memory target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="how much to upload (default 1024)")
    parser.add_argument("--chunk-mib", type=int, default=16, help="tus PATCH size (default 16)")
    args = parser.parse_args()
    size, chunk = args.size_mib * MiB, args.chunk_mib * MiB

    with tempfile.TemporaryDirectory(prefix="karya-bench-upload-") as tmp:
        tmp = Path(tmp)
        redis = EmbeddedRedis(tmp / "redis").start()
        server = None
        try:
            env = {"KARYA_EMBEDDED": "1", "KARYA_INSTANCE_PATH": str(tmp / "instance"),
                   "DATABASE_URL": f"sqlite:///{tmp / 'instance' / 'karya.sqlite3'}",
                   "MEDIA_ROOT": str(tmp / "instance" / "media"), "REDIS_URL": redis.url}
            (tmp / "instance").mkdir()
            _prepare_site(env)
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                # The transfer pool's production settings, on one process so its RSS is the figure.
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_transfers.py", "--bind",
                 f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
                env={**os.environ, **env}, cwd=ROOT)
            _wait_until_serving(base, server)
            [worker] = psutil.Process(server.pid).children()

            from workshop.demo import DEMO_PASSWORD

            token = requests.post(f"{base}/api/v1/tokens", json={
                "email": "student@karya.test", "password": DEMO_PASSWORD}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            me = requests.get(f"{base}/api/v1/me", headers=auth).json()
            assignment_id = me["cohorts"][0]["assignments"][0]["id"]

            print(f"generating {args.size_mib} MiB of random data ...", flush=True)
            source = tmp / "source.bin"
            expected = _generate(source, size)
            # A small upload first, so that every code path is imported and warm in the worker.
            warm = tmp / "warm.bin"
            _generate(warm, 2 * MiB)
            _upload(base, auth, warm, assignment_id, MiB)

            baseline = worker.memory_info().rss
            sampler = RssSampler(worker.pid)
            sampler.start()
            started = time.perf_counter()
            uploader = _upload(base, auth, source, assignment_id, chunk)
            elapsed = time.perf_counter() - started
            peak = sampler.stop()

            version_id = uploader.request.response_headers.get("karya-version-id")
            stored = tmp / "instance" / "media" / "versions" / str(version_id) / "original"
            intact = stored.is_file() and _sha256(stored) == expected
            growth_mb = (peak - baseline) / 1e6
            print()
            print(f"uploaded           {args.size_mib} MiB in {args.chunk_mib} MiB tus chunks "
                  f"({-(-size // chunk)} PATCH requests) to gunicorn (1 gthread worker)")
            print(f"time               {elapsed:.2f} s")
            print(f"throughput         {size / elapsed / 1e6:.0f} MB/s ({size / elapsed / MiB:.0f} MiB/s)")
            print(f"worker RSS         {baseline / 1e6:.1f} MB before, {peak / 1e6:.1f} MB peak "
                  f"({sampler.samples} samples)")
            print(f"peak RSS growth    {growth_mb:.1f} MB (target <= {RSS_TARGET_MB} MB: "
                  f"{'met' if growth_mb <= RSS_TARGET_MB else 'MISSED'})")
            print(f"stored file        version {version_id}, "
                  f"{'identical to the source (SHA-256)' if intact else 'DIFFERENT FROM THE SOURCE'}")
            return 0 if growth_mb <= RSS_TARGET_MB and intact else 1
        finally:
            if server is not None and server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())

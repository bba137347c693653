"""End-to-end media latency, as a student sees it (``make bench-media``, after bench/media.py).

    .venv/bin/python bench/latency.py              # 5 rounds, 20 s and 60 s clips
    .venv/bin/python bench/latency.py --quick      # 2 rounds, the 20 s clips only

Sets up a throw-away site (temporary instance folder, SQLite, an embedded Redis, the
demo cohort), starts gunicorn with the transfer pool's settings and one real
``worker.py`` process, and then, per round and per clip length, interleaved in
alternating order:

* **bare** — the plain transcode a person would run by hand on the same file:
  ``ffmpeg -i clip -vf scale=-2:1280 -c:v libx264 -preset veryfast -crf 23
  -c:a aac -b:a 128k -movflags +faststart out.mp4``;
* **upload → ready** — the same file sent through tus over HTTP (tuspy) as the
  demo student, polled through ``GET /api/v1/versions/<id>`` until it says ``ready``,
  timed from the enqueue of its job (inside the last PATCH) to the commit of ``ready``;
* **remux → ready** — a web-safe portrait clip of the same length, uploaded the
  same way (the stream-copy path).

After each upload the benchmark waits, untimed, until the version's automatic checks
are done: every version's checks job decodes the whole clip after it is ready, and
would otherwise run beside the next measurement.

The clips are generated phone clips: 1920×1080 H.264 High at about 14 Mbit/s with
48 kHz AAC, stored landscape with a -90° display matrix as phones write a portrait
video (so the job must rotate and scale), and web-safe 720×1280 clips for the remux
path. They are made once into ``instance/bench-media/`` (ignored by git).

Each ratio is a round's own time over that round's bare transcode of the same length
(runs seconds apart cancel the drift of a shared machine); the median and range over
the rounds are printed. Targets: upload → ready ≤ 1.05 × bare; remux ≤ 0.05 × bare.
The worker logs a timeline of each job (``workshop/media/jobs.py``); the medians of
its phases are printed too, so a fixed cost shows where it sits.

The time of an upload is the job's own, from the worker's timeline of that version: from
the web process's enqueue (inside the last PATCH, before it is answered) to the commit of the
ready state, on this machine's clock. The API is polled every 250 ms, as a phone polls, to
know when to read it; timing the job by polling every few milliseconds instead took the CPU
of a request each time from the transcode being measured.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from tusclient import client as tus_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.upload import _free_port, _prepare_site, _wait_until_serving  # noqa: E402
from workshop.embedded_redis import EmbeddedRedis  # noqa: E402
from workshop.media.tools import locate  # noqa: E402

CACHE = ROOT / "instance" / "bench-media"
LENGTHS = (20, 60)
TARGET, REMUX_TARGET = 1.05, 0.05
POLL_S = 0.25
MiB = 1024 * 1024
TIMELINE = re.compile(r"version (\d+) timeline \((\w+)\): (.*)$")
PHASE = re.compile(r"(\w+) (\d+) ms")


def _phone_args(seconds: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-g", "30", "-b:v", "14M", "-maxrate", "16M", "-bufsize", "16M",
            "-c:a", "aac", "-ac", "2", "-b:a", "192k"]


def _websafe_args(seconds: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size=720x1280:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-g", "30", "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-movflags", "+faststart"]


def make_clip(ffmpeg: str, kind: str, seconds: int) -> Path:
    """The cached clip, generated on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (f"phone-portrait-{seconds}s.mp4" if kind == "phone" else f"websafe-portrait-{seconds}s.mp4")
    if path.exists():
        return path
    print(f"generating {path} (once)...", flush=True)
    partial = path.with_name("partial-" + path.name)
    args = _phone_args(seconds) if kind == "phone" else _websafe_args(seconds)
    subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-y", *args, "-shortest", str(partial)], check=True)
    if kind == "phone":
        # A phone stores a portrait video as landscape pixels plus a display matrix that
        # turns it upright: copy the streams with that matrix added.
        rotated = path.with_name("rotated-" + path.name)
        subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-y", "-display_rotation:v:0", "-90",
                        "-i", str(partial), "-c", "copy", str(rotated)], check=True)
        partial.unlink()
        partial = rotated
    partial.rename(path)
    return path


def bare_transcode(ffmpeg: str, source: Path, out: Path) -> float:
    """Wall seconds of the hand-run transcode of ``source``."""
    start = time.perf_counter()
    subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-nostdin", "-y", "-i", str(source),
                    "-vf", "scale=-2:1280", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(out)], check=True)
    elapsed = time.perf_counter() - start
    out.unlink(missing_ok=True)
    return elapsed


class Site:
    """gunicorn + one worker.py on a throw-away instance; uploads as the demo student."""

    def __init__(self, tmp: Path, root: Path = ROOT):
        tmp.mkdir(exist_ok=True)
        self.tmp, self.root = tmp, root
        self.redis = EmbeddedRedis(tmp / "redis").start()
        self.web = self.worker = None
        self.worker_log = tmp / "worker.log"

    def start(self) -> "Site":
        instance = self.tmp / "instance"
        instance.mkdir()
        env = {"KARYA_EMBEDDED": "1", "KARYA_INSTANCE_PATH": str(instance),
               "DATABASE_URL": f"sqlite:///{instance / 'karya.sqlite3'}",
               "MEDIA_ROOT": str(instance / "media"), "REDIS_URL": self.redis.url}
        logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter hides the figures
        _prepare_site(env)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, **env}
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_transfers.py", "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning"],
            env=full_env, cwd=self.root, start_new_session=True)
        self.worker = subprocess.Popen([sys.executable, "worker.py"], env=full_env, cwd=self.root,
                                       stdout=open(self.worker_log, "w"), stderr=subprocess.STDOUT,
                                       start_new_session=True)
        _wait_until_serving(self.base, self.web)
        from workshop.demo import DEMO_PASSWORD

        self.http = requests.Session()
        token = self.http.post(f"{self.base}/api/v1/tokens", json={
            "email": "student@karya.test", "password": DEMO_PASSWORD}).json()["token"]
        self.auth = {"Authorization": f"Bearer {token}"}
        me = self.http.get(f"{self.base}/api/v1/me", headers=self.auth).json()
        self.assignment_id = me["cohorts"][0]["assignments"][0]["id"]
        self._wait_for_worker()
        return self

    def _wait_for_worker(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise SystemExit("worker.py exited during start-up:\n" + self.worker_log.read_text())
            if "Listening on" in self.worker_log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise SystemExit("worker.py did not start listening in time")

    def upload_until_ready(self, path: Path) -> tuple[float, int]:
        """Seconds from the end of the upload to ``ready``, and the version's id.

        The time is the job's own, from the worker's timeline of the version: from the web
        process's enqueue, which happens inside the last PATCH before it is answered, to the
        commit of the ready state. Both ends are stamped by this machine's clock, and the
        span starts a little before the client sees the upload end, so it is never shorter
        than what a student waits. The API is polled meanwhile, as a phone polls, only to
        know when to read the timeline: polling it fast enough to time the job would take
        the CPU of a request every few milliseconds from the transcode it measures."""
        client = tus_client.TusClient(f"{self.base}/api/v1/uploads", headers=self.auth)
        uploader = client.uploader(str(path), chunk_size=16 * MiB,
                                   metadata={"assignment_id": str(self.assignment_id), "filename": path.name})
        uploader.upload()
        uploaded = time.perf_counter()
        version_id = int(uploader.request.response_headers["karya-version-id"])
        url = f"{self.base}/api/v1/versions/{version_id}"
        while True:
            answer = self.http.get(url, headers=self.auth, timeout=30)
            answer.raise_for_status()
            state = answer.json()["state"]
            if state == "ready":
                break
            if state == "failed":
                raise SystemExit(f"version {version_id} failed: {answer.json()}\n"
                                 + self.worker_log.read_text(errors="replace")[-4000:])
            if time.perf_counter() - uploaded > 600:
                raise SystemExit(f"version {version_id} not ready after 10 minutes")
            time.sleep(POLL_S)
        deadline = time.monotonic() + 10  # the job logs its timeline just after the commit
        while version_id not in self.timelines():
            if time.monotonic() > deadline:
                raise SystemExit(f"no timeline logged for version {version_id}")
            time.sleep(0.02)
        return self.timelines()[version_id][1]["total"] / 1000, version_id

    def wait_for_checks(self, version_id: int) -> None:
        """Untimed: until the version's automatic checks are done. A remuxed version is ready
        before its checks job has run; measuring the next step while that job decodes the
        whole clip would time the two together (and queue the next job behind it)."""
        url = f"{self.base}/api/v1/versions/{version_id}"
        deadline = time.perf_counter() + 600
        while self.http.get(url, headers=self.auth, timeout=30).json()["checks_state"] == "running":
            if time.perf_counter() > deadline:
                raise SystemExit(f"the checks of version {version_id} did not finish in 10 minutes")
            time.sleep(POLL_S)

    def timelines(self) -> dict[int, tuple[str, dict[str, float]]]:
        """Version id -> (path, {phase: ms}) from the worker's timeline log lines."""
        found = {}
        for line in self.worker_log.read_text(errors="replace").splitlines():
            match = TIMELINE.search(line)
            if match:
                phases = {name: float(ms) for name, ms in PHASE.findall(match.group(3))}
                found[int(match.group(1))] = (match.group(2), phases)
        return found

    def stop(self) -> None:
        for proc in (self.web, self.worker):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.web, self.worker):
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        self.redis.stop()


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (range {min(values):.3f}-{max(values):.3f})"


def main() -> int:
    """Run the benchmark; print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)),
                        help="clip lengths in seconds, comma-separated (default 20,60)")
    parser.add_argument("--quick", action="store_true", help="2 rounds of the 20 s clips only")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="also run another checkout of Karya (e.g. a git worktree of an older commit) "
                             "as a second site, interleaved in the same rounds: a before/after comparison")
    options = parser.parse_args()
    rounds, lengths = options.rounds, [int(s) for s in options.lengths.split(",")]
    if options.quick:
        rounds, lengths = 2, [20]
    ffmpeg = locate("ffmpeg")
    clips = {(kind, s): make_clip(ffmpeg, kind, s) for s in lengths for kind in ("phone", "websafe")}

    with tempfile.TemporaryDirectory(prefix="karya-bench-latency-", dir=CACHE) as tmp:
        site = Site(Path(tmp) / "site")
        sites = {"": site}
        if options.baseline:
            sites["@baseline"] = Site(Path(tmp) / "baseline", options.baseline.resolve())
        try:
            for each in sites.values():
                each.start()
            bare_out = Path(tmp) / "bare.mp4"
            print(f"ffmpeg {ffmpeg}\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
                  f"{rounds} rounds of {', '.join(f'{s} s' for s in lengths)}\n", flush=True)
            # One unmeasured pass warms the caches and the processes.
            jobs = [(kind + name, each) for kind in ("job", "remux") for name, each in sites.items()]
            for s in lengths:
                for step, each in jobs:
                    clip = clips[("phone" if step.startswith("job") else "websafe", s)]
                    _elapsed, version_id = each.upload_until_ready(clip)
                    each.wait_for_checks(version_id)
            times: dict[tuple[str, int], list[float]] = {}
            versions: dict[tuple[str, int], list[int]] = {}
            for run in range(rounds):
                for s in lengths:
                    steps = ["bare", *dict(jobs)]
                    for step in steps if run % 2 == 0 else reversed(steps):
                        if step == "bare":
                            elapsed = bare_transcode(ffmpeg, clips[("phone", s)], bare_out)
                        else:
                            clip = clips[("phone" if step.startswith("job") else "websafe", s)]
                            site = dict(jobs)[step]
                            elapsed, version_id = site.upload_until_ready(clip)
                            site.wait_for_checks(version_id)
                            versions.setdefault((step, s), []).append(version_id)
                        times.setdefault((step, s), []).append(elapsed)
                        print(f"  round {run + 1}, {s} s: {step:15} {elapsed:7.3f} s", flush=True)
            timelines = {name: each.timelines() for name, each in sites.items()}
        finally:
            for each in sites.values():
                each.stop()

    ok = True
    print(f"\nload average now {os.getloadavg()[0]:.2f}")
    for s in lengths:
        bare = times[("bare", s)]
        print(f"\n{s} s phone clip (1080×1920 portrait, rotated) — {rounds} rounds, interleaved")
        print(f"  {'bare transcode':34} {statistics.median(bare):7.3f} s "
              f"(range {min(bare):.3f}-{max(bare):.3f})")
        for name in sites:
            for step, label, target in (("job", "upload end -> ready", TARGET),
                                        ("remux", "web-safe: remux -> ready", REMUX_TARGET)):
                step += name
                mine = times[(step, s)]
                ratios = [m / b for m, b in zip(mine, bare)]
                met = statistics.median(ratios) <= target
                if not name:
                    ok &= met
                print(f"  {label + name:34} {statistics.median(mine):7.3f} s   × bare: {_summary(ratios)}"
                      f"  target <= {target}: {'met' if met else 'MISSED'}")
                _print_phases(timelines[name], versions[(step, s)])
        if options.baseline:
            for step in ("job", "remux"):
                ratios = [m / b for m, b in zip(times[(step, s)], times[(step + "@baseline", s)])]
                print(f"  {step} / {step}@baseline, by round: {_summary(ratios)}")
    return 0 if ok else 1


def _print_phases(timelines: dict, version_ids: list[int]) -> None:
    """The medians of the worker's timeline phases for these versions."""
    phases: dict[str, list[float]] = {}
    for version_id in version_ids:
        for name, ms in timelines.get(version_id, ("", {}))[1].items():
            phases.setdefault(name, []).append(ms)
    if phases:
        print("    worker timeline, medians: " + ", ".join(
            f"{name} {statistics.median(v):.0f} ms" for name, v in phases.items()))


if __name__ == "__main__":
    sys.exit(main())

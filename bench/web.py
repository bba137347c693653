"""Benchmark: the busiest pages at the scale of a 2,500-student programme (``make bench-web``).

    .venv/bin/python bench/web.py --database sqlite        # or postgresql, or both (default)

Seeds a throw-away database with 100 cohorts, 2,500 students (25 a cohort), 200
mentors (2 a cohort), 100 leads, 4 assignments a cohort and 20,000 versions (every
student two versions of each assignment; reviews, comments and attendance beside
them), starts gunicorn on it with the pages' production settings
(``deploy/gunicorn_pages.py``), and sends 20 concurrent clients — each a different
person, logged in — at three pages:

* a lead's cohort dashboard (``/cohorts/<id>/dashboard``);
* a mentor's review queue (``/reviews``);
* a student's home page (``/``).

Prints p50 and p95 per page; the target is p95 <= 150 ms on each, on SQLite and on
PostgreSQL. Exits 1 when a target is missed. PostgreSQL is used at
``BENCH_POSTGRES_URL`` (default: a database ``bench`` on 127.0.0.1, created if
missing); Redis at 127.0.0.1:6379 db 7 when it answers, else an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_pages = runpy.run_path(str(ROOT / "deploy" / "gunicorn_pages.py"))  # production's settings, measured here
PAGES = argparse.Namespace(workers=_pages["workers"], worker_class=_pages["worker_class"])
COHORTS, STUDENTS_PER, MENTORS_PER, ASSIGNMENTS_PER, VERSIONS_PER = 100, 25, 2, 4, 2
CLIENTS, REQUESTS_PER_CLIENT, TARGET_P95_MS = 20, 60, 150
PASSWORD = "bench-password-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def seed(database_url: str) -> dict:
    """Migrate and fill the database in this process with bulk inserts; return who logs in where."""
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from workshop import create_app
    from workshop.accounts.models import User
    from workshop.accounts.service import hash_password
    from workshop.cohorts.models import Assignment, Cohort, Membership
    from workshop.sessions.models import Attendance, WorkshopSession
    from workshop.extensions import db
    from workshop.review.models import Comment, Review
    from workshop.submissions.models import Submission, Version

    app = create_app()
    with app.app_context():
        upgrade()
        password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
        now = datetime.now(timezone.utc)
        conn = db.session.connection()
        users, memberships = [], []
        uid = 0

        def person(name, role_tag):
            nonlocal uid
            uid += 1
            users.append({"id": uid, "email": f"{role_tag}{uid}@bench.test", "name": name,
                          "password_hash": password_hash, "is_admin": False, "is_demo": False, "is_minor": True,
                          "guardian_contact": "", "created_at": now, "email_confirmed_at": now})
            return uid

        cohorts, assignments, submissions, versions, reviews, comments = [], [], [], [], [], []
        sessions, attendance = [], []
        plan = {"leads": [], "mentors": [], "students": [], "cohorts": []}
        aid = sid = vid = rid = cid = sesid = 0
        for c in range(1, COHORTS + 1):
            cohorts.append({"id": c, "name": f"Cohort {c}", "description": "", "join_code": f"BENCH{c:04d}",
                            "timezone": "Asia/Jakarta", "review_target_hours": 48, "created_at": now})
            lead = person(f"Lead {c}", "lead")
            memberships.append({"cohort_id": c, "user_id": lead, "role": "lead", "created_at": now})
            mentors = [person(f"Mentor {c}-{m}", "mentor") for m in range(MENTORS_PER)]
            memberships += [{"cohort_id": c, "user_id": m, "role": "mentor", "created_at": now} for m in mentors]
            students = [person(f"Student {c}-{s}", "student") for s in range(STUDENTS_PER)]
            memberships += [{"cohort_id": c, "user_id": s, "role": "student", "created_at": now} for s in students]
            plan["leads"].append((lead, c))
            plan["mentors"].extend(mentors)
            plan["students"].extend(students)
            for a in range(ASSIGNMENTS_PER):
                aid += 1
                assignments.append({"id": aid, "cohort_id": c, "title": f"Assignment {a + 1}", "brief": "",
                                    "due_at": now + timedelta(days=7 * a), "max_duration_s": 180,
                                    "created_at": now})
                for i, student in enumerate(students):
                    sid += 1
                    mentor = mentors[i % MENTORS_PER]
                    # A realistic mix: most reviewed, some waiting, a few approved.
                    state = ("awaiting_review", "in_review", "changes_requested", "approved")[(i + a) % 4]
                    submissions.append({"id": sid, "assignment_id": aid, "cohort_id": c, "student_id": student,
                                        "mentor_id": mentor, "state": state, "created_at": now, "updated_at": now})
                    for n in range(1, VERSIONS_PER + 1):
                        vid += 1
                        ready = now - timedelta(hours=100 - 10 * n - i)
                        versions.append({"id": vid, "submission_id": sid, "cohort_id": c, "number": n,
                                         "state": "ready", "original_filename": "draft.mp4",
                                         "original_key": f"versions/{vid}/original", "progress": 100.0,
                                         "duration_s": 95.0, "width": 1280, "height": 720, "remuxed": False,
                                         "media_token": f"{vid:032x}", "attempts": 1, "created_at": ready,
                                         "ready_at": ready, "checks": []})
                        if n < VERSIONS_PER or state in ("changes_requested", "approved"):
                            rid += 1
                            reviews.append({"id": rid, "version_id": vid, "cohort_id": c, "mentor_id": mentor,
                                            "verdict": "approved" if state == "approved" and n == VERSIONS_PER
                                            else "changes_requested", "summary": "Good start",
                                            "created_at": ready + timedelta(hours=5 + i % 40)})
                            cid += 1
                            comments.append({"id": cid, "version_id": vid, "cohort_id": c, "author_id": mentor,
                                             "body": "Louder here", "timecode_ms": 5000, "private": False,
                                             "created_at": ready + timedelta(hours=5)})
            for s in range(6):
                sesid += 1
                sessions.append({"id": sesid, "cohort_id": c, "title": f"Session {s + 1}", "location": "Aula",
                                 "link": "", "agenda": "", "starts_at": now - timedelta(days=7 * s),
                                 "created_at": now})
                attendance += [{"session_id": sesid, "user_id": st, "status": ("present", "late", "absent")[
                    (st + s) % 3], "recorded_at": now} for st in students]

        for model, rows in [(User, users), (Cohort, cohorts), (Membership, memberships), (Assignment, assignments),
                            (Submission, submissions), (Version, versions), (Review, reviews),
                            (Comment, comments), (WorkshopSession, sessions), (Attendance, attendance)]:
            for start in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[start:start + 5000])
        if conn.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences on
            for model in (User, Cohort, Membership, Assignment, Submission, Version, Review, Comment,
                          WorkshopSession, Attendance):
                table = model.__table__.name
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
        db.session.commit()
        print(f"seeded {len(cohorts)} cohorts, {len(plan['students'])} students, {len(plan['mentors'])} mentors, "
              f"{len(versions)} versions, {len(reviews)} reviews", flush=True)
    return plan


def _login(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, (email, response.status_code)
    return session


def measure(base: str, plan: dict, requests_per_client: int) -> dict[str, list[float]]:
    """20 clients at once, each a different person on their own page; latencies in ms per page."""
    targets = []
    for i in range(CLIENTS):
        kind = ("dashboard", "queue", "home")[i % 3]
        if kind == "dashboard":
            lead, cohort = plan["leads"][i * 7 % len(plan["leads"])]
            targets.append((kind, f"lead{lead}@bench.test", f"/cohorts/{cohort}/dashboard"))
        elif kind == "queue":
            mentor = plan["mentors"][i * 13 % len(plan["mentors"])]
            targets.append((kind, f"mentor{mentor}@bench.test", "/reviews"))
        else:
            student = plan["students"][i * 101 % len(plan["students"])]
            targets.append((kind, f"student{student}@bench.test", "/"))
    sessions = [_login(base, email) for _kind, email, _url in targets]
    for session, (_kind, _email, url) in zip(sessions, targets):
        assert session.get(base + url, timeout=30).status_code == 200, url  # warm-up, and a check
    cookies = ["; ".join(f"{c.name}={c.value}" for c in session.cookies) for session in sessions]
    cpu, wall = time.process_time(), time.perf_counter()
    results = asyncio.run(_load(base, [(kind, url, cookie) for (kind, _e, url), cookie in zip(targets, cookies)],
                                requests_per_client))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    total = CLIENTS * requests_per_client
    print(f"{total} requests in {wall:.1f} s ({total / wall:.0f}/s); "
          f"the clients used {cpu:.2f} s of CPU", flush=True)
    return results


async def _load(base: str, clients: list[tuple[str, str, str]], requests_per_client: int) -> dict[str, list[float]]:
    """The clients themselves: an HTTP/1.1 connection each, on one event loop.

    A connection is kept for the next request unless the server closes it (the sync
    worker does, after every response); then the client connects again, and that time
    counts in the request's. A client costs the machine a few tens of microseconds a request this way, where
    ``requests`` in 20 threads took a good part of a core from the server it measures
    (they share the two cores).
    """
    host, port = base.removeprefix("http://").split(":")
    results: dict[str, list[float]] = {"dashboard": [], "queue": [], "home": []}
    start = asyncio.Event()

    async def client(kind: str, url: str, cookie: str) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        request = (f"GET {url} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                   "Accept-Language: en\r\n\r\n").encode()
        await start.wait()
        for _ in range(requests_per_client):
            began = time.perf_counter()
            if writer is None:  # the server closed the last one: connecting again is part of the wait
                reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
            await reader.readexactly(length)
            results[kind].append((time.perf_counter() - began) * 1000)
            assert status == 200, (url, status)
            if re.search(rb"(?i)\r\nconnection: *close", head):
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    tasks = [asyncio.create_task(client(*c)) for c in clients]
    await asyncio.sleep(0.5)  # every connection open before the first request
    start.set()
    await asyncio.gather(*tasks)
    return results


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def run(database: str, workers: int, threads: int, requests_per_client: int) -> bool:
    from workshop.embedded_redis import EmbeddedRedis

    tmp = Path(tempfile.mkdtemp(prefix="karya-bench-web-"))
    redis = None
    if _answers("127.0.0.1", 6379):
        redis_url = "redis://127.0.0.1:6379/7"
    else:
        redis = EmbeddedRedis(tmp / "redis").start()
        redis_url = redis.url
    if database == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        url = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/bench")
        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        import psycopg

        with psycopg.connect(admin.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "SECRET_KEY": "bench", "DATABASE_URL": url, "REDIS_URL": redis_url,
           "KARYA_INSTANCE_PATH": str(tmp), "MEDIA_ROOT": str(tmp / "media"), "SESSION_COOKIE_SECURE": "0",
           "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute"}
    env.pop("KARYA_EMBEDDED", None)
    began = time.perf_counter()
    seeder = subprocess.run([sys.executable, __file__, "--seed-only", url], env=env, capture_output=True, text=True)
    if seeder.returncode != 0:
        print(seeder.stdout[-3000:], seeder.stderr[-3000:])
        raise SystemExit(1)
    import json

    lines = seeder.stdout.strip().splitlines()
    plan = json.loads(lines[-1])
    print(database + ":", next(line for line in lines if line.startswith("seeded")),
          f"({time.perf_counter() - began:.0f} s)", flush=True)
    port = _free_port()
    # The pages' production settings (deploy/gunicorn_pages.py); --workers and --threads override them.
    overrides = (["--workers", str(workers)] if workers else []) + (["--threads", str(threads)] if threads else [])
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn_pages.py", "--bind", f"127.0.0.1:{port}",
         *overrides, "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/login", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or still importing the app
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        results = measure(base, plan, requests_per_client)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if redis:
            redis.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    ok = True
    pool = f"{threads} threads each" if threads else f"{PAGES.worker_class} worker class"
    print(f"\n{database}: {CLIENTS} concurrent clients, {requests_per_client} requests each, "
          f"gunicorn {workers or PAGES.workers} workers, {pool}")
    print(f"{'page':<28}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for kind, label in (("dashboard", "lead's cohort dashboard"), ("queue", "mentor's review queue"),
                        ("home", "student's home page")):
        values = results[kind]
        p95 = pct(values, 95)
        ok &= p95 <= TARGET_P95_MS
        print(f"{label:<28}{len(values):>9}{statistics.median(values):>9.1f}{p95:>9.1f}"
              f"{'' if p95 <= TARGET_P95_MS else '  MISSED (target p95 <= 150 ms)'}")
    return ok


def machine_speed() -> float:
    """Seconds for ten million Python additions: this machine's speed swings by a third from
    hour to hour (a shared virtual machine), so each run says how fast it was."""
    began, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - began


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-only":
        import json

        plan = seed(sys.argv[2])
        print(json.dumps(plan))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, help=f"default: as deployed ({PAGES.workers} here)")
    parser.add_argument("--threads", type=int, help=f"threads a worker (gthread) instead of as deployed "
                                                    f"({PAGES.worker_class} worker: one request at a time)")
    parser.add_argument("--requests", type=int, default=REQUESTS_PER_CLIENT, help="requests per client")
    options = parser.parse_args()
    databases = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(f"machine speed: {machine_speed():.2f} s for 10M Python additions (lower is faster)", flush=True)
    ok = True
    for database in databases:
        if database == "postgresql" and not _answers("127.0.0.1", 5432) and "BENCH_POSTGRES_URL" not in os.environ:
            print("postgresql: nothing answers at 127.0.0.1:5432; skipped")
            continue
        ok &= run(database, options.workers, options.threads, options.requests)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

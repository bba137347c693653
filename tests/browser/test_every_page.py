"""Every page each person sees, in Chromium, audited by axe-core and kept as a screenshot.

For each role (a student, a mentor, a lead, a site administrator, and someone not signed
in), the pages are the URL map's pages that the role may open: each GET route that answers
HTML is tried once through the test client as that person, with the ids of one cohort that
holds one of everything, and every route that answers 200 is visited in the browser. Each is
visited in English and Bahasa Indonesia, at 390×844 (phone) and 1366×900 (desktop), in one
browser context per role, language and size, one page after the other. axe-core's serious
and critical violations are collected from every page and the test fails listing all of
them; each page is kept as test-artifacts/screenshots/every-<role>-<page>-<lang>-<size>.png.
"""

from __future__ import annotations

import io
import secrets
import time
from datetime import timedelta

import psutil
from PIL import Image

from ..helpers import PASSWORD, login
from .conftest import AXE, axe_violations, log_in, screenshot

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
LANGUAGES = ("en", "id")
ROLES = ("anon", "student", "mentor", "lead", "admin")
LIVE_SECRET_KEY = "browser-test-secret"  # what conftest.karya_served gives the live server

# Routes that answer no page: files, feeds, the health check, media, and pages that only
# redirect (the emailed confirmation link confirms and goes home).
NOT_PAGES = {"static", "health.healthz", "media.version_media", "consent.evidence_file", "consent.my_export",
             "consent.person_export", "dashboard.progress_csv", "sessions.attendance_csv", "sessions.cohort_feed",
             "sessions.my_feed", "sessions.event_ics", "accounts.confirm_email"}
# Pages with a token of their own in the address: opened by someone not signed in.
TOKEN_PAGES = {"invitations.accept", "invitations.welcome", "accounts.reset_password", "guardian_consent.page"}
# Pages every signed-in role must have been shown (a route that started refusing one would
# otherwise drop out of the audit unnoticed).
EXPECTED = {
    "anon": {"accounts.login", "accounts.signup", "accounts.forgot_password", *TOKEN_PAGES},
    "student": {"dashboard.home", "cohorts.overview", "assignments.assignment", "review.version", "review.compare",
                "sessions.index", "notifications.index", "notifications.settings", "accounts.join"},
    "mentor": {"dashboard.home", "cohorts.overview", "review.version", "review.queue", "review.concerns",
               "review.concern", "cohorts.people", "sessions.summary", "sessions.attendance",
               "notifications.index", "notifications.settings"},
    "lead": {"dashboard.dashboard", "review.concerns", "review.concern", "cohorts.people", "invitations.invites",
             "roster.upload_form", "roster.preview", "sessions.index", "sessions.new", "sessions.edit",
             "sessions.attendance", "sessions.summary", "review.cohort_checklists", "review.edit_checklist",
             "consent.index", "consent.new", "consent.withdraw", "cohort_admin.manage", "assignments.new",
             "assignments.edit", "review.version", "review.queue", "notifications.index"},
}
EXPECTED["admin"] = EXPECTED["lead"] | {"cohort_admin.new_cohort"}


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 36), (40, 90, 140)).save(out, "JPEG")
    return out.getvalue()


def _world(app, make) -> dict:
    """One cohort holding one of everything a page shows, and the value of each URL argument."""
    from workshop.accounts import service as accounts
    from workshop.accounts.models import User, hash_token
    from workshop.cohorts.models import Cohort, Membership
    from workshop.consent import requests as consent_requests
    from workshop.consent.models import ConsentRequest
    from workshop.db_types import utcnow
    from workshop.extensions import db
    from workshop.invitations import service as invitations
    from workshop.review import checklists
    from workshop.review.models import ChecklistTemplate
    from workshop.roles import Role
    from workshop.submissions.models import SubmissionState

    cohort = make.cohort(name="Kelas Literasi Digital", description="Video pendek tentang kesehatan remaja.")
    people = {key: make.user(name=name, email=f"{key}@sekolah.sch.id", **fields) for key, name, fields in [
        ("lead", "Bu Rina Wulandari", {}), ("mentor", "Pak Dimas Pratama", {}),
        ("student", "Budi Santoso", {"is_minor": True, "birth_year": 2011}),
        ("siti", "Siti Rahmawati", {"is_minor": True, "birth_year": 2010}),
        ("admin", "Admin Karya", {"is_admin": True}),
        ("newcomer", "Dewi Lestari", {"email_confirmed_at": None}),
        ("forgetful", "Rudi Hartono", {}),
    ]}
    for key, role in [("lead", "lead"), ("mentor", "mentor"), ("student", "student"), ("siti", "student"),
                      ("newcomer", "student")]:
        make.member(people[key], cohort, role)
    student, mentor, lead = people["student"], people["mentor"], people["lead"]

    assignment = make.assignment(cohort, title="Hoaks kesehatan", brief="Jelaskan cara mengenali hoaks kesehatan.",
                                 max_duration_s=150, due_at=utcnow() + timedelta(days=9))
    make.submission(assignment, student, mentor_id=mentor.id, state=SubmissionState.IN_REVIEW)
    first = make.version(assignment, student, 1, ready_ago=timedelta(days=2))
    latest = make.version(assignment, student, 2, ready_ago=timedelta(hours=5))
    poster = _tiny_jpeg()
    for version in (first, latest):
        make.stored_files(version, {"poster_key": ("poster.jpg", poster)})
    make.review(first, mentor, "changes_requested", "Potong pembukaannya.")
    make.comment(latest, mentor, "Pembukaan yang bagus.", timecode_ms=5000)
    make.comment(latest, mentor, "Catatan pribadi untuk mentor.", private=True)
    make.comment(latest, student, "Terima kasih, Pak!")
    make.submission(assignment, people["siti"], mentor_id=mentor.id, state=SubmissionState.ESCALATED)
    escalated = make.version(assignment, people["siti"], 1)
    concern = make.concern(escalated, mentor, "Dia bercerita tentang perundungan di sekolah.")
    session = make.session(cohort, "Pertemuan 1: storyboard", starts_in=-timedelta(days=1), lasts=timedelta(hours=2),
                           location="Aula SMA 8")
    make.session(cohort, "Pertemuan 2: penyuntingan", starts_in=timedelta(days=6), lasts=timedelta(hours=2))
    make.attendance(session, student, "present", recorded_by_id=lead.id)
    consent = make.consent(cohort, student, lead, "Ibu Sari", guardian_contact="+62 812 5550 1234",
                           given_at=utcnow() - timedelta(days=20))
    for key in ("student", "mentor", "lead", "admin"):
        make.notification(people[key], "version_ready", f"/versions/{latest.id}",
                          data={"version": 2, "assignment": assignment.title})

    with app.app_context():
        cohort_row, lead_row = db.session.get(Cohort, cohort.id), db.session.get(User, lead.id)
        default = db.session.scalar(db.select(ChecklistTemplate).where(
            ChecklistTemplate.cohort_id.is_(None), ChecklistTemplate.key == "wellbeing"))
        checklist = checklists.copy_template(default, cohort_row)
        invitations.create_invite(cohort_row, "tamu@sekolah.sch.id", Role.MENTOR, lead_row)
        _invite, invite_token = invitations.create_invite(cohort_row, "baru@sekolah.sch.id", Role.STUDENT, lead_row)
        welcomed = invitations.create_account_for("roster@sekolah.sch.id", "Rina Oktaviani")
        db.session.add(Membership(user=welcomed, cohort=cohort_row, role=Role.STUDENT))
        _welcome, welcome_token = invitations.create_invite(cohort_row, welcomed.email, Role.STUDENT, lead_row)
        # A guardian's consent request for Siti, as the email with its link leaves it.
        guardian_token = secrets.token_urlsafe(32)
        db.session.add(ConsentRequest(
            cohort_id=cohort.id, student_id=people["siti"].id, channel=consent_requests.EMAIL,
            contact_hash=consent_requests.contact_hash("wali.siti@example.id"), token_hash=hash_token(guardian_token),
            text_version=consent_requests.TEXT_VERSION, status=consent_requests.SENT, language="id",
            sent_by_id=lead.id, expires_at=utcnow() + timedelta(days=14)))
        db.session.commit()
        checklist_id = checklist.id
        reset_token = accounts.make_reset_token(db.session.get(User, people["forgetful"].id))

    values = {"cohort_id": cohort.id, "assignment_id": assignment.id, "version_id": latest.id,
              "checklist_template_id": checklist_id, "workshop_session_id": session.id, "consent_id": consent.id,
              "safeguarding_concern_id": concern.id, "upload_id": "preview"}
    tokens = {"invitations.accept": invite_token, "invitations.welcome": welcome_token,
              "accounts.reset_password": reset_token, "guardian_consent.page": guardian_token}
    return {"people": people, "values": values, "tokens": tokens, "first_version": first.id, "cohort": cohort}


def _candidates(app, world) -> list[tuple[str, str]]:
    """(endpoint, path) of every page in the URL map, with the world's ids filled in."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in TOKEN_PAGES:
            arguments = {"token": world["tokens"][rule.endpoint]}
        else:
            arguments = {name: world["values"][name] for name in rule.arguments}
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **arguments)
        if rule.endpoint == "review.compare":
            path += f"?with={world['first_version']}"
        pages.append((rule.endpoint, path))
    return pages


def _pages_of(app, role: str, candidates, people, refused) -> list[tuple[str, str]]:
    """The candidates that answer ``role`` with a page (200, HTML) through the test client. Token
    pages are for someone not signed in; the roster preview is made in the browser."""
    client = app.test_client()
    if role != "anon":
        login(client, people[role])
    shown = []
    for endpoint, path in candidates:
        if endpoint in TOKEN_PAGES and role != "anon":
            continue
        if endpoint == "roster.preview":
            if role in ("lead", "admin"):
                shown.append((endpoint, path))
            continue
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            shown.append((endpoint, path))
        else:
            refused[role][endpoint] = response.status_code
    return shown


def _roster_preview(page, base: str, cohort_id: int, tmp_path) -> str:
    """Upload a small roster with one bad row; the preview's path."""
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,role,birth_year,guardian_contact\n"
                      "Dewi Anggraini,dewi.a@sekolah.sch.id,student,2011,0812-1111\n"
                      "Tanpa Email,,student,2011,\n", encoding="utf-8")
    page.goto(f"{base}/cohorts/{cohort_id}/roster")
    page.set_input_files("input[type=file]", str(roster))
    page.locator("main form button[type=submit], form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/cohorts/{cohort_id}/roster/*")
    return page.url.removeprefix(base)


def _cpu_seconds() -> dict[str, float]:
    """CPU time so far of this process and of everything it started (the browser, the live
    server and its worker), each with the children it has reaped (closed browser pages)."""
    spent = {"pytest": 0.0, "browser": 0.0, "server": 0.0}
    me = psutil.Process()
    for process in [me, *me.children(recursive=True)]:
        try:
            times, name = process.cpu_times(), " ".join(process.cmdline())
        except psutil.Error:
            continue
        part = ("pytest" if process.pid == me.pid else
                "server" if "gunicorn" in name or "worker.py" in name else "browser")
        spent[part] += times.user + times.system + times.children_user + times.children_system
    return spent


def _audit(browser, base: str, role: str, language: str, size: str, pages, world, tmp_path) -> list[str]:
    """Visit ``pages`` one after the other in a context of their own; keep a screenshot of each
    and return axe's serious and critical violations, one line each."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="id-ID" if language == "id" else "en-US",
                                  extra_http_headers={"Accept-Language": language})
    context.add_init_script(path=str(AXE))  # in every page of the context, not sent each time
    found = []
    try:
        page = context.new_page()
        if role != "anon":
            log_in(page, base, world["people"][role].email, PASSWORD)
        for endpoint, path in pages:
            if endpoint == "roster.preview":
                path = _roster_preview(page, base, world["cohort"].id, tmp_path)
            response = page.goto(base + path)
            name = endpoint.replace("_", "-").replace(".", "-")
            where = f"{role} {name} {language} {size}"
            if response is None or response.status != 200:
                found.append(f"{where}: answered {response.status if response else 'nothing'}")
                continue
            found += [f"{where}: {violation}" for violation in axe_violations(page)]
            screenshot(page, f"every-{role}-{name}-{language}-{size}")
    finally:
        context.close()
    return found


def test_every_page_of_every_role_passes_axe_in_both_languages_and_sizes(live_server, browser, make, app,
                                                                        tmp_path, monkeypatch):
    # The password reset link is signed, and tried here first, with the live server's key.
    monkeypatch.setitem(app.config, "SECRET_KEY", LIVE_SECRET_KEY)
    started, cpu_started = time.monotonic(), _cpu_seconds()
    world = _world(app, make)
    candidates = _candidates(app, world)
    refused = {role: {} for role in ROLES}
    pages = {role: _pages_of(app, role, candidates, world["people"], refused) for role in ROLES}
    for role, expected in EXPECTED.items():
        missing = expected - {endpoint for endpoint, _path in pages[role]}
        assert not missing, f"{role} was not shown {sorted(missing)}: {refused[role]}"

    violations = [found for role in ROLES for language in LANGUAGES for size in SIZES
                  for found in _audit(browser, live_server, role, language, size, pages[role], world, tmp_path)]

    cpu = {part: seconds - cpu_started[part] for part, seconds in _cpu_seconds().items()}
    audited = sum(len(shown) for shown in pages.values()) * len(LANGUAGES) * len(SIZES)
    print(f"\n{audited} pages audited in {time.monotonic() - started:.1f} s, CPU {sum(cpu.values()):.1f} s ("
          + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in cpu.items()) + ")")
    assert not violations, f"{len(violations)} serious or critical violations:\n" + "\n".join(violations)

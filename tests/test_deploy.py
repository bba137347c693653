"""The production shape in ``deploy/``: nginx in front of the two gunicorn pools.

Real processes: nginx with ``deploy/nginx.conf`` (only its ports and certificate
changed), gunicorn with ``deploy/gunicorn_pages.py`` and with
``deploy/gunicorn_transfers.py``, on the test database and Redis. Each pool writes
its own access log, which says where nginx sent each request.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from tusclient import client as tus_client

from workshop.submissions.models import Version, VersionState

from .helpers import PASSWORD, bearer

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
MiB = 1024 * 1024

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def site_config(folder: Path, pages: int, transfers: int, http: int, https: int) -> str:
    """deploy/nginx.conf with this test's ports and certificate; every routing line as shipped."""
    cert, key = _self_signed(folder)
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in [("server 127.0.0.1:8000;", f"server 127.0.0.1:{pages};"),
                     ("server 127.0.0.1:8001;", f"server 127.0.0.1:{transfers};"),
                     ("listen 80;", f"listen 127.0.0.1:{http};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
                     ("/etc/letsencrypt/live/karya.example.org/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/karya.example.org/privkey.pem", str(key))]:
        assert old in text, old
        text = text.replace(old, new)
    return re.sub(r"\n\s*listen \[::\]:\d+( ssl http2)?;", "", text)  # no IPv6 needed here


@pytest.fixture(scope="module")
def stack(app, database_url, redis_url, tmp_path_factory):
    """https://127.0.0.1:<port> through nginx, and the access log of each pool."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing; 'make test' installs it (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    folder = tmp_path_factory.mktemp("deploy")
    env = {**os.environ, "SECRET_KEY": "deploy-test-secret", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "PROXY_FIX": "1",
           "KARYA_INSTANCE_PATH": str(folder / "instance")}
    env.pop("KARYA_EMBEDDED", None)
    ports = {name: _free_port() for name in ("pages", "transfers", "http", "https")}
    logs = {name: folder / f"{name}.log" for name in ("pages", "transfers")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", f"deploy/gunicorn_{name}.py",
                          "--bind", f"127.0.0.1:{ports[name]}", "--workers", "1",
                          "--access-logfile", str(logs[name]), "--error-logfile", str(folder / f"{name}.err")],
                         cwd=ROOT, env=env, start_new_session=True)
        for name in ("pages", "transfers")]
    (folder / "karya.conf").write_text(site_config(folder, **ports))
    (folder / "nginx.conf").write_text(
        # Run as whoever runs the tests; as root, nginx would hand its work to "nobody".
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"error_log {folder}/nginx-error.log;\npid {folder}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {folder}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {folder}/karya.conf;\n}}\n")
    processes.append(subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                       "-g", "daemon off;"], start_new_session=True))
    base = f"https://127.0.0.1:{ports['https']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/login", verify=False, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert all(p.poll() is None for p in processes), "gunicorn or nginx did not start"
            assert time.monotonic() < deadline, "the stack did not answer within 60 s"
            time.sleep(0.2)
        yield base, logs, ports["http"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def served(log: Path) -> list[str]:
    """'METHOD path' of each request in a gunicorn access log (the default format)."""
    time.sleep(0.2)  # gunicorn writes the line after the response
    return re.findall(r'"([A-Z]+ [^ ]+) HTTP/1\.[01]"', log.read_text())


def student_with_assignment(make, client):
    """An assignment, and the bearer header of a student of its cohort."""
    cohort = make.cohort(name="Deploy cohort")
    assignment = make.assignment(cohort, title="Explain sleep")
    student = make.user(name="Student")
    make.member(student, cohort, "student")
    token = client.post("/api/v1/tokens", json={"email": student.email, "password": PASSWORD}).json["token"]
    return assignment, bearer(token)


def test_plain_http_is_sent_to_https(stack):
    _base, _logs, http_port = stack
    response = requests.get(f"http://127.0.0.1:{http_port}/login", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://127.0.0.1")


def test_pages_go_to_the_page_pool_and_know_they_came_over_https(stack, make):
    base, logs, _http = stack
    user = make.user(name="Lead")
    session = requests.Session()
    page = session.get(base + "/login", verify=False, timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(base + "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                            headers={"Referer": base + "/login"}, verify=False, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    # ProxyFix believed nginx's X-Forwarded-Proto: the session cookie is for HTTPS only.
    assert "secure" in response.headers["Set-Cookie"].lower()
    assert session.get(base + "/", verify=False, timeout=10).status_code == 200
    pages, transfers = served(logs["pages"]), served(logs["transfers"])
    assert {"GET /login", "POST /login", "GET /"} <= set(pages)
    assert not any(line.endswith(("/login", " /")) for line in transfers)


def test_a_resumable_upload_and_its_media_go_to_the_transfer_pool(stack, make, client, db, tmp_path):
    base, logs, _http = stack
    assignment, auth = student_with_assignment(make, client)
    draft = tmp_path / "draft.mp4"
    draft.write_bytes(os.urandom(3 * MiB + 321))

    # A standard tus client, in 1 MiB chunks: each PATCH streams through nginx unbuffered.
    uploader = tus_client.TusClient(f"{base}/api/v1/uploads", headers=auth).uploader(
        str(draft), chunk_size=MiB, verify_tls_cert=False,
        metadata={"assignment_id": str(assignment.id), "filename": draft.name})
    uploader.upload()
    assert uploader.offset == draft.stat().st_size

    submission = requests.get(f"{base}/api/v1/assignments/{assignment.id}/submission", headers=auth,
                              verify=False, timeout=10).json()
    version_id = submission["versions"][-1]["id"]
    version = db.session.get(Version, version_id)
    assert version.state == VersionState.QUEUED
    token = version.media_token
    # The original back, in part, as a player seeking would ask for it.
    response = requests.get(f"{base}/media/versions/{version_id}/{token}/original",
                            headers={**auth, "Range": "bytes=1048576-1048675"}, verify=False, timeout=10)
    assert response.status_code == 206
    assert response.content == draft.read_bytes()[MiB:MiB + 100]
    assert "no-store" in response.headers["Cache-Control"] and response.headers["Strict-Transport-Security"]

    transfers, pages = served(logs["transfers"]), served(logs["pages"])
    assert sum(line.startswith("PATCH /api/v1/uploads/") for line in transfers) == 4
    assert "POST /api/v1/uploads" in transfers
    assert f"GET /media/versions/{version_id}/{token}/original" in transfers
    assert not any("/api/v1/uploads" in line or "/media/" in line for line in pages)
    # Everything else, the API included, is a page.
    assert f"GET /api/v1/assignments/{assignment.id}/submission" in pages


def test_the_multipart_upload_goes_to_the_transfer_pool(stack, make, client):
    base, logs, _http = stack
    assignment, auth = student_with_assignment(make, client)
    response = requests.post(f"{base}/api/v1/assignments/{assignment.id}/versions", headers=auth, verify=False,
                             files={"file": ("clip.mp4", os.urandom(200_000), "video/mp4")}, timeout=10)
    assert response.status_code in (200, 201), response.text
    assert "version_id" in response.json()
    assert f"POST /api/v1/assignments/{assignment.id}/versions" in served(logs["transfers"])


def test_every_https_answer_carries_hsts_and_personal_ones_no_store(stack, make, client):
    base, _logs, _http = stack
    assignment, auth = student_with_assignment(make, client)
    answers = {
        "a page": requests.get(base + "/login", verify=False, timeout=10),
        "a 404": requests.get(base + "/nowhere", verify=False, timeout=10),
        "a static file": requests.get(base + "/static/css/karya.css", verify=False, timeout=10),
        "an API answer": requests.get(f"{base}/api/v1/assignments/{assignment.id}/submission", headers=auth,
                                      verify=False, timeout=10),
        "a media 404": requests.get(f"{base}/media/versions/999999/x/original", headers=auth, verify=False,
                                    timeout=10),
        "the health check": requests.get(base + "/healthz", verify=False, timeout=10),
    }
    for what, response in answers.items():
        hsts = response.headers.get("Strict-Transport-Security", "")
        max_age = re.search(r"max-age=(\d+)", hsts)
        assert max_age and int(max_age[1]) >= 365 * 24 * 3600 and "includesubdomains" in hsts.lower(), what
    for what in ("an API answer", "a media 404"):
        assert "no-store" in answers[what].headers.get("Cache-Control", ""), what
    assert "no-store" not in answers["a static file"].headers.get("Cache-Control", "")
    # Anyone reaching the health check through the proxy learns the verdict, not what runs where.
    assert set(answers["the health check"].json()) == {"status"}


def test_no_location_drops_the_servers_headers():
    """nginx forgets a server's add_header in any location that adds one of its own."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    https = text[text.index("listen 443"):]
    assert re.search(r'^    add_header Strict-Transport-Security "max-age=\d+; includeSubDomains" always;$', https, re.M)
    for block in re.findall(r"location [^{]*\{[^}]*\}", https):
        assert "add_header" not in block, block

"""Small helpers the tests share."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"
# Argon2id (time_cost, memory_cost in KiB, parallelism) for every app the tests start, in the
# test process and in the live servers: the suite hashes and verifies hundreds of passwords.
# test_accounts.py checks that the real configuration keeps argon2-cffi's defaults.
CHEAP_PASSWORD_HASH_PARAMS = (1, 8, 1)


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data
    return response


def csrf_token_from(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
    assert match, "no CSRF token in page"
    return match.group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}

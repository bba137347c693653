"""What every page's frame promises: the icons and the web app manifest it links to load
with their proper types and sizes (no 404 on a first visit), and the header links the
review queue for the people who have one."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from .helpers import login

QUEUE_LINK = 'href="/reviews"'


def _head_links(html: str) -> dict[str, str]:
    """``rel (sizes) -> href`` of the <link>s in a page's head."""
    head = html.split("</head>", 1)[0]
    links = {}
    for tag in re.findall(r"<link [^>]+>", head):
        rel = re.search(r'rel="([^"]+)"', tag).group(1)
        sizes = re.search(r'sizes="([^"]+)"', tag)
        links[rel + (f" {sizes.group(1)}" if sizes else "")] = re.search(r'href="([^"]+)"', tag).group(1)
    return links


def test_the_icons_and_the_manifest_load_with_their_types_and_sizes(client):
    links = _head_links(client.get("/login").get_data(as_text=True))
    expected = {"icon": ("image/svg+xml", None), "icon 32x32": ("image/png", (32, 32)),
                "apple-touch-icon": ("image/png", (180, 180)), "manifest": ("application/manifest+json", None)}
    assert expected.keys() <= links.keys(), links
    for rel, (mimetype, size) in expected.items():
        answer = client.get(links[rel])
        assert answer.status_code == 200 and answer.mimetype == mimetype, rel
        if size:
            assert Image.open(io.BytesIO(answer.data)).size == size, rel
        answer.close()
    manifest_answer = client.get(links["manifest"])
    manifest = json.loads(manifest_answer.data)
    manifest_answer.close()
    assert manifest["name"] == "Karya" and manifest["start_url"] == "/" and manifest["theme_color"]
    base = links["manifest"].rsplit("/", 1)[0]
    sizes = set()
    for icon in manifest["icons"]:
        answer = client.get(f"{base}/{icon['src']}")
        assert answer.status_code == 200 and answer.mimetype == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            sizes.add(Image.open(io.BytesIO(answer.data)).size)
            assert icon["sizes"] == "{}x{}".format(*Image.open(io.BytesIO(answer.data)).size), icon["src"]
        answer.close()
    assert {(192, 192), (512, 512)} <= sizes


def test_the_header_links_the_review_queue_for_mentors_leads_and_admins_only(app, make):
    cohort = make.cohort()
    people = make.people(cohort, {"student": "student", "mentor": "mentor", "lead": "lead"})
    people["admin"] = make.user(name="Admin", email="admin@karya.test", is_admin=True)
    for key, sees_queue in [("student", False), ("mentor", True), ("lead", True), ("admin", True)]:
        client = app.test_client()
        login(client, people[key])
        assert (QUEUE_LINK in client.get("/").get_data(as_text=True)) == sees_queue, key
        if sees_queue:
            assert client.get("/reviews").status_code == 200, key
    assert QUEUE_LINK not in app.test_client().get("/login").get_data(as_text=True)

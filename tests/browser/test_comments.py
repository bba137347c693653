"""Comments in Chromium without leaving the page: a mentor comments at 0:05 and the player stays
there, marks a range with Set in and the O key, comments while the video plays and it plays on,
draws a box with the pointer and an arrow with the keyboard on the paused frame; a refusal
shows beside the form with the focus on it. The student sees the drawing over the video at its
moment (in Bahasa Indonesia) and draws with a finger; the next version shows both drawings as
small pictures beside their comments."""

from __future__ import annotations

import json

from ..helpers import PASSWORD
from ..test_processing import _new_version, make_clip
from .conftest import axe_violations, log_in, screenshot, wait_for_player, wait_until

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


def _open(browser, base, person, language, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="id-ID" if language == "id" else "en-US",
                                  extra_http_headers={"Accept-Language": language}, **options)
    page = context.new_page()
    log_in(page, base, person.email, PASSWORD)
    return page


def _seek(page, seconds: float):
    wait_until(page, "document.querySelector('video#video').readyState >= 1")
    page.evaluate("""(t) => new Promise(done => {
        const v = document.querySelector('video#video');
        v.pause();
        v.addEventListener('seeked', () => done(), {once: true});
        v.currentTime = t;
    })""", seconds)


def _send(page, text: str):
    page.fill("#comment-body", text)
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(f"#comment-list li.comment:has-text('{text}')")


def test_comments_ranges_and_drawings_without_leaving_the_page(live_server, browser, make, app, tmp_path):
    cohort = make.cohort(name="Kelas Gambar")
    student = make.user(name="Dewi", email="dewi-comments@karya.test")
    mentor = make.user(name="Pak Budi", email="budi-comments@karya.test")
    make.member(student, cohort, "student")
    make.member(mentor, cohort, "mentor")
    assignment = make.assignment(cohort, title="Cuci tangan", max_duration_s=120)
    version_id = _new_version(app, assignment, student, make_clip(tmp_path / "v1.mp4", seconds=15, size="640x360"))
    url = f"{live_server}/versions/{version_id}"

    page = _open(browser, live_server, mentor, "en", DESKTOP)
    page.goto(url)
    wait_for_player(page, live_server)
    page.evaluate("window.stillThisPage = true")

    # A comment at 0:05: it joins the thread and the timeline at once; the page never reloads.
    _seek(page, 5)
    _send(page, "The title is hard to read here")
    assert page.evaluate("window.stillThisPage === true") and page.url == url
    assert abs(page.evaluate("document.querySelector('video#video').currentTime") - 5) < 0.1
    assert page.evaluate("document.querySelector('video#video').paused")
    assert page.locator("#comment-list a.timecode").all_inner_texts() == ["0:05"]
    assert page.locator("#markers .marker").count() == 1
    assert page.input_value("#comment-body") == ""

    # A range: "Set in" at 0:08, the O key at 0:12.
    _seek(page, 8)
    page.click("#set-in")
    _seek(page, 12)
    page.locator("h2").first.click()  # out of the video's own controls
    page.keyboard.press("o")
    assert page.inner_text("#comment-time-label") == "from 0:08 to 0:12"
    _send(page, "Too fast from here to there")
    assert page.locator("#comment-list a.timecode").all_inner_texts() == ["0:05", "0:08–0:12"]
    bar = page.locator("#markers .marker-range")
    assert bar.count() == 1 and bar.bounding_box()["width"] > 20
    assert page.evaluate("window.stillThisPage === true")

    # Sent while the video plays, a comment leaves it playing.
    page.evaluate("(() => { const v = document.querySelector('video#video'); v.muted = true; return v.play(); })()")
    page.fill("#comment-body", "Nice music")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comment-list li.comment:has-text('Nice music')")
    assert not page.evaluate("document.querySelector('video#video').paused")
    page.evaluate("document.querySelector('video#video').pause()")

    # A drawing on the paused frame at 0:03: a box dragged with the pointer, an arrow with the keyboard.
    _seek(page, 3)
    page.click("#draw-toggle")
    page.click("[data-tool=box]")
    page.click("[data-color=yellow]")
    page.locator("#overlay").scroll_into_view_if_needed()
    box = page.locator("#overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4, steps=5)
    page.mouse.up()
    page.click("[data-tool=arrow]")
    page.click("#draw-keyboard")
    assert page.evaluate("document.activeElement.id") == "overlay"
    page.keyboard.press("Enter")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(f"Shift+{key}")
    page.keyboard.press("Enter")
    assert page.inner_text("#drawing-count") == "Shapes drawn: 2"
    assert axe_violations(page) == []
    screenshot(page, "workspace-comments-drawing-desktop-en")
    page.click("#draw-done")
    _send(page, "Crop to the hands")
    drawn = page.locator("#comment-list li.comment:has-text('Crop to the hands')")
    shapes = json.loads(drawn.get_attribute("data-drawing"))
    assert [s["kind"] for s in shapes] == ["box", "arrow"] and shapes[0]["color"] == "yellow"
    (x0, y0), (x1, y1) = shapes[0]["points"]
    assert abs(x0 - 0.2) < 0.02 and abs(y0 - 0.2) < 0.02 and abs(x1 - 0.5) < 0.02 and abs(y1 - 0.4) < 0.02
    assert shapes[1]["points"] == [[0.5, 0.5], [0.7, 0.6]]
    assert drawn.locator("a.timecode").inner_text() == "0:03"

    # A refusal is shown beside the form, the focus on it, and what was typed is kept.
    page.fill("#comment-body", "   ")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("#comment-form .form-error:not([hidden])")
    assert page.inner_text("#comment-form .form-error") == "Write something first."
    assert page.evaluate("document.activeElement.classList.contains('form-error')")
    assert page.input_value("#comment-body") == "   "
    assert page.evaluate("window.stillThisPage === true")
    page.fill("#comment-body", "")
    # Resolving a thread, in place too.
    thread = page.locator("#comment-list li.comment:has-text('Too fast')")
    thread.locator(".resolve-form button").click()
    page.wait_for_selector("#comment-list li.comment-resolved:has-text('Too fast')")
    assert thread.locator(".resolve-form button").inner_text() == "Reopen"
    assert page.evaluate("window.stillThisPage === true")
    assert axe_violations(page) == []
    screenshot(page, "workspace-comments-mentor-desktop-en")
    page.set_viewport_size(PHONE)
    screenshot(page, "workspace-comments-mentor-phone-en")
    page.context.close()

    # The student, in Bahasa Indonesia on a phone: a click on the drawn comment's time shows the
    # drawing over the paused video.
    page = _open(browser, live_server, student, "id", PHONE, has_touch=True)
    page.goto(url)
    wait_for_player(page, live_server)
    wait_until(page, "document.querySelector('video#video').readyState >= 1")
    assert page.locator("#overlay g.saved path").count() == 0
    page.locator("#comment-list li.comment:has-text('Crop to the hands') a.timecode").click()
    wait_until(page, "Math.abs(document.querySelector('video#video').currentTime - 3) < 0.1", 10)
    wait_until(page, "document.querySelectorAll('#overlay g.saved path.shape').length === 2", 10)
    assert page.evaluate("document.querySelector('video#video').paused")
    assert page.inner_text("#draw-toggle") == "Gambar di bingkai"
    assert page.locator("#comment-list a.timecode").all_inner_texts()[:3] == ["0:03", "0:05", "0:08–0:12"]
    assert axe_violations(page) == []
    screenshot(page, "workspace-comments-student-phone-id")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "workspace-comments-student-desktop-id")
    # Away from its moment the drawing is gone.
    _seek(page, 10)
    wait_until(page, "document.querySelectorAll('#overlay g.saved path').length === 0", 5)

    # The student circles something with a finger (a pen stroke on the touch screen).
    page.click("#draw-toggle")
    page.locator("#overlay").scroll_into_view_if_needed()
    box = page.locator("#overlay").bounding_box()
    touch = page.context.new_cdp_session(page)
    points = [(box["x"] + box["width"] * (0.3 + 0.04 * i), box["y"] + box["height"] * (0.5 - 0.03 * i)) for i in range(6)]
    for kind, (x, y) in zip(["touchStart"] + ["touchMove"] * 5, points):
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.click("#draw-done")
    _send(page, "Maksudnya bagian ini?")
    mine = json.loads(page.locator("#comment-list li.comment:has-text('Maksudnya')").get_attribute("data-drawing"))
    assert mine[0]["kind"] == "pen" and len(mine[0]["points"]) >= 5
    assert abs(mine[0]["points"][0][0] - 0.3) < 0.02 and abs(mine[0]["points"][-1][1] - 0.35) < 0.02

    # On the next version, the drawing is a small picture beside its comment.
    v2 = make.version(assignment, student, 2)
    page.goto(f"{live_server}/versions/{v2.id}")
    assert page.locator("#earlier-comments svg.drawing-preview").count() == 2
    preview = page.locator("#earlier-comments li:has-text('Crop to the hands') svg.drawing-preview")
    assert preview.locator("path.shape").count() == 2
    assert axe_violations(page) == []
    screenshot(page, "workspace-comments-earlier-desktop-id")
    page.set_viewport_size(PHONE)
    screenshot(page, "workspace-comments-earlier-phone-id")
    page.context.close()

// The version page: live processing progress while the video is being prepared (and the
// state badge with it), then the player with a storyboard preview when hovering or dragging
// the scrub bar; the review workspace's tabs, checklist and error summary (further below).
(function () {
  "use strict";

  // ---- processing progress -------------------------------------------------
  var box = document.getElementById("processing");
  if (box) {
    var text = document.getElementById("processing-text");
    var etaText = document.getElementById("processing-eta");
    var bar = document.getElementById("progress-bar");
    var fill = bar.querySelector(".progress-fill");
    var fill0 = Number(fill.dataset.progress || 0);
    fill.style.width = fill0 + "%";
    var badge = document.getElementById("state-badge");
    var showBadge = function (state, pct) {
      if (!badge || (state !== "queued" && state !== "processing")) return;
      badge.className = "badge state-" + state;
      badge.dataset.state = state;
      badge.textContent = state === "processing"
        ? badge.dataset.labelProcessing.replace("{percent}", pct + "%") : badge.dataset.labelQueued;
    };

    var formatTime = function (seconds) {
      var m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
      // The units are CLDR's patterns in the page's language ("{n} min" / "{n} mnt").
      return m > 0 ? box.dataset.unitMin.replace("{n}", m) + " " + box.dataset.unitS.replace("{n}", s)
                   : box.dataset.unitS.replace("{n}", s);
    };

    var show = function (st) {
      if (st.state === "ready" || st.state === "failed") {
        window.location.reload();
        return true;
      }
      var pct = Math.round(st.progress || 0);
      fill.style.width = pct + "%";
      showBadge(st.state, pct);
      bar.setAttribute("aria-valuenow", String(pct));
      if (st.state === "processing") {
        text.textContent = box.dataset.msgProcessing.replace("{percent}", pct + "%");
      } else if (st.queue_position) {
        text.textContent = box.dataset.msgQueuedPosition.replace("{position}", st.queue_position);
      } else {
        text.textContent = box.dataset.msgQueued;
      }
      etaText.textContent = st.eta_s ? box.dataset.msgEta.replace("{time}", formatTime(st.eta_s)) : "";
      return false;
    };

    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (st) { if (!st || !show(st)) window.setTimeout(poll, 2000); })
        .catch(function () { window.setTimeout(poll, 5000); });  // offline for a moment: keep trying
    };
    poll();
  }

  // ---- player with storyboard scrubbing -------------------------------------
  var player = document.getElementById("player");
  if (!player) return;
  var video = document.getElementById("video");
  var scrubber = document.getElementById("scrubber");
  var played = document.getElementById("scrubber-played");
  var preview = document.getElementById("scrubber-preview");
  var thumb = document.getElementById("scrubber-thumb");
  var timeLabel = document.getElementById("scrubber-time");
  var cues = [];

  var parseTime = function (t) {
    var parts = t.trim().split(":").map(Number);
    while (parts.length < 3) parts.unshift(0);
    return parts[0] * 3600 + parts[1] * 60 + parts[2];
  };
  var clock = function (s) {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };

  fetch(player.dataset.vtt, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.text() : ""; })
    .then(function (vtt) {
      var base = new URL(player.dataset.vtt, window.location.href);
      vtt.split(/\r?\n\r?\n/).forEach(function (block) {
        var lines = block.trim().split(/\r?\n/);
        var timing = lines.findIndex(function (l) { return l.indexOf("-->") !== -1; });
        if (timing === -1 || !lines[timing + 1]) return;
        var span = lines[timing].split("-->");
        var target = lines[timing + 1].trim();
        var hash = target.split("#xywh=");
        if (hash.length !== 2) return;
        var xywh = hash[1].split(",").map(Number);
        cues.push({ start: parseTime(span[0]), end: parseTime(span[1]),
                    url: new URL(hash[0], base).href, x: xywh[0], y: xywh[1], w: xywh[2], h: xywh[3] });
      });
    });

  var duration = function () { return video.duration || Number(player.dataset.duration) || 0; };
  var timeAt = function (clientX) {
    var rect = scrubber.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) * duration();
  };
  var showPreview = function (clientX) {
    var t = timeAt(clientX);
    var cue = cues.find(function (c) { return t >= c.start && t < c.end; }) || cues[cues.length - 1];
    preview.hidden = false;
    var rect = scrubber.getBoundingClientRect();
    preview.style.left = Math.min(Math.max(clientX - rect.left, 0), rect.width) + "px";
    timeLabel.textContent = clock(t);
    if (cue) {
      thumb.style.width = cue.w + "px";
      thumb.style.height = cue.h + "px";
      thumb.style.backgroundImage = "url(" + JSON.stringify(cue.url) + ")";
      thumb.style.backgroundPosition = (-cue.x) + "px " + (-cue.y) + "px";
    }
  };

  scrubber.addEventListener("pointermove", function (e) { showPreview(e.clientX); });
  scrubber.addEventListener("pointerleave", function () { preview.hidden = true; });
  scrubber.addEventListener("pointerdown", function (e) {
    scrubber.setPointerCapture(e.pointerId);
    video.currentTime = timeAt(e.clientX);
  });
  scrubber.addEventListener("pointerup", function (e) {
    video.currentTime = timeAt(e.clientX);
    preview.hidden = true;
  });
  scrubber.addEventListener("keydown", function (e) {
    var step = e.shiftKey ? 10 : 2;
    if (e.key === "ArrowRight") { video.currentTime = Math.min(duration(), video.currentTime + step); e.preventDefault(); }
    if (e.key === "ArrowLeft") { video.currentTime = Math.max(0, video.currentTime - step); e.preventDefault(); }
  });
  video.addEventListener("timeupdate", function () {
    var d = duration();
    played.style.width = (d ? (video.currentTime / d) * 100 : 0) + "%";
    scrubber.setAttribute("aria-valuenow", String(Math.round(video.currentTime)));
    scrubber.setAttribute("aria-valuetext", clock(video.currentTime));
  });
})();

// ---- the review workspace ---------------------------------------------------
// Without this script the section switcher is a row of links to the sections and every
// section is shown; with it, on phones, the switcher is tabs (the ARIA tabs pattern: arrows,
// Home and End move between them) showing one section at a time. Desktop shows them all.
(function () {
  "use strict";

  var nav = document.getElementById("workspace-tabs");
  var tabs = nav ? Array.prototype.slice.call(nav.querySelectorAll("a")) : [];
  var phone = window.matchMedia("(max-width: 62.49rem)");
  var current = null;
  var panelOf = function (tab) { return document.getElementById(tab.getAttribute("href").slice(1)); };
  var tabHolding = function (element) {
    return tabs.filter(function (tab) { return panelOf(tab).contains(element); })[0] || null;
  };

  var select = function (tab, focus) {
    current = tab;
    if (!phone.matches) return;
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      panelOf(t).hidden = !on;
    });
    if (focus) tab.focus();
  };

  var initial = function () {
    if (document.getElementById("review-problems")) return tabHolding(document.getElementById("ws-review"));
    var id = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    var target = id && document.getElementById(id);
    return (target && tabHolding(target)) || tabs[0];
  };

  var apply = function () {
    tabs.forEach(function (tab) {
      var panel = panelOf(tab);
      if (phone.matches) {
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-controls", panel.id);
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
      } else {
        ["role", "aria-controls", "aria-selected", "tabindex"].forEach(function (a) { tab.removeAttribute(a); });
        panel.removeAttribute("role");
        panel.removeAttribute("aria-labelledby");
        panel.hidden = false;
      }
    });
    if (phone.matches) nav.setAttribute("role", "tablist"); else nav.removeAttribute("role");
    select(current || initial(), false);
  };

  if (nav) {
    apply();
    phone.addEventListener("change", apply);
    nav.addEventListener("click", function (e) {
      var tab = e.target.closest("a");
      if (!tab || !phone.matches) return;
      e.preventDefault();
      select(tab, true);
      history.replaceState(null, "", "#" + panelOf(tab).id);
    });
    nav.addEventListener("keydown", function (e) {
      if (!phone.matches) return;
      var i = tabs.indexOf(current);
      var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true);
    });
  }

  // The Comments tab counts the threads, also those added without leaving the page (review.js).
  var threadCount = document.getElementById("tab-comments-count");
  var threadList = document.getElementById("comment-list");
  if (threadCount && threadList && window.MutationObserver) {
    new MutationObserver(function () {
      var n = threadList.querySelectorAll(":scope > li.comment").length;
      threadCount.textContent = String(n);
      threadCount.hidden = n === 0;
    }).observe(threadList, { childList: true });
  }

  // C comments at the current moment (review.js): on a phone, show the comments to write in.
  document.addEventListener("keydown", function (e) {
    var el = document.activeElement;
    var typing = el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable ||
      (el.tagName === "INPUT" && el.type !== "radio" && el.type !== "checkbox"));
    var body = document.getElementById("comment-body");
    if (e.key.toLowerCase() === "c" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing && body) reveal(body);
  });

  // A link to something on this page (an error, a comment's time, a checklist item) shows
  // the section holding it and opens the group it is folded in.
  var reveal = function (target) {
    var tab = tabHolding(target);
    if (tab && tab !== current) select(tab, false);
    for (var node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  };
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[href^='#']");
    if (!link || (nav && nav.contains(link)) || link.getAttribute("href").length < 2) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    reveal(target);
    if (link.closest("#review-problems")) {  // to the field itself, as a keyboard user expects
      e.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    }
  }, true);

  // A refused review: its problems are the first thing, and focus starts there.
  var problems = document.getElementById("review-problems");
  if (problems) {
    problems.scrollIntoView({ block: "start" });
    problems.focus();
  }

  // The checklist: answered counts per group and overall, "All yes" per group.
  var checklist = document.getElementById("checklist");
  if (checklist) {
    var overall = document.getElementById("checklist-count");
    var groups = Array.prototype.slice.call(checklist.querySelectorAll("[data-group]"));
    var answered = function (scope) {
      var items = scope.querySelectorAll("[data-item]");
      var done = 0;
      Array.prototype.forEach.call(items, function (item) {
        if (item.querySelector("input[type=radio]:checked")) done += 1;
      });
      return { done: done, total: items.length };
    };
    var fill = function (template, n) {
      return template.replace("{n}", n.done).replace("{total}", n.total);
    };
    var count = function () {
      groups.forEach(function (group) {
        var n = answered(group);
        var label = group.querySelector("[data-group-count]");
        label.textContent = fill(label.dataset.template, n);
        label.classList.toggle("is-complete", n.done === n.total);
      });
      var text = fill(checklist.dataset.countTemplate, answered(checklist));
      if (overall.textContent !== text) overall.textContent = text;
    };
    checklist.addEventListener("change", count);
    groups.forEach(function (group) {
      var button = group.querySelector("[data-all-yes]");
      button.hidden = false;
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(group.querySelectorAll("[data-item]"), function (item) {
          if (!item.querySelector("input[type=radio]:checked")) {
            item.querySelector("input[type=radio][value=yes]").checked = true;
          }
        });
        count();
      });
    });
    count();
  }

  // "Edit review" opens the form, filled in with the saved review, in place.
  var edit = document.getElementById("edit-review");
  var form = document.getElementById("review");
  var saved = document.getElementById("verdict");
  if (edit && form && saved) {
    var openedHere = false;
    edit.addEventListener("click", function (e) {
      e.preventDefault();
      openedHere = true;
      saved.hidden = true;
      form.hidden = false;
      form.querySelector("h2").focus();
    });
    var cancel = document.getElementById("cancel-edit");
    if (cancel) {
      cancel.addEventListener("click", function (e) {
        if (!openedHere) return;  // opened by the link: going back to the page shows the saved review
        e.preventDefault();
        form.querySelector("form").reset();
        if (checklist) checklist.dispatchEvent(new Event("change"));
        form.hidden = true;
        saved.hidden = false;
        edit.focus();
      });
    }
  }
})();

// The version page's review tools: comment markers (points and range bars) on the timeline,
// times in comments that seek, keyboard control (space, J/K/L, arrows, C, I, O), pinning a new
// comment to the current moment or an in-out range, drawing on the paused frame, and sending
// comments, replies and resolutions through the API so the player keeps its time and play state.
// Without this script every form posts as a plain form and the page comes back.
(function () {
  "use strict";
  var video = document.getElementById("video");
  var section = document.getElementById("comments");
  var list = document.getElementById("comment-list");
  var form = document.getElementById("comment-form");
  var overlay = document.getElementById("overlay");
  var markers = document.getElementById("markers");
  var status = document.getElementById("comments-status");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var $ = function (id) { return document.getElementById(id); };

  var clock = function (seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  };
  var span = function (start, end) {
    return clock(start / 1000) + (end === null || end === undefined ? "" : "–" + clock(end / 1000));
  };
  var announce = function (text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  };
  var duration = function () {
    var player = $("player");
    return (video && video.duration) || Number(player && player.dataset.duration) || 0;
  };
  var seek = function (seconds) {
    video.currentTime = Math.max(0, Math.min(duration() || seconds, seconds));
  };
  var nowMs = function () { return Math.round(video.currentTime * 1000); };
  var msOf = function (value) { return value === undefined || value === "" ? null : Number(value); };

  // ---- sending through the API ------------------------------------------------------------
  var send = function (url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf ? csrf.content : "" },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        var error = new Error((data.error && data.error.message) || section.dataset.msgOffline);
        throw error;
      });
    }, function () { throw new Error(section.dataset.msgOffline); });
  };

  var errorBox = function (formEl) { return formEl.querySelector(".form-error"); };
  var showError = function (formEl, message) {
    var box = errorBox(formEl), text = formEl.querySelector("textarea");
    if (!box) return;
    box.id = box.id || "error-" + Math.random().toString(36).slice(2);
    box.textContent = message;
    box.hidden = false;
    if (text) {
      text.setAttribute("aria-invalid", "true");
      text.setAttribute("aria-describedby", box.id);
    }
    box.focus();
  };
  var clearError = function (formEl) {
    var box = errorBox(formEl), text = formEl.querySelector("textarea");
    if (box) { box.hidden = true; box.textContent = ""; }
    if (text) { text.removeAttribute("aria-invalid"); text.removeAttribute("aria-describedby"); }
  };

  // ---- markers ------------------------------------------------------------------------------
  // Positions are set here: the Content-Security-Policy allows no inline styles.
  var placeMarker = function (marker) {
    var d = duration(), start = Number(marker.dataset.ms) / 1000, end = msOf(marker.dataset.endMs);
    if (!d) return;
    marker.style.left = Math.min(100, (start / d) * 100) + "%";
    if (end !== null) marker.style.width = Math.max(0.5, Math.min(100, ((end / 1000 - start) / d) * 100)) + "%";
  };
  var placeMarkers = function () {
    if (markers) markers.querySelectorAll(".marker").forEach(placeMarker);
  };
  var addMarker = function (comment) {
    if (!markers || comment.timecode_ms === null) return;
    var marker = document.createElement("button");
    marker.type = "button";
    marker.tabIndex = -1;
    marker.className = "marker" + (comment.end_ms !== null ? " marker-range" : "") +
      (comment.private ? " marker-private" : "") + (comment.drawing ? " marker-drawing" : "");
    marker.dataset.ms = String(comment.timecode_ms);
    if (comment.end_ms !== null) marker.dataset.endMs = String(comment.end_ms);
    marker.dataset.target = "comment-" + comment.id;
    markers.appendChild(marker);
    placeMarker(marker);
  };

  // ---- drawings over the video --------------------------------------------------------------
  var drawing = window.KaryaDrawing;
  var saved = overlay && drawing ? drawing.layer(overlay, "saved") : null;
  var HOLD_S = 2;  // a drawing at a moment stays this long while the video plays on
  var active = function (start, end, t) {
    return t >= start - 0.05 && t <= (end === null ? start + HOLD_S : end);
  };
  var showDrawings = function () {
    if (!saved || !list) return;
    var t = video.currentTime, shapes = [];
    list.querySelectorAll(":scope > li.comment[data-drawing]").forEach(function (li) {
      if (!active(Number(li.dataset.ms) / 1000, msOf(li.dataset.endMs) === null ? null : Number(li.dataset.endMs) / 1000, t)) return;
      try { shapes = shapes.concat(JSON.parse(li.dataset.drawing)); } catch (e) { /* not a drawing */ }
    });
    drawing.render(overlay, saved, shapes);
    if (sketch) sketch.show(drawMode || (range.in !== null && active(range.in / 1000, range.out === null ? null : range.out / 1000, t)));
  };

  // ---- the new comment's moment: pinned, or an in-out range ----------------------------------
  var timecodeInput = $("comment-timecode"), endInput = $("comment-end"), drawingInput = $("comment-drawing");
  var atTime = $("comment-at-time"), label = $("comment-time-label"), body = $("comment-body");
  var setIn = $("set-in"), setOut = $("set-out"), clearRange = $("clear-range"), rangeHint = $("range-hint");
  var range = { in: null, out: null };

  var syncTime = function () {
    if (!form || !video) return;
    var pinned = !atTime || atTime.checked;
    var start = range.in !== null ? range.in : (pinned ? nowMs() : null);
    timecodeInput.value = start === null ? "" : String(start);
    endInput.value = range.out === null ? "" : String(range.out);
    if (label) {
      label.textContent = start === null ? "" : range.out !== null
        ? label.dataset.rangeTemplate.replace("{start}", clock(start / 1000)).replace("{end}", clock(range.out / 1000))
        : label.dataset.template.replace("{time}", clock(start / 1000));
    }
    if (setOut) setOut.disabled = range.in === null;
    if (clearRange) clearRange.hidden = range.in === null;
    if (setIn) setIn.setAttribute("aria-pressed", String(range.in !== null));
    if (setOut) setOut.setAttribute("aria-pressed", String(range.out !== null));
  };
  var hint = function (text) {
    if (!rangeHint) return;
    rangeHint.textContent = text || "";
    rangeHint.hidden = !text;
  };
  var markIn = function () {
    range.in = nowMs();
    if (range.out !== null && range.out <= range.in) range.out = null;
    if (atTime) atTime.checked = true;
    hint("");
    syncTime();
  };
  var markOut = function () {
    if (range.in === null) return;
    var out = nowMs();
    if (out <= range.in) { hint(rangeHint.dataset.outBeforeIn); return; }
    range.out = out;
    hint("");
    syncTime();
  };
  var unsetRange = function () {
    range.in = range.out = null;
    hint("");
    syncTime();
  };

  // ---- drawing a new comment's shapes --------------------------------------------------------
  var drawToggle = $("draw-toggle"), drawTools = $("draw-tools"), drawCount = $("drawing-count");
  var drawMode = false, sketch = null;
  var drawingChanged = function (shapes) {
    drawingInput.value = shapes.length ? JSON.stringify(shapes) : "";
    drawCount.textContent = shapes.length ? drawCount.dataset.template.replace("{n}", shapes.length) : "";
    if (shapes.length && range.in === null) { range.in = nowMs(); syncTime(); }  // a drawing pins its frame
  };
  var openDrawing = function () {
    drawMode = true;
    video.pause();
    if (range.in !== null) seek(range.in / 1000);
    if (atTime) atTime.checked = true;
    overlay.classList.add("drawing");
    overlay.removeAttribute("aria-hidden");
    overlay.setAttribute("role", "application");
    overlay.setAttribute("aria-label", overlay.dataset.label);
    overlay.setAttribute("tabindex", "0");
    sketch.setActive(true);
    drawTools.hidden = false;
    drawToggle.setAttribute("aria-expanded", "true");
    video.scrollIntoView({ block: "nearest" });
    syncTime();
    showDrawings();
  };
  var closeDrawing = function () {
    drawMode = false;
    sketch.setActive(false);
    overlay.classList.remove("drawing");
    overlay.setAttribute("aria-hidden", "true");
    overlay.removeAttribute("role");
    overlay.removeAttribute("aria-label");
    overlay.removeAttribute("tabindex");
    drawTools.hidden = true;
    drawToggle.setAttribute("aria-expanded", "false");
    showDrawings();
  };
  var pressOne = function (buttons, chosen) {
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === chosen)); });
  };

  if (form && video && overlay && drawing) {
    $("comment-tools").hidden = false;
    $("comment-extras").hidden = false;
    sketch = drawing.sketch(overlay, { onChange: drawingChanged });
    if (drawingInput.value) {
      try { sketch.load(JSON.parse(drawingInput.value)); } catch (e) { drawingInput.value = ""; }
    }
    var tools = Array.prototype.slice.call(drawTools.querySelectorAll("[data-tool]"));
    var swatches = Array.prototype.slice.call(drawTools.querySelectorAll("[data-color]"));
    tools.forEach(function (b) {
      b.addEventListener("click", function () { sketch.setTool(b.dataset.tool); pressOne(tools, b); });
    });
    swatches.forEach(function (b) {
      b.addEventListener("click", function () { sketch.setColor(b.dataset.color); pressOne(swatches, b); });
    });
    drawToggle.addEventListener("click", function () { if (drawMode) closeDrawing(); else openDrawing(); });
    $("draw-undo").addEventListener("click", function () { sketch.undo(); });
    $("draw-clear").addEventListener("click", function () { sketch.clear(); });
    $("draw-done").addEventListener("click", function () { closeDrawing(); drawToggle.focus(); });
    $("draw-keyboard").addEventListener("click", function () { sketch.useKeyboard(); overlay.focus(); });
    setIn.addEventListener("click", markIn);
    setOut.addEventListener("click", markOut);
    clearRange.addEventListener("click", function () { unsetRange(); setIn.focus(); });
    video.addEventListener("timeupdate", syncTime);
    video.addEventListener("seeked", syncTime);
    if (atTime) atTime.addEventListener("change", function () { if (!atTime.checked) unsetRange(); syncTime(); });
    body.addEventListener("focus", syncTime);
    syncTime();
  }
  if (video) {
    video.addEventListener("loadedmetadata", function () {
      if (overlay && video.videoWidth && video.videoHeight) {
        overlay.setAttribute("viewBox", "0 0 " + video.videoWidth + " " + video.videoHeight);
      }
      placeMarkers();
      showDrawings();
    });
    if (video.readyState >= 1) placeMarkers();
    ["timeupdate", "seeked", "play"].forEach(function (name) { video.addEventListener(name, showDrawings); });
  }

  // ---- a time in a comment, or a marker, seeks the player -----------------------------------
  // (Comments of earlier versions link to their own page.)
  document.querySelectorAll("a.timecode[data-other-version]").forEach(function (link) { link.removeAttribute("href"); });
  var goTo = function (li) {
    if (!li || !video) return;
    seek(Number(li.dataset.ms) / 1000);
    if (li.hasAttribute("data-drawing")) video.pause();  // so the drawing stays in view
    showDrawings();
  };
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.timecode");
    if (link && !link.hasAttribute("data-other-version") && video) {
      e.preventDefault();
      goTo(link.closest("li.comment"));
      video.scrollIntoView({ block: "nearest" });
      return;
    }
    var marker = e.target.closest && e.target.closest("#markers .marker");
    if (marker) goTo($(marker.dataset.target));
  });

  // ---- comments, replies and resolving without leaving the page ------------------------------
  var template = $("comment-template");
  var newThread = function (c) {
    var li = template.content.querySelector("li.comment").cloneNode(true);
    li.id = "comment-" + c.id;
    li.classList.toggle("comment-private", c.private);
    var link = li.querySelector("a.timecode");
    if (c.timecode_ms === null) {
      link.remove();
      ["data-ms", "data-end-ms", "data-drawing"].forEach(function (a) { li.removeAttribute(a); });
    } else {
      link.textContent = span(c.timecode_ms, c.end_ms);
      link.dataset.ms = li.dataset.ms = String(c.timecode_ms);
      if (c.end_ms !== null) li.dataset.endMs = String(c.end_ms); else li.removeAttribute("data-end-ms");
      if (c.drawing) li.dataset.drawing = JSON.stringify(c.drawing); else li.removeAttribute("data-drawing");
    }
    li.querySelector(".comment-head strong").textContent = c.author.name || "";
    if (!c.private) li.querySelector(".badge-private").remove();
    if (!c.drawing) li.querySelector(".badge-drawing").remove();
    li.querySelector(".comment-body").textContent = c.body;
    var reply = li.querySelector("form.reply-form");
    reply.querySelector("input[name=parent_id]").value = String(c.id);
    reply.querySelector("textarea").id = "reply-" + c.id;
    reply.querySelector("label").htmlFor = "reply-" + c.id;
    var resolve = li.querySelector("form.resolve-form");
    if (resolve) resolve.action = section.dataset.resolveAction.replace("/0/", "/" + c.id + "/");
    return li;
  };
  var insertThread = function (li, c) {
    var later = null;
    list.querySelectorAll(":scope > li.comment").forEach(function (other) {
      if (later) return;
      var ms = msOf(other.dataset.ms);
      if (c.timecode_ms !== null && (ms === null || ms > c.timecode_ms)) later = other;
    });
    list.insertBefore(li, later);
    $("no-comments").hidden = true;
  };
  var resetNewComment = function () {
    body.value = "";
    if (sketch) { sketch.clear(); if (drawMode) closeDrawing(); }
    unsetRange();
  };

  var submitComment = function (formEl) {
    var text = formEl.querySelector("textarea");
    var privateBox = formEl.querySelector("input[name=private]");
    var payload = { body: text.value, timecode_ms: msOf(timecodeInput.value), end_ms: msOf(endInput.value),
                    drawing: drawingInput.value ? JSON.parse(drawingInput.value) : null,
                    private: !!(privateBox && privateBox.checked) };
    return send(section.dataset.api, payload).then(function (c) {
      insertThread(newThread(c), c);
      addMarker(c);
      if (privateBox) privateBox.checked = false;
      resetNewComment();
      showDrawings();
      announce(section.dataset.msgAdded);
    });
  };
  var submitReply = function (formEl) {
    var text = formEl.querySelector("textarea"), li = formEl.closest("li.comment");
    var payload = { body: text.value, parent_id: Number(formEl.querySelector("input[name=parent_id]").value) };
    return send(section.dataset.api, payload).then(function (c) {
      var replies = li.querySelector(".replies"), item = document.createElement("li"), who = document.createElement("strong");
      var words = document.createElement("span");
      item.className = "reply";
      item.id = "comment-" + c.id;
      who.textContent = c.author.name || "";
      words.className = "comment-body";
      words.textContent = c.body;
      item.append(who, " ", words);
      replies.appendChild(item);
      replies.hidden = false;
      text.value = "";
      announce(section.dataset.msgReplied);
    });
  };
  var submitResolve = function (formEl) {
    var li = formEl.closest("li.comment"), id = li.id.replace("comment-", "");
    var resolving = formEl.querySelector("input[name=resolved]").value === "1";
    var url = (resolving ? section.dataset.resolveApi : section.dataset.unresolveApi).replace("/0/", "/" + id + "/");
    return send(url).then(function (c) {
      var button = formEl.querySelector("button");
      li.classList.toggle("comment-resolved", c.resolved);
      li.querySelector(".badge-resolved").hidden = !c.resolved;
      formEl.querySelector("input[name=resolved]").value = c.resolved ? "0" : "1";
      button.textContent = c.resolved ? button.dataset.labelReopen : button.dataset.labelResolve;
      announce(c.resolved ? section.dataset.msgResolved : section.dataset.msgReopened);
    });
  };

  if (section && window.fetch) {
    section.addEventListener("submit", function (e) {
      var formEl = e.target, kind = formEl.dataset.kind;
      var run = { comment: submitComment, reply: submitReply, resolve: submitResolve }[kind];
      if (!run || (kind === "comment" && !video)) return;  // no player: the plain form does it
      e.preventDefault();
      if (kind === "comment") syncTime();
      var button = formEl.querySelector("button[type=submit]");
      if (button.disabled) return;
      button.disabled = true;
      clearError(formEl);
      run(formEl).catch(function (error) {
        // Everything typed (and drawn) stays in the form.
        showError(formEl, error.message);
      }).then(function () { button.disabled = false; });
    });
  }

  // ---- keys -----------------------------------------------------------------------------------
  if (!video) return;
  var typing = function (el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && el.type !== "radio" && el.type !== "checkbox"));
  };
  // A control's own keys stay with it: Space and Enter press a button or pick an answer,
  // arrows move between answers and tabs. Letters (J, K, L, C, I, O) still reach the player.
  var OWN_KEYS = [" ", "enter", "arrowleft", "arrowright", "arrowup", "arrowdown", "home", "end"];
  function keptByControl(element, key) {
    var control = element && element.closest && element.closest("input, button, select, textarea, a[href], summary, [role=tab]");
    return control && !control.closest("#player") && OWN_KEYS.indexOf(key) !== -1;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    var key = e.key.toLowerCase(), handled = true;
    if (keptByControl(e.target, key)) return;
    if (key === "escape" && drawMode) {
      closeDrawing();
      drawToggle.focus();
    } else if (document.activeElement === overlay) {
      return;  // the drawing area has its own keys
    } else if (key === " " || key === "k") {
      if (key === " " && (document.activeElement === video || document.activeElement.tagName === "BUTTON")) return;
      if (key === "k" || !video.paused) video.pause(); else video.play();
    } else if (key === "j") seek(video.currentTime - 10);
    else if (key === "l") seek(video.currentTime + 10);
    else if (key === "arrowleft") seek(video.currentTime - (e.shiftKey ? 5 : 1));
    else if (key === "arrowright") seek(video.currentTime + (e.shiftKey ? 5 : 1));
    else if (key === "i" && form && sketch) markIn();
    else if (key === "o" && form && sketch) markOut();
    else if (key === "c" && form) {
      video.pause();
      if (atTime) atTime.checked = true;
      syncTime();
      body.focus();
    } else handled = false;
    if (handled) e.preventDefault();
  });
})();

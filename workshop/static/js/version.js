// The version page: live processing progress while the video is being prepared,
// then the player with a storyboard preview when hovering or dragging the scrub bar.
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

    var formatTime = function (seconds) {
      var m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
      return m > 0 ? m + " " + box.dataset.unitMin + " " + s + " " + box.dataset.unitS
                   : s + " " + box.dataset.unitS;
    };

    var show = function (st) {
      if (st.state === "ready" || st.state === "failed") {
        window.location.reload();
        return true;
      }
      var pct = Math.round(st.progress || 0);
      fill.style.width = pct + "%";
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

// The version page's review tools: comment markers on the timeline, click a time to seek,
// keyboard control (space, J/K/L, arrows, C) and pinning a new comment to the current moment.
(function () {
  "use strict";
  var video = document.getElementById("video");
  var form = document.getElementById("comment-form");
  if (!video) return;
  var timecodeInput = document.getElementById("comment-timecode");
  var atTime = document.getElementById("comment-at-time");
  var label = document.getElementById("comment-time-label");
  var body = document.getElementById("comment-body");

  var clock = function (seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  };
  var duration = function () {
    var player = document.getElementById("player");
    return video.duration || Number(player && player.dataset.duration) || 0;
  };
  var seek = function (seconds) {
    video.currentTime = Math.max(0, Math.min(duration() || seconds, seconds));
  };

  // Markers: placed along the timeline by their time (positions set here: the CSP allows no inline styles).
  var placeMarkers = function () {
    var d = duration();
    if (!d) return;
    document.querySelectorAll("#markers .marker").forEach(function (marker) {
      marker.style.left = Math.min(100, (Number(marker.dataset.ms) / 1000 / d) * 100) + "%";
      marker.addEventListener("click", function () { seek(Number(marker.dataset.ms) / 1000); });
    });
  };
  video.addEventListener("loadedmetadata", placeMarkers);
  if (video.readyState >= 1) placeMarkers();

  // A time in a comment seeks the player (comments of earlier versions link to their own page).
  document.querySelectorAll("a.timecode").forEach(function (link) {
    if (link.hasAttribute("data-other-version")) {
      link.removeAttribute("href");
      return;
    }
    link.addEventListener("click", function (e) {
      e.preventDefault();
      seek(Number(link.dataset.ms) / 1000);
      video.scrollIntoView({ block: "nearest" });
    });
  });

  // The new comment is pinned to where the video is whenever it is written.
  var syncTime = function () {
    if (!form) return;
    var pinned = !atTime || atTime.checked;
    timecodeInput.value = pinned ? String(Math.round(video.currentTime * 1000)) : "";
    if (label) label.textContent = pinned ? label.dataset.template.replace("{time}", clock(video.currentTime)) : "";
  };
  if (form) {
    video.addEventListener("timeupdate", syncTime);
    video.addEventListener("seeked", syncTime);
    if (atTime) atTime.addEventListener("change", syncTime);
    body.addEventListener("focus", syncTime);
    form.addEventListener("submit", syncTime);
    syncTime();
  }

  var typing = function (el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && el.type !== "radio" && el.type !== "checkbox"));
  };
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    var key = e.key.toLowerCase(), handled = true;
    if (key === " " || key === "k") {
      if (key === " " && document.activeElement === video) return;  // the native controls already toggle
      if (key === "k" || !video.paused) video.pause(); else video.play();
    } else if (key === "j") seek(video.currentTime - 10);
    else if (key === "l") seek(video.currentTime + 10);
    else if (key === "arrowleft") seek(video.currentTime - (e.shiftKey ? 5 : 1));
    else if (key === "arrowright") seek(video.currentTime + (e.shiftKey ? 5 : 1));
    else if (key === "c" && form) {
      video.pause();
      if (atTime) atTime.checked = true;
      syncTime();
      body.focus();
    } else handled = false;
    if (handled) e.preventDefault();
  });
})();

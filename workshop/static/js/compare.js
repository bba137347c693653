// Two versions side by side: playing, pausing and seeking one does the same to the other.
(function () {
  "use strict";
  var videos = Array.prototype.slice.call(document.querySelectorAll("video.synced"));
  if (videos.length !== 2) return;
  var following = false;  // set while we move the other video, so its events do not echo back
  var other = function (v) { return videos[0] === v ? videos[1] : videos[0]; };
  videos.forEach(function (v) {
    v.addEventListener("play", function () { if (!following && other(v).paused) { following = true; other(v).play().finally(function () { following = false; }); } });
    v.addEventListener("pause", function () { if (!following && !other(v).paused) { following = true; other(v).pause(); following = false; } });
    v.addEventListener("seeked", function () {
      var o = other(v);
      if (following || Math.abs(o.currentTime - v.currentTime) < 0.25) return;
      following = true;
      o.currentTime = Math.min(v.currentTime, o.duration || v.currentTime);
      o.addEventListener("seeked", function done() { following = false; o.removeEventListener("seeked", done); });
    });
  });
})();

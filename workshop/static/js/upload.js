// The student's uploader: Uppy's Dashboard (drag and drop, file picker, progress,
// pause and resume) over tus, so a dropped school connection resumes where it stopped.
(function () {
  "use strict";
  var el = document.getElementById("uploader");
  if (!el || !window.Uppy) return;

  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var lang = document.documentElement.lang;
  var versionId = null;

  var uppy = new Uppy.Uppy({
    autoProceed: false,
    locale: lang === "id" && Uppy.locales ? Uppy.locales.id_ID : undefined,
    restrictions: {
      maxNumberOfFiles: 1,
      maxFileSize: Number(el.dataset.maxBytes),
      // The server decides by content; this only keeps the picker tidy on phones.
      allowedFileTypes: ["video/*", ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".3gp"]
    },
    meta: { assignment_id: el.dataset.assignmentId }
  });

  uppy.use(Uppy.Dashboard, {
    inline: true,
    target: el,
    width: "100%",
    height: 340,
    note: el.dataset.note,
    proudlyDisplayPoweredByUppy: false,
    showProgressDetails: true,
    doneButtonHandler: null
  });

  uppy.use(Uppy.Tus, {
    endpoint: el.dataset.endpoint,
    chunkSize: 8 * 1024 * 1024,
    // Keep retrying through a dropped connection for several minutes.
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000, 60000, 60000],
    headers: { "X-CSRFToken": csrf },
    // Only fields Uppy really sets on a file. Uppy copies name to filename and type to
    // filetype itself, but only when those keys are absent: listing "filename" here
    // would send the text "undefined" (String() of a field no file has) in its place.
    allowedMetaFields: ["assignment_id", "name", "type"],
    removeFingerprintOnSuccess: true,
    onAfterResponse: function (req, res) {
      var id = res.getHeader("Karya-Version-Id");
      if (id) versionId = id;
    }
  });

  uppy.on("complete", function (result) {
    if (versionId && result.successful && result.successful.length) {
      window.location.href = el.dataset.versionUrl + versionId;
    }
  });
})();

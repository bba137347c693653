"""What the media pipeline's codes mean, in words people read (English and Bahasa Indonesia).

Two audiences: a student whose upload was refused (short, kind, what to do next),
and a mentor reading the automatic checks (what was found, and where). Codes are
stable strings stored with a version; placeholders are filled from the stored
params, so a message can be reworded or translated without touching old rows.

The only module of the pipeline that knows about Flask (through flask_babel).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A student reads these when an upload is refused (MediaRefused.code).
REFUSALS = {
    "empty": _l("This file is empty. Choose the video again and upload it."),
    "not_media": _l("This file is not a video. Choose a video file, for example one from your "
                    "phone's gallery, and upload it."),
    "damaged": _l("This video file is broken or did not finish copying. Save or export the video "
                  "again on your phone, then upload it."),
    "still_image": _l("This is a photo, not a video. Choose a video and upload it."),
    "no_video": _l("This file has sound but no picture. Upload a video that has a picture too."),
    "too_long": _l("This video is %(actual)s long, but videos can be at most %(max)s. Make it "
                   "shorter and upload it again."),
    "too_short": _l("This video is shorter than one second. Check that you chose the right file "
                    "and upload it again."),
    "dimensions": _l("The picture in this video is too big (%(width)s×%(height)s). Save it at a "
                     "smaller size, for example 1080p, and upload it again."),
    "frame_rate": _l("This video has too many frames per second (%(fps)s; at most %(max_fps)s). "
                     "Record or export it at 30 or 60 frames per second and upload it again."),
    "too_many_streams": _l("This file has too many tracks inside (%(streams)s). Export it again "
                           "from your editing app as a normal video and upload that."),
}

UNKNOWN_REFUSAL = _l("We could not use this file. Try uploading it again, or ask your workshop lead for help.")

# A mentor reads these beside the checklist (check["detail_code"]).
CHECK_DETAILS = {
    # loudness
    "no_audio": _l("The video has no sound track."),
    "silent_track": _l("The sound track is silent."),
    "too_quiet": _l("Very quiet (%(lufs)s LUFS; speech is clear at about -23 to -14). Viewers may "
                    "not hear it."),
    "too_loud": _l("Very loud (%(lufs)s LUFS; about -23 to -14 is comfortable)."),
    "loudness_ok": _l("Loudness is fine (%(lufs)s LUFS)."),
    # true peak
    "clipping": _l("The sound is clipped (peak %(dbtp)s dBTP): loud parts will sound distorted."),
    "near_clipping": _l("The sound peaks close to the limit (%(dbtp)s dBTP) and may distort on some devices."),
    "peak_ok": _l("Sound peaks are fine (%(dbtp)s dBTP)."),
    "silent_peak": _l("No sound peaks: the sound track is silent."),
    # silence
    "long_silence": _l("Silent for %(seconds)s seconds from %(start)s."),
    "silence_ok": _l("No long silences."),
    # black
    "black_segment": _l("The picture is black for %(seconds)s seconds from %(start)s."),
    "mostly_black": _l("The picture is black for almost the whole video."),
    "black_ok": _l("No long black parts."),
    # frozen
    "frozen_segment": _l("The picture does not move for %(seconds)s seconds from %(start)s. Fine for "
                         "a slide or a title; check that it is meant to be still."),
    "frozen_ok": _l("No frozen picture."),
    # flashing
    "flashing": _l("Flashing: %(flashes)s flashes within one second, from %(start)s. More than "
                   "%(limit)s flashes a second can cause seizures (WCAG 2.3.1); ask for it to be "
                   "removed or slowed down."),
    "flashing_ok": _l("No dangerous flashing found (measured on the whole picture; still watch "
                      "for small flashing areas)."),
    # duration
    "duration_within": _l("Length %(actual)s, within the %(max)s limit."),
    "duration_ok": _l("Length %(actual)s."),
    "slightly_over": _l("Length %(actual)s, a little over the %(max)s limit."),
    "over_limit": _l("Length %(actual)s, over the %(max)s limit."),
}

UNKNOWN_DETAIL = _l("No details.")


class _Params(dict):
    """Params for %-formatting where a missing key shows as a dash instead of raising."""

    def __missing__(self, key: str) -> str:
        return "–"


def _format(message, params: dict | None) -> str:
    text = str(message)
    try:
        return text % _Params(params or {})
    except (TypeError, ValueError):  # a translation with a broken placeholder
        return text


def refusal_message(code: str, params: dict | None = None) -> str:
    """The sentence a student reads for a refusal ``code``, in the current language."""
    return _format(REFUSALS.get(code, UNKNOWN_REFUSAL), params)


def describe_check(check: dict) -> str:
    """The sentence a mentor reads for one automatic check, in the current language."""
    return _format(CHECK_DETAILS.get(check.get("detail_code"), UNKNOWN_DETAIL), check.get("params"))

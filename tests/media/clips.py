"""Small test clips, generated with real ffmpeg from its lavfi test sources.

Each clip is a recipe: the ffmpeg arguments that make it from nothing (plus, for a
few, a step in Python). :func:`generate` makes them all in parallel into one folder,
once per test session. Sizes and durations are small so the whole set takes a few
seconds; the portrait phone clip alone is full size (1080×1920), because the
rendition's box logic must see a real phone frame.

The recipes need the ffmpeg floor the app keeps to (workshop/media/tools.py): 5.1 has
no ``-display_rotation``, and its x264 clip of the interlaced recipe comes out marked
progressive. The ``ffmpeg`` fixture passes :func:`workshop.media.tools.locate`'s choice in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workshop.media import tools

QUIET = ["-hide_banner", "-nostdin", "-v", "error", "-y"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]


def lavfi(source: str) -> list[str]:
    return ["-f", "lavfi", "-i", source]


def tone(seconds: float, frequency: int = 440, volume: str = "0dB") -> list[str]:
    """A sine tone; lavfi's sine is at -18 dBFS, about -22 LUFS."""
    return lavfi(f"sine=frequency={frequency}:sample_rate=48000:duration={seconds},volume={volume}")


def testsrc(size: str, seconds: float, rate: int = 25) -> list[str]:
    return lavfi(f"testsrc2=size={size}:rate={rate}:duration={seconds}")


# lavfi's sine has amplitude 1/8 (-18.06 dBFS); the known-answer tests compute from it.
SINE_AMPLITUDE = 1 / 8
# Float PCM keeps the samples exactly: AAC's coding error lifts a sine's true peak by up to
# ~0.9 dB, and it cannot carry a level above full scale, which the clipping clip needs.
PCM = ["-c:a", "pcm_f32le"]


def stereo_tone(seconds: float, frequency: int = 997, gain_db: float = 0.0) -> list[str]:
    """The same sine in both channels at ``SINE_AMPLITUDE`` × ``gain_db`` (no up-mix, whose
    centre-to-sides gain would change the level)."""
    return lavfi(f"sine=frequency={frequency}:sample_rate=48000:duration={seconds},"
                 f"volume={gain_db}dB,pan=stereo|c0=c0|c1=c0")


# Lossless H.264: the known-answer clips' frames change exactly where the recipe says
# (lossy frames right after a cut still settle for a frame or two, which moves a freeze).
X264_LOSSLESS = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]

# 1 s of test pattern, 3 s of black (1.0-4.0 s), 1 s of test pattern.
BLACK = (lavfi("testsrc2=size=160x90:rate=25:duration=1") + lavfi("color=black:size=160x90:rate=25:d=3")
         + lavfi("testsrc2=size=160x90:rate=25:duration=1") + tone(5)
         + ["-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-map", "3:a"])
# 1 s of moving test pattern, then 4 s of still colour bars (frozen from 1.0 s to the end).
FROZEN = (lavfi("testsrc2=size=160x90:rate=25:duration=1") + lavfi("smptebars=size=160x90:rate=25:d=4")
          + tone(5) + ["-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a"])

# Top half white, bottom half black: tells upright from rotated at a glance.
HALVES = "color=white:size=320x240:rate=25:duration=2,drawbox=x=0:y=120:w=320:h=120:color=black:t=fill"

RECIPES: dict[str, list[str]] = {
    # --- sources that must work ------------------------------------------------------
    "portrait.mp4": testsrc("1080x1920", 2, 30) + tone(2) + X264 + AAC + ["-shortest"],
    "halves.mp4": lavfi(HALVES) + tone(2) + X264 + AAC + ["-shortest"],  # rotated in a second step
    "hevc10.mov": testsrc("320x240", 2) + tone(2) + [
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
        "-x265-params", "log-level=error"] + AAC + ["-shortest"],
    "vp9.webm": testsrc("320x240", 2) + tone(2) + [
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
        "-c:a", "libopus", "-shortest"],
    "mjpeg.avi": testsrc("320x240", 2) + tone(2) + [
        "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "5", "-c:a", "pcm_s16le", "-shortest"],
    # 4:4:4, because 4:2:0 cannot have odd dimensions (lavfi sources round them to even).
    "odd.mkv": lavfi("testsrc2=size=322x242:rate=25:duration=2,format=yuv444p,crop=321:241")
    + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"],
    # Three tracks: a silent first one, then a tone marked default (the one to keep), then another.
    "multi_audio.mp4": testsrc("320x240", 2) + lavfi("anullsrc=sample_rate=48000:channel_layout=stereo:d=2")
    + tone(2, 440) + tone(2, 880) + ["-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a"] + X264 + AAC
    + ["-disposition:a:0", "0", "-disposition:a:1", "default", "-disposition:a:2", "0", "-shortest"],
    "websafe.mp4": testsrc("1280x720", 2, 30) + lavfi(
        "sine=frequency=440:sample_rate=48000:duration=2,aformat=channel_layouts=stereo")
    + ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", "30"]
    + AAC + ["-movflags", "+faststart", "-shortest"],
    # Interlaced, each frame weaving a white top field with a black bottom one: a still
    # taken from the woven frame is striped, one taken from a field is not.
    "interlaced.mkv": lavfi("color=black:size=320x240:rate=50:d=2,geq=lum='if(mod(N,2),16,235)':cb=128:cr=128,"
                            "tinterlace=mode=interleave_top,setfield=tff")
    + tone(2) + X264 + ["-flags", "+ildct+ilme", "-x264-params", "tff=1"] + AAC + ["-shortest"],
    # --- refused ---------------------------------------------------------------------
    "picture.png": lavfi("testsrc2=size=320x240") + ["-frames:v", "1"],
    "photo.jpg": lavfi("testsrc2=size=320x240") + ["-frames:v", "1"],
    "still.mov": lavfi("testsrc2=size=320x240") + ["-frames:v", "1", "-c:v", "png"],
    "song.m4a": tone(2) + ["-c:a", "aac"],
    "song.mp3": tone(2) + ["-c:a", "libmp3lame"],
    "phone_order.mp4": testsrc("320x240", 2) + tone(2) + X264 + AAC + ["-shortest"],  # moov at the end
    "blink.mp4": testsrc("320x240", 0.2) + X264,
    # --- automatic checks (Matroska, so they are transcoded and every frame is analysed) ---
    "silent.mkv": testsrc("160x90", 6) + lavfi("anullsrc=sample_rate=48000:channel_layout=stereo:d=6")
    + X264 + AAC + ["-shortest"],
    "quiet.mkv": testsrc("160x90", 3) + tone(3, volume="-18dB") + X264 + AAC + ["-shortest"],
    "clipping.mkv": testsrc("160x90", 3) + tone(3, volume="24dB") + X264 + AAC + ["-shortest"],
    "black.mkv": BLACK + X264 + AAC,
    "frozen.mkv": FROZEN + X264 + AAC,
    # Full-frame black/white swap every frame at 20 fps: 10 flashes a second.
    "flashing.mkv": lavfi("color=black:size=160x90:rate=20:d=3,geq=lum='if(mod(N,2),235,16)':cb=128:cr=128")
    + tone(3) + X264 + AAC + ["-shortest"],
    # The swap every second frame: 10 changes, so 5 flashes, a second.
    "flash_5hz.mkv": lavfi("color=black:size=160x90:rate=20:d=3,geq=lum='if(mod(floor(N/2),2),235,16)':cb=128:cr=128")
    + tone(3) + X264 + AAC + ["-shortest"],
    # --- known answers (test_known_answers.py): levels and times computed from the recipe ---
    "ka_997.mkv": testsrc("160x90", 4) + stereo_tone(4) + X264 + PCM + ["-shortest"],
    "ka_997_aac.mkv": testsrc("160x90", 4) + stereo_tone(4) + X264 + AAC + ["-shortest"],
    "ka_440_quiet.mkv": testsrc("160x90", 4) + stereo_tone(4, 440, -12) + X264 + PCM + ["-shortest"],
    "ka_near_clipping.mkv": testsrc("160x90", 4) + stereo_tone(4, gain_db=17.5) + X264 + PCM + ["-shortest"],
    "ka_clipping.mkv": testsrc("160x90", 4) + stereo_tone(4, gain_db=24) + X264 + PCM + ["-shortest"],
    "ka_black.mkv": BLACK + X264_LOSSLESS + PCM,
    "ka_frozen.mkv": FROZEN + X264_LOSSLESS + PCM,
    # 997 Hz, digital silence from 2 s to 8 s, 997 Hz again to 10 s.
    "ka_gap.mkv": testsrc("160x90", 10)
    + lavfi("aevalsrc='if(between(t,2,8),0,sin(2*PI*997*t)/8)|if(between(t,2,8),0,sin(2*PI*997*t)/8)'"
            ":s=48000:d=10") + X264 + PCM + ["-shortest"],
    # The same swap once a second: one flash a second, well within the limit.
    "slow_swap.mkv": lavfi("color=black:size=160x90:rate=20:d=3,geq=lum='if(mod(floor(T),2),235,16)':cb=128:cr=128")
    + tone(3) + X264 + AAC + ["-shortest"],
}


def _rotate(ffmpeg: str, folder: Path) -> None:
    # ffmpeg 7: -display_rotation on the *input* writes a display matrix when stream-copying.
    # 90 means turned 90° counter-clockwise for display, as a phone held sideways records.
    subprocess.run([ffmpeg, *QUIET, "-display_rotation:v:0", "90", "-i", str(folder / "halves.mp4"),
                    "-c", "copy", str(folder / "rotated.mp4")], check=True, timeout=60)


def _python_made(folder: Path) -> None:
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("These are my notes for the video, not the video itself.\n" * 40)
    (folder / "random.mp4").write_bytes(os.urandom(64 * 1024))
    shutil.copy(folder / "picture.png", folder / "picture_renamed.mp4")
    data = (folder / "phone_order.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])  # moov (at the end) is lost
    fast = (folder / "websafe.mp4").read_bytes()
    (folder / "truncated_faststart.mp4").write_bytes(fast[: len(fast) * 2 // 3])  # header intact, data cut


def generate(ffmpeg: str, folder: Path) -> Path:
    """Make every clip of :data:`RECIPES` (in parallel) plus the derived ones; return the folder."""
    version = tools.version_of(ffmpeg)
    if tools.new_enough(version) is False:
        raise RuntimeError(f"the test clips need ffmpeg {tools.MINIMUM_TEXT} or newer; {ffmpeg} is {version}")
    folder.mkdir(parents=True, exist_ok=True)

    def make(item):
        name, args = item
        subprocess.run([ffmpeg, *QUIET, *args, str(folder / name)], check=True, timeout=120)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(make, RECIPES.items()))
    _rotate(ffmpeg, folder)
    _python_made(folder)
    return folder

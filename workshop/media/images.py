"""Poster and storyboard, made with Pillow from the JPEG frames ffmpeg extracted.

Only files ffmpeg wrote into the job's work folder are opened here, never the
upload itself, and each is checked to be a JPEG of sensible size before its pixels
are decoded. ffmpeg scaled them from the decoded source after its automatic
rotation, so they are already upright and at the rendition's size.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

from PIL import Image, ImageFilter, ImageStat

# Process-wide decompression-bomb guard. Karya only ever opens frames it made (at most
# 1280×1280); the largest legitimate picture is a source-sized frame of 4096×4096.
Image.MAX_IMAGE_PIXELS = 4096 * 4096
MAX_FRAME_PIXELS = 1280 * 1280

POSTER_QUALITY = 85
SPRITE_QUALITY = 80
STORYBOARD_COLUMNS = 10
SCORE_WIDTH = 320

# A frame darker or brighter than this on average, or this flat, makes a poor poster.
NEAR_BLACK, NEAR_WHITE, FLAT_CONTRAST = 24, 240, 8.0


@dataclass(frozen=True)
class FrameScore:
    path: str
    brightness: float  # mean luma 0..255
    contrast: float  # luma standard deviation
    sharpness: float  # variance of an edge-detected thumbnail
    usable: bool

    @property
    def score(self) -> float:
        # Sharp, with contrast, neither dark nor washed out. Logs, because a frame
        # twice as sharp is not twice as good a poster.
        exposure_penalty = abs(self.brightness - 120) / 120
        return math.log1p(self.sharpness) + 0.5 * math.log1p(self.contrast) - 1.5 * exposure_penalty


def open_frame(path: str | os.PathLike, *, grey_box: int | None = None) -> Image.Image:
    """Open a JPEG frame ffmpeg wrote, refusing anything else before decoding pixels.

    ``grey_box``: only the luma is wanted, to fit in a square of this side. The JPEG
    decoder then skips the colour and scales while decoding (by 1/2, 1/4 or 1/8,
    never below the fitted size), which for a 1280×720 candidate is a third of the work.
    """
    image = Image.open(path)
    if image.format != "JPEG":
        image.close()
        raise ValueError(f"{path}: expected a JPEG frame, got {image.format}")
    width, height = image.size
    if width * height > MAX_FRAME_PIXELS:
        image.close()
        raise ValueError(f"{path}: frame of {width}×{height} is larger than any rendition")
    if grey_box is not None and max(width, height) > grey_box:
        fit = grey_box / max(width, height)
        image.draft("L", (max(1, round(width * fit)), max(1, round(height * fit))))
    image.load()
    return image


def score_frame(path: str | os.PathLike) -> FrameScore:
    """How good a poster this frame would make."""
    with open_frame(path, grey_box=SCORE_WIDTH) as image:
        gray = image.convert("L")
    gray.thumbnail((SCORE_WIDTH, SCORE_WIDTH))
    stats = ImageStat.Stat(gray)
    brightness, contrast = stats.mean[0], stats.stddev[0]
    edges = gray.filter(ImageFilter.FIND_EDGES)
    # FIND_EDGES leaves a one-pixel border of garbage; crop it before measuring.
    edges = edges.crop((1, 1, max(2, edges.width - 1), max(2, edges.height - 1)))
    sharpness = ImageStat.Stat(edges).var[0]
    usable = NEAR_BLACK <= brightness <= NEAR_WHITE and contrast >= FLAT_CONTRAST
    return FrameScore(os.fspath(path), brightness, contrast, sharpness, usable)


def choose_poster(candidate_paths: Iterable[str | os.PathLike]) -> str:
    """The best candidate: the highest-scoring usable frame, else the highest-scoring one.

    Raises ValueError when there are no candidates.
    """
    scores = [score_frame(path) for path in candidate_paths]
    if not scores:
        raise ValueError("no poster candidates")
    pool = [s for s in scores if s.usable] or scores
    return max(pool, key=lambda s: s.score).path


def write_poster(frame_path: str | os.PathLike, out_path: str | os.PathLike) -> tuple[int, int]:
    """Save the chosen frame as the poster JPEG (rendition size, no metadata). Returns its size."""
    with open_frame(frame_path) as image:
        # No optimize=True: a progressive JPEG's Huffman tables are optimised anyway (the
        # same bytes), and asking again took 2.5 times as long (37 ms against 15 for 720×1280).
        image.convert("RGB").save(out_path, "JPEG", quality=POSTER_QUALITY, progressive=True)
        return image.size


def build_storyboard(frame_paths: Sequence[str | os.PathLike], interval_s: float, out_jpg: str | os.PathLike,
                     out_vtt: str | os.PathLike, *, vtt_url: str, duration_s: float | None = None,
                     columns: int = STORYBOARD_COLUMNS) -> tuple[int, int]:
    """Tile frames into a sprite and write a WebVTT thumbnails track pointing into it.

    Frame *i* (in the given order) shows time ``i * interval_s``; its cue lasts until
    the next frame's, the last one until ``duration_s`` when given. Each cue's text is
    ``<vtt_url>#xywh=x,y,w,h`` — ``vtt_url`` is where the sprite will be served (or a
    relative name such as ``storyboard.jpg``, which players resolve against the VTT's
    own URL). Returns the tile size.
    """
    if not frame_paths:
        raise ValueError("no storyboard frames")
    frames = list(frame_paths)
    if duration_s is not None:  # rounding in ffmpeg's fps filter can add a frame past the end
        frames = frames[:max(1, math.ceil(duration_s / interval_s))]
    with open_frame(frames[0]) as first:
        tile_w, tile_h = first.size
    columns = min(columns, len(frames))
    rows = math.ceil(len(frames) / columns)
    sprite = Image.new("RGB", (tile_w * columns, tile_h * rows))
    cues = []
    for i, path in enumerate(frames):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        with open_frame(path) as frame:
            tile = frame.convert("RGB")
            if tile.size != (tile_w, tile_h):
                tile = tile.resize((tile_w, tile_h))
            sprite.paste(tile, (x, y))
        start = i * interval_s
        end = (i + 1) * interval_s
        if i == len(frames) - 1 and duration_s is not None:
            end = max(duration_s, start + 0.001)
        cues.append(f"{_vtt_time(start)} --> {_vtt_time(end)}\n{vtt_url}#xywh={x},{y},{tile_w},{tile_h}\n")
    sprite.save(out_jpg, "JPEG", quality=SPRITE_QUALITY, optimize=True)
    with open(out_vtt, "w", encoding="utf-8", newline="\n") as vtt:
        vtt.write("WEBVTT\n\n" + "\n".join(cues))
    return tile_w, tile_h


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"

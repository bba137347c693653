"""Building ffmpeg command lines: pure functions, no processes.

:func:`plan` decides what the rendition looks like; :func:`transcode_command` and
:func:`remux_command` turn a plan into one ffmpeg invocation each. They are tested
without running ffmpeg; :mod:`runner` runs them.

One decode feeds everything, so processing costs about a bare transcode. It is a single
ffmpeg run whose decoded frames go to four filter graphs::

    rendition video  video ─ [deinterlace] ─ [fps cap] ─ scale to box ─ H.264 rendition
    rendition audio  audio ─ 48 kHz stereo ─ AAC rendition
    picture          video ─┬─ 64×36 ─ blackdetect ─ freezedetect ─ linear light ─ mean ─ luma log
                            ├─ fps=1/interval ─ tile size ─ storyboard JPEGs
                            └─ select 8 times ─ rendition size ─ poster candidate JPEGs
    sound            audio ─ silencedetect ─ ebur128 (true peak)

ffmpeg runs each filter graph in a thread of its own, and the rendition video
graph's thread is the one the H.264 encoder waits on: it scales every frame.
So that graph does nothing else, and it is exactly the bare transcode's graph
(``bare_transcode_command``). Each step away from one shared graph was measured
on two cores against that bare transcode, alternating (docs/performance.md):

* the analysis inside the main graph made the job ~10 % slower;
* the stills branching off the main graph, and the audio sharing it, left the
  encoder waiting (1.83 of 2 cores busy against the bare transcode's 1.89):
  ~3-5 % slower. The stills are now scaled from the decoded frames in the picture
  graph; only the ~40 chosen frames are scaled, so that costs next to nothing;
* every analysed frame handed on to the null muxer (two more thread hand-offs
  for each of ~4,600 audio and video frames a minute) cost ~1.5 % of the CPU.
  The analysis filters see every frame and write what they find to the log and
  the luma file; only the first frame goes on (:func:`_pass_on_first_frame`).

ffmpeg-python builds the rendition's graph and output; it cannot express the other
graphs, which :class:`~workshop.media.filtergraph.Chain` writes with the same
escaping rules.

The analysis takes every decoded frame (before the frame-rate cap) so that
flashing faster than the output rate is still seen. It works on 64×36 samples of
the picture (``neighbor`` scaling reads only the sampled pixels; averaging a 1080p
frame down costs about a millisecond a frame). 2,304 samples estimate the frame
mean well, and unlike an average they keep a moving detail's full change, so
freeze detection stays sensitive.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import ffmpeg

from .filtergraph import Chain, filter_text, graph_text
from .probe import ProbeResult
from .safe_input import ffmpeg_input_kwargs, input_url

# The rendition box, in the video's own orientation.
BOX_LONG, BOX_SHORT = 1280, 720
MAX_OUTPUT_FPS = Fraction(30)
# Rates near 30 are kept as they are: phone video is variable-rate and averages 30.02.
RATE_TOLERANCE = Fraction(101, 100)
# A source in this range is "60 fps" (50, 59.94, 60); kept when it fits the box unscaled.
HIGH_RATE_RANGE = (Fraction(50), Fraction(121, 2))

VIDEO_SETTINGS = {"c:v": "libx264", "preset": "veryfast", "crf": "23", "profile:v": "high"}
AUDIO_SETTINGS = {"c:a": "aac", "b:a": "128k"}
AUDIO_RATE, AUDIO_LAYOUT = 48000, "stereo"

STORYBOARD_MIN_INTERVAL_S = 2
STORYBOARD_MAX_TILES = 100
TILE_LONG, TILE_SHORT = 160, 90
POSTER_CANDIDATES = 8

ANALYSIS_WIDTH, ANALYSIS_HEIGHT = 64, 36
# Detection floors: the filters report anything at least this long; analysis.py decides
# what is worth a warning, so thresholds live in one place.
BLACK_REPORT_S, FREEZE_REPORT_S, SILENCE_REPORT_S = 0.5, 1.0, 1.0
SILENCE_NOISE = "-50dB"
LUMA_KEY = "lavfi.signalstats.YAVG"
# Per pixel: full-range 8-bit luma -> linear light (sRGB transfer) x 255, so the frame
# mean that signalstats reports is the mean *relative luminance* WCAG talks about,
# not the mean of gamma-encoded values (which understates half-lit frames).
LINEARIZE = "255*if(lte(val/255,0.04045),val/255/12.92,pow((val/255+0.055)/1.055,2.4))"
# For the filters that split each frame into slices for a pool of threads (scale,
# blackdetect, lutyuv, signalstats): a 64×36 frame is too small to share out, and
# waking the pool for each of ~1,800 frames a minute nearly doubled the job's context
# switches (63,000 against the bare transcode's 34,000; 37,000 with this).
ONE_THREAD = {"threads": 1}

# Web-safe sources that may be copied rather than re-encoded.
REMUX_PROFILES = {"Constrained Baseline", "Main", "High"}
REMUX_MAX_BIT_RATE = 8_000_000  # a 720p upload above this is worth shrinking for school networks


@dataclass(frozen=True)
class RenditionPlan:
    """What the rendition will be, decided from the probe alone."""

    width: int
    height: int
    frame_rate: Fraction | None  # the output rate when capped; None keeps the source's timing
    expected_fps: Fraction  # for progress: frames per second the rendition will have
    video_index: int
    audio_index: int | None
    deinterlace: bool
    remux: bool
    remux_blockers: tuple[str, ...]  # why not, for the log
    duration_s: float
    storyboard_interval_s: int
    tile_width: int
    tile_height: int
    # Filters that stand the picture upright, applied by hand (see :func:`upright_filters`);
    # None leaves the rotation to ffmpeg's automatic one.
    upright: tuple[tuple[str, dict], ...] | None = None

    @property
    def storyboard_tiles(self) -> int:
        return max(1, math.ceil(self.duration_s / self.storyboard_interval_s))

    @property
    def expected_frames(self) -> int:
        return max(1, int(self.duration_s * self.expected_fps))


@dataclass(frozen=True)
class OutputPaths:
    """Where one run writes its files (all inside the job's work folder)."""

    rendition: str
    storyboard_pattern: str  # image2 pattern, e.g. ".../storyboard-%05d.jpg"
    poster_pattern: str
    luma_log: str

    @classmethod
    def inside(cls, folder: str, rendition: str) -> "OutputPaths":
        return cls(
            rendition=rendition,
            storyboard_pattern=os.path.join(folder, "storyboard-%05d.jpg"),
            poster_pattern=os.path.join(folder, "poster-%02d.jpg"),
            luma_log=os.path.join(folder, "luma.txt"),
        )


def fit_in_box(width: int, height: int) -> tuple[int, int]:
    """Even dimensions fitting 1280×720 (720×1280 for portrait), never enlarged."""
    box_w, box_h = (BOX_SHORT, BOX_LONG) if height > width else (BOX_LONG, BOX_SHORT)
    scale = min(Fraction(box_w, width), Fraction(box_h, height), Fraction(1))
    return _even(width * scale), _even(height * scale)


def output_frame_rate(source: Fraction | None, *, fits_box: bool) -> Fraction | None:
    """The rendition's frame rate, or None to keep the source's own timing.

    The rule: capped at 30, with 60 kept where the source is 60 and small:

    * up to 30 fps (with 1 % tolerance for variable-rate phone video): kept;
    * 50-60 fps and the picture already fits the box without scaling: kept (smooth
      screen recordings and games stay smooth; it costs little at that size);
    * 50-60 fps and larger: halved (60 -> 30, 59.94 -> 29.97, 50 -> 25), so every
      other frame is dropped evenly instead of juddering;
    * anything else above 30 (31-49, 100, 120 slow motion): 30.
    """
    if source is None or source <= MAX_OUTPUT_FPS * RATE_TOLERANCE:
        return None
    low, high = HIGH_RATE_RANGE
    if low <= source <= high:
        return None if fits_box else source / 2
    return MAX_OUTPUT_FPS


def plan(probe: ProbeResult) -> RenditionPlan:
    """Decide the rendition's size and rate, and whether a stream copy (remux) will do."""
    width, height = fit_in_box(probe.width, probe.height)
    box_w, box_h = (BOX_SHORT, BOX_LONG) if probe.portrait else (BOX_LONG, BOX_SHORT)
    fits_box = probe.width <= box_w and probe.height <= box_h
    rate = output_frame_rate(probe.frame_rate, fits_box=fits_box)
    audio = probe.audio
    blockers = _remux_blockers(probe, width, height, rate)
    interval = max(STORYBOARD_MIN_INTERVAL_S, math.ceil(probe.duration_s / STORYBOARD_MAX_TILES))
    tile_w, tile_h = _tile_size(width, height)
    return RenditionPlan(
        width=width, height=height, frame_rate=rate,
        expected_fps=rate or probe.frame_rate or MAX_OUTPUT_FPS,
        video_index=probe.video_stream_index,
        audio_index=audio.index if audio else None,
        deinterlace=probe.interlaced,
        remux=not blockers, remux_blockers=tuple(blockers),
        duration_s=probe.duration_s,
        storyboard_interval_s=interval,
        tile_width=tile_w, tile_height=tile_h,
        upright=upright_filters(probe),
    )


def upright_filters(probe: ProbeResult) -> tuple[tuple[str, dict], ...] | None:
    """The filters ffmpeg's automatic rotation would insert, for a display matrix that is a
    plain quarter or half turn; None for no rotation, a mirrored matrix or anything unusual.

    ffmpeg rotates the decoded frames separately for each filter graph that reads them,
    so with automatic rotation the picture graph turned every full-size frame of a
    phone's portrait video a second time, only to shrink it to 64×36 and a few stills:
    8 % more CPU than the bare transcode on a 1080×1920 phone clip (``make bench-media``).
    Done by hand, each graph turns its frames once they are scaled: the stills when
    they are small, the rendition at its own size (the bare transcode, turned by ffmpeg,
    moves every full-size frame: about 8 % of its CPU time).
    """
    if probe.rotation == 0:
        return None
    matrix = _display_matrix(probe)
    # A pure turn keeps the orientation of the plane (positive determinant); a mirrored
    # one needs ffmpeg's flipping variants, which are left to ffmpeg.
    if matrix is None or matrix[0] * matrix[4] - matrix[1] * matrix[3] <= 0 or matrix[2] or matrix[5]:
        return None
    # ffprobe's rotation is counter-clockwise; ffmpeg turns the picture back clockwise.
    return {270: (("transpose", {"dir": "clock"}),), 180: (("hflip", {}), ("vflip", {})),
            90: (("transpose", {"dir": "cclock"}),)}.get(probe.rotation)


def _display_matrix(probe: ProbeResult) -> list[int] | None:
    for stream in (probe.raw or {}).get("streams", []):
        if stream.get("index") != probe.video_stream_index:
            continue
        for side in stream.get("side_data_list", []) or []:
            numbers = [int(n) for n in str(side.get("displaymatrix", "")).split() if n.lstrip("-").isdigit()]
            if len(numbers) == 9:
                return numbers
    return None


def transcode_command(ffmpeg_bin: str, source: str, probe: ProbeResult, rendition: RenditionPlan,
                      out: OutputPaths, *, analysis: bool = False) -> list[str]:
    """One ffmpeg run: rendition, storyboard frames and poster candidates together.

    The checks are left to :func:`analysis_command`, run by a job of their own once the
    version plays: on two cores the analysis graphs took CPU from the H.264 encoder and
    made a phone clip wait about 6 % longer for its rendition (docs/performance.md).
    ``analysis=True`` analyses every frame in this same run instead (the checks are then
    complete when the version is ready, for about a third less CPU in all).
    """
    src = ffmpeg.input(input_url(source), **_input_kwargs(probe, rendition))
    return _command(ffmpeg_bin, _rendition_output(src, rendition, out.rendition),
                    *_stills_and_analysis(rendition, out, every_frame=True, first_frame_only=True,
                                          analysis=analysis))


def remux_command(ffmpeg_bin: str, source: str, probe: ProbeResult, rendition: RenditionPlan,
                  out: OutputPaths, *, full_analysis: bool = False) -> list[str]:
    """One ffmpeg run for a web-safe source: copy the streams and take the stills from key frames.

    Measured on a 60 s 720p30 H.264 clip (``make bench-media``): copying takes about
    0.1 s and decoding only key frames (``-skip_frame nokey``) about as much, while
    decoding every frame takes 3-5 s (0.2× a full transcode, four times the 0.05×
    budget for time to playable). So the version is made playable from this run
    alone (storyboard and poster from key frames: phones write one every 1-2 s),
    and its checks are left to :func:`analysis_command`, run afterwards by a job of
    their own. Nothing is analysed here: key frames cannot show a frozen picture or
    flashing, and the audio is analysed with the rest.

    ``full_analysis=True`` instead decodes every frame and analyses it in this same
    run (still no re-encode): the checks are then complete when the version is ready.
    """
    input_kwargs = _input_kwargs(probe, rendition)
    if not full_analysis:
        input_kwargs["skip_frame:v"] = "nokey"
    src = ffmpeg.input(input_url(source), **input_kwargs)
    copied = [src[str(rendition.video_index)]]
    if rendition.audio_index is not None:
        copied.append(src[str(rendition.audio_index)])
    copy = ffmpeg.output(*copied, input_url(out.rendition), **{"c": "copy", **_container_options()})
    # With the analysis, every analysed frame goes on to the null muxer: a stream copy has
    # no frame count, so ffmpeg's progress time (that of the slowest output) comes from them.
    return _command(ffmpeg_bin, copy, *_stills_and_analysis(rendition, out, every_frame=full_analysis,
                                                            first_frame_only=False, analysis=full_analysis))


def analysis_command(ffmpeg_bin: str, source: str, probe: ProbeResult, rendition: RenditionPlan,
                     out: OutputPaths) -> list[str]:
    """Every frame decoded and analysed, nothing written but the log and the luma file:
    the checks of a version that was remuxed. The same picture and sound graphs as the
    transcode's, so a remuxed version is checked exactly as a transcoded one is."""
    src = ffmpeg.input(input_url(source), **_input_kwargs(probe, rendition))
    args = ffmpeg.output(src, "-", f="null").get_args()
    input_args = args[:args.index("-i") + 2]  # ffmpeg-python's input options, quoted its way
    # Only the first analysed frame goes on to the null muxer: the filters see every frame,
    # and nobody follows this job's progress (its heartbeat tells the watchdog it is alive).
    graphs, outputs = _stills_and_analysis(rendition, out, every_frame=True, first_frame_only=True,
                                           stills=False)
    return [ffmpeg_bin, "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-y", *input_args,
            *[arg for graph in graphs for arg in ("-filter_complex", graph_text(graph))], *outputs]


def bare_transcode_command(ffmpeg_bin: str, source: str, probe: ProbeResult, rendition: RenditionPlan,
                           out_path: str) -> list[str]:
    """The rendition alone, with the same settings: the yardstick the benchmark compares against."""
    src = ffmpeg.input(input_url(source), **_input_kwargs(probe, rendition))
    return _command(ffmpeg_bin, _rendition_output(src, rendition, out_path))


def _rendition_output(src, rendition: RenditionPlan, path: str):
    """The rendition's video graph and output; the audio gets a simple graph of its own (``-filter:a``)."""
    video = src[str(rendition.video_index)]
    if rendition.deinterlace:
        video = video.filter("bwdif", mode="send_frame", deint="interlaced")
    if rendition.frame_rate is not None:
        video = video.filter("fps", fps=_rate_text(rendition.frame_rate))
    width, height = _before_turning(rendition, rendition.width, rendition.height)
    video = video.filter("scale", w=width, h=height)
    # Turned once scaled: the same picture as ffmpeg's automatic rotation (which turns
    # the full-size frame first), with a fraction of the pixels to move.
    for name, options in rendition.upright or ():
        video = video.filter(name, **options)
    video = video.filter("setsar", r="1").filter("format", pix_fmts="yuv420p")
    streams, options = [video], _rendition_options()
    if rendition.audio_index is not None:
        streams.append(src[str(rendition.audio_index)])
        options["filter:a"] = filter_text("aformat", {
            "sample_fmts": "fltp", "sample_rates": AUDIO_RATE, "channel_layouts": AUDIO_LAYOUT})
    return ffmpeg.output(*streams, input_url(path), **options)


def _stills_and_analysis(rendition: RenditionPlan, out: OutputPaths, *, every_frame: bool,
                         first_frame_only: bool, analysis: bool = True,
                         stills: bool = True) -> tuple[list[list[Chain]], list[str]]:
    """The picture graph (analysis, storyboard frames, poster candidates), the sound graph,
    and the outputs that read them; ``analysis`` or ``stills`` False leaves that part out."""
    branches: list[tuple[str, Chain]] = []
    if analysis:
        picture_analysis = _picture_analysis(out, every_frame=every_frame)
        if first_frame_only:
            picture_analysis += _pass_on_first_frame("select")
        branches.append(("to_analysis", Chain("to_analysis", picture_analysis, ("analysis_video",))))
    if stills:
        branches += [
            # eof_action=pass: a clip shorter than one interval (or, on the remux path, whose
            # last key frame comes before the next tile time) still gives its last frame.
            ("to_tiles", Chain("to_tiles", (("fps", {"fps": f"1/{rendition.storyboard_interval_s}",
                                                     "eof_action": "pass"}),
                                            *_still(rendition, rendition.tile_width, rendition.tile_height)),
                               ("storyboard",))),
            ("to_posters", Chain("to_posters", (("select", {"expr": poster_select(rendition)}),
                                                *_still(rendition, rendition.width, rendition.height)),
                                 ("posters",))),
        ]
    picture = [Chain(f"0:{rendition.video_index}", (("split", {"outputs": len(branches)}),),
                     tuple(label for label, _chain in branches)),
               *(chain for _label, chain in branches)]
    graphs, analysis_labels = [picture], ["analysis_video"] if analysis else []
    if analysis and rendition.audio_index is not None:
        sound = (("silencedetect", {"n": SILENCE_NOISE, "d": SILENCE_REPORT_S}),
                 ("ebur128", {"peak": "true", "framelog": "verbose"}))
        if first_frame_only:
            sound += _pass_on_first_frame("aselect")
        graphs.append([Chain(f"0:{rendition.audio_index}", sound, ("analysis_audio",))])
        analysis_labels.append("analysis_audio")
    outputs = []
    if stills:
        outputs += [
            "-map", "[storyboard]", *_jpeg_options(rendition.storyboard_tiles + 1, quality=5),
            input_url(out.storyboard_pattern),
            "-map", "[posters]", *_jpeg_options(POSTER_CANDIDATES, quality=2), input_url(out.poster_pattern),
        ]
    if analysis_labels:
        # The analysis filters' findings go to the log and the luma file, the frames nowhere.
        outputs += [*[arg for label in analysis_labels for arg in ("-map", f"[{label}]")], "-f", "null", "-"]
    return graphs, outputs


def _picture_analysis(out: OutputPaths, *, every_frame: bool) -> tuple[tuple[str, dict], ...]:
    """Black segments always; frozen segments and the luma log only when every frame is seen
    (freezedetect takes any gap between frames for a freeze, so key frames alone would lie)."""
    filters = (
        ("scale", {"w": ANALYSIS_WIDTH, "h": ANALYSIS_HEIGHT, "flags": "neighbor", "out_range": "full",
                   **ONE_THREAD}),
        ("format", {"pix_fmts": "yuv420p"}),
        ("blackdetect", {"d": BLACK_REPORT_S, **ONE_THREAD}),
    )
    if every_frame:
        filters += (
            ("freezedetect", {"d": FREEZE_REPORT_S}),
            ("lutyuv", {"y": LINEARIZE, **ONE_THREAD}),
            ("signalstats", ONE_THREAD),
            ("metadata", {"mode": "print", "key": LUMA_KEY, "file": input_url(out.luma_log)}),
        )
    return filters


def _pass_on_first_frame(select: str) -> tuple[tuple[str, dict], ...]:
    # The filters before this have seen every frame; the null muxer needs only one.
    return ((select, {"expr": "eq(n,0)"}),)


def _still(rendition: RenditionPlan, width: int, height: int) -> tuple[tuple[str, dict], ...]:
    """A chosen frame at the given size, upright, with square pixels, in the JPEG range.

    Upright: turned after scaling when the plan turns by hand (``upright``), so only
    the small frame is turned; otherwise ffmpeg has turned the graph's input already.

    From an interlaced source, one field, scaled to full height: a frame picked on its
    own has no neighbours for the rendition's deinterlacer (bwdif) to work from, and
    the two fields of one frame were filmed 1/50 s apart (combing wherever anything moves).
    """
    field = (("field", {"type": "top"}),) if rendition.deinterlace else ()
    width, height = _before_turning(rendition, width, height)
    return (*field, ("scale", {"w": width, "h": height}), *(rendition.upright or ()), ("setsar", {"r": "1"}),
            ("format", {"pix_fmts": "yuvj420p"}))


def _before_turning(rendition: RenditionPlan, width: int, height: int) -> tuple[int, int]:
    """The size to scale to so that, turned by the plan's ``upright`` filters, it is ``width``×``height``."""
    if any(name == "transpose" for name, _ in rendition.upright or ()):
        return height, width  # scaled while still lying on its side
    return width, height


def poster_select(rendition: RenditionPlan) -> str:
    """The poster-candidate ``select`` expression: the first frame, then one every eighth of the video.

    The first frame is always a candidate (a poor one is outscored later) so that a
    clip with a single key frame on the remux path still has one.
    """
    step = rendition.duration_s / POSTER_CANDIDATES
    return f"isnan(prev_selected_t)+gte(t-prev_selected_t,{step:.3f})"


# -- pieces ---------------------------------------------------------------------------


def _input_kwargs(probe: ProbeResult, rendition: RenditionPlan) -> dict[str, str]:
    kwargs = ffmpeg_input_kwargs(probe.demuxer)
    if rendition.upright is not None:
        kwargs["noautorotate"] = None  # each graph turns the picture itself (upright_filters)
    if probe.demuxer == "mov":
        kwargs["enable_drefs"] = "0"  # the default; stated so a future default cannot open other files
    return kwargs


def _container_options() -> dict[str, str]:
    # No metadata, chapters, subtitles or data tracks leave the source: only mapped streams.
    return {"f": "mp4", "movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1"}


def _rendition_options() -> dict[str, str]:
    return {**VIDEO_SETTINGS, **AUDIO_SETTINGS, "fps_mode:v": "vfr", **_container_options()}


def _jpeg_options(max_frames: int, *, quality: int) -> list[str]:
    # passthrough: one file per selected frame, never duplicated to fill a frame rate.
    return ["-f", "image2", "-c:v", "mjpeg", "-q:v", str(quality), "-fps_mode:v", "passthrough",
            "-frames:v", str(max_frames), "-start_number", "0"]


def _command(ffmpeg_bin: str, output, graphs: Sequence[list[Chain]] = (),
             side_outputs: Sequence[str] = ()) -> list[str]:
    """ffmpeg-python's command for ``output``, with the other graphs (each a ``-filter_complex``
    of its own) and the outputs that read them added."""
    args = output.get_args()
    at = args.index("-filter_complex") + 2 if "-filter_complex" in args else args.index("-i") + 2
    args[at:at] = [arg for graph in graphs for arg in ("-filter_complex", graph_text(graph))]
    # -progress on stdout for runner.py; stats off so stderr holds only the log we parse.
    return [ffmpeg_bin, "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-y", *args, *side_outputs]


def _even(value: Fraction) -> int:
    return max(2, math.floor(value / 2) * 2)


def _tile_size(width: int, height: int) -> tuple[int, int]:
    box_w, box_h = (TILE_SHORT, TILE_LONG) if height > width else (TILE_LONG, TILE_SHORT)
    scale = min(Fraction(box_w, width), Fraction(box_h, height))
    return _even(width * scale), _even(height * scale)


def _rate_text(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def _remux_blockers(probe: ProbeResult, width: int, height: int, rate: Fraction | None) -> list[str]:
    audio = probe.audio
    checks = {
        "container is not MP4/MOV": probe.demuxer != "mov",
        "video is not H.264": probe.video_codec != "h264",
        "H.264 profile is not web-safe": probe.profile not in REMUX_PROFILES,
        "pixels are not 8-bit 4:2:0": probe.pix_fmt != "yuv420p" or (probe.bit_depth or 8) != 8,
        "rotation must be applied": probe.rotation != 0,
        "pixels are not square": probe.sample_aspect_ratio != 1,
        "size must change": (width, height) != (probe.width, probe.height),
        "frame rate must change": rate is not None,
        "interlaced": probe.interlaced,
        "audio is not AAC mono/stereo": audio is not None and (audio.codec != "aac" or audio.channels > 2),
        "bit rate too high": (probe.bit_rate or 0) > REMUX_MAX_BIT_RATE,
    }
    return [reason for reason, blocks in checks.items() if blocks]

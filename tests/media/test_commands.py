"""Command building, without running ffmpeg."""

from __future__ import annotations

from fractions import Fraction

import pytest

from workshop.media import commands
from workshop.media.commands import OutputPaths, fit_in_box, output_frame_rate, plan
from workshop.media.filtergraph import Chain
from workshop.media.probe import AudioStream, ProbeResult
from workshop.media.safe_input import FORMAT_WHITELIST

SOURCE = "/uploads/versions/7/original"


def probe_result(**changes) -> ProbeResult:
    """A web-safe 720p30 H.264/AAC MP4, changed as a test needs."""
    fields = dict(
        format_name="mov,mp4,m4a,3gp,3g2,mj2", demuxer="mov", duration_s=60.0,
        width=1280, height=720, coded_width=1280, coded_height=720, rotation=0,
        sample_aspect_ratio=Fraction(1), video_stream_index=0, video_codec="h264", profile="High",
        pix_fmt="yuv420p", frame_rate=Fraction(30), bit_depth=8,
        audio_streams=[AudioStream(index=1, codec="aac", channels=2, sample_rate=48000, default=True)],
        size_bytes=20_000_000, bit_rate=2_700_000,
    )
    fields.update(changes)
    return ProbeResult(**fields)


OUT = OutputPaths.inside("/work/v7/frames.tmp", "/work/v7/frames.tmp/partial-rendition.mp4")


@pytest.mark.parametrize("size, box", [
    ((1920, 1080), (1280, 720)),
    ((1080, 1920), (720, 1280)),  # portrait stays portrait
    ((3840, 2160), (1280, 720)),
    ((640, 480), (640, 480)),  # never enlarged
    ((321, 241), (320, 240)),  # even
    ((1440, 1080), (960, 720)),
    ((1280, 1280), (720, 720)),  # square counts as landscape
    ((4096, 1000), (1280, 312)),
    ((3, 3), (2, 2)),
])
def test_fit_in_box(size, box):
    assert fit_in_box(*size) == box


@pytest.mark.parametrize("source, fits_box, expected", [
    (Fraction(25), False, None),
    (Fraction(30000, 1001), False, None),
    (Fraction(3002, 100), False, None),  # variable-rate phone video averaging just over 30
    (Fraction(60), True, None),  # 60 kept when small
    (Fraction(60), False, Fraction(30)),
    (Fraction(60000, 1001), False, Fraction(30000, 1001)),
    (Fraction(50), False, Fraction(25)),
    (Fraction(48), True, Fraction(30)),
    (Fraction(120), True, Fraction(30)),
    (Fraction(240), False, Fraction(30)),
    (None, False, None),
])
def test_output_frame_rate_rule(source, fits_box, expected):
    assert output_frame_rate(source, fits_box=fits_box) == expected


def test_a_web_safe_source_is_remuxed():
    rendition = plan(probe_result())
    assert rendition.remux and rendition.remux_blockers == ()
    assert (rendition.width, rendition.height, rendition.frame_rate) == (1280, 720, None)


@pytest.mark.parametrize("changes, blocker", [
    ({"demuxer": "matroska"}, "container is not MP4/MOV"),
    ({"video_codec": "hevc"}, "video is not H.264"),
    ({"profile": "High 10", "pix_fmt": "yuv420p10le", "bit_depth": 10}, "pixels are not 8-bit 4:2:0"),
    ({"rotation": 90, "width": 720, "height": 1280}, "rotation must be applied"),
    ({"width": 1920, "height": 1080}, "size must change"),
    ({"width": 1281, "height": 719}, "size must change"),
    ({"frame_rate": Fraction(120)}, "frame rate must change"),
    ({"audio_streams": [AudioStream(1, "opus", 2, 48000, True)]}, "audio is not AAC mono/stereo"),
    ({"audio_streams": [AudioStream(1, "aac", 6, 48000, True)]}, "audio is not AAC mono/stereo"),
    ({"bit_rate": 20_000_000}, "bit rate too high"),
    ({"interlaced": True}, "interlaced"),
    ({"sample_aspect_ratio": Fraction(4, 3)}, "pixels are not square"),
])
def test_what_prevents_a_remux(changes, blocker):
    rendition = plan(probe_result(**changes))
    assert not rendition.remux and blocker in rendition.remux_blockers


def test_sixty_fps_small_is_kept_and_large_is_halved():
    assert plan(probe_result(frame_rate=Fraction(60))).frame_rate is None
    large = plan(probe_result(width=1920, height=1080, frame_rate=Fraction(60)))
    assert large.frame_rate == Fraction(30) and large.expected_fps == Fraction(30)


def test_storyboard_interval_and_tiles():
    short = plan(probe_result(duration_s=7.0))
    long = plan(probe_result(duration_s=900.0))
    portrait = plan(probe_result(width=720, height=1280))
    assert (short.storyboard_interval_s, short.storyboard_tiles) == (2, 4)
    assert (long.storyboard_interval_s, long.storyboard_tiles) == (9, 100)
    assert (short.tile_width, short.tile_height) == (160, 90)
    assert (portrait.tile_width, portrait.tile_height) == (90, 160)


def _input_part(args: list[str]) -> list[str]:
    return args[:args.index("-i") + 2]


def _graphs(args: list[str]) -> list[str]:
    return _option_values(args, "-filter_complex")


def _graph(args: list[str]) -> str:
    """The main graph (ffmpeg-python's), the first one."""
    return _graphs(args)[0]


def _option_values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


@pytest.mark.parametrize("build", [
    lambda p: commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT),
    lambda p: commands.remux_command("ffmpeg", SOURCE, p, plan(p), OUT),
    lambda p: commands.analysis_command("ffmpeg", SOURCE, p, plan(p), OUT),
    lambda p: commands.bare_transcode_command("ffmpeg", SOURCE, p, plan(p), "/work/bare.mp4"),
])
def test_the_input_is_opened_only_through_the_allow_lists(build):
    args = build(probe_result(demuxer="mov"))
    head = _input_part(args)
    assert args.count("-i") == 1
    assert head[-1] == "file:" + SOURCE
    assert _option_values(head, "-protocol_whitelist") == ["file"]
    assert _option_values(head, "-format_whitelist") == [FORMAT_WHITELIST]
    assert _option_values(head, "-f") == ["mov"]
    assert _option_values(head, "-enable_drefs") == ["0"]
    for demuxer in ("hls", "concat", "image2", "lavfi", "tee", "dash", "png_pipe"):
        assert demuxer not in FORMAT_WHITELIST.split(",")
    # Every output is a file: URL inside the work folder, or the null muxer.
    outputs = [a for a in args[args.index("-i") + 2:] if a.startswith("file:")]
    assert (outputs or args[-3:] == ["-f", "null", "-"]) and all(o.startswith("file:/work/") for o in outputs)


def test_the_one_pass_transcode_graphs():
    p = probe_result(width=1920, height=1080, frame_rate=Fraction(60), duration_s=40.0,
                     audio_streams=[AudioStream(1, "aac", 6, 48000, False), AudioStream(2, "aac", 2, 44100, True)])
    args = commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT, analysis=True)
    rendition, picture, sound = _graphs(args)
    assert args[:7] == ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-y"]
    assert args.count("-i") == 1  # one input, decoded once, feeding every graph
    # The rendition's video graph does that and nothing else: the encoder waits on its thread.
    assert rendition == "[0:0]fps=fps=30/1[s0];[s0]scale=h=720:w=1280[s1];[s1]setsar=r=1[s2];[s2]format=pix_fmts=yuv420p[s3]"
    assert _option_values(args, "-filter:a") == ["aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"]
    assert _option_values(args, "-map")[:2] == ["[s3]", "0:2"]  # the default audio track, not the first
    # The picture graph sees every decoded frame: it starts from the input, before the frame-rate cap.
    assert picture.startswith("[0:0]split=outputs=3[to_analysis][to_tiles][to_posters];")
    analysis, tiles, posters = picture.split(";")[1:]
    assert analysis.startswith("[to_analysis]scale=w=64:h=36:flags=neighbor:out_range=full:threads=1,")
    for name in ("blackdetect=d=0.5:threads=1,freezedetect", ",lutyuv=", "2.4)):threads=1,signalstats=threads=1,",
                 "metadata=mode=print"):
        assert name in analysis  # frames of 64×36 are not sliced for a pool of threads
    assert analysis.endswith(",select=expr=eq(n\\,0)[analysis_video]")  # the null muxer gets one frame
    assert tiles == ("[to_tiles]fps=fps=1/2:eof_action=pass,scale=w=160:h=90,setsar=r=1,"
                     "format=pix_fmts=yuvj420p[storyboard]")
    assert posters.startswith("[to_posters]select=expr=isnan(prev_selected_t)")
    assert posters.endswith(",scale=w=1280:h=720,setsar=r=1,format=pix_fmts=yuvj420p[posters]")
    assert sound == ("[0:2]silencedetect=n=-50dB:d=1.0,ebur128=peak=true:framelog=verbose,"
                     "aselect=expr=eq(n\\,0)[analysis_audio]")
    for option, value in {"-c:v": "libx264", "-profile:v": "high", "-preset": "veryfast", "-crf": "23",
                          "-c:a": "aac", "-b:a": "128k", "-movflags": "+faststart", "-map_metadata": "-1",
                          "-map_chapters": "-1"}.items():
        assert value in _option_values(args, option), option
    assert _option_values(args, "-f") == ["mov", "mp4", "image2", "image2", "null"]
    assert _option_values(args, "-map")[2:] == ["[storyboard]", "[posters]", "[analysis_video]", "[analysis_audio]"]


def test_the_bare_transcode_is_the_jobs_rendition_alone():
    """The benchmark's yardstick: the job's command without its other graphs and outputs."""
    p = probe_result(width=1920, height=1080, frame_rate=Fraction(60), interlaced=True)
    job = commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT)
    bare = commands.bare_transcode_command("ffmpeg", SOURCE, p, plan(p), OUT.rendition)
    rendition_part = job[:job.index("file:" + OUT.rendition) + 1]
    for graph in _graphs(job)[1:]:
        at = rendition_part.index(graph)
        del rendition_part[at - 1:at + 1]
    assert bare == rendition_part


def test_the_rendition_has_no_audio_when_the_source_has_none():
    p = probe_result(audio_streams=[], video_codec="vp9")
    args = commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT, analysis=True)
    assert len(_graphs(args)) == 2 and "ebur128" not in " ".join(_graphs(args))
    assert "-filter:a" not in args
    assert _option_values(args, "-map")[-1] == "[analysis_video]"


def test_interlaced_sources_are_deinterlaced_and_stills_come_from_one_field():
    p = probe_result(interlaced=True)
    args = commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT)
    assert _graph(args).startswith("[0:0]bwdif=")
    tiles, posters = _graphs(args)[1].split(";")[1:]
    assert "fps=1/2:eof_action=pass,field=type=top,scale=" in tiles
    assert ",field=type=top,scale=w=1280:h=720," in posters
    progressive = commands.transcode_command("ffmpeg", SOURCE, probe_result(), plan(probe_result()), OUT)
    assert "field=" not in " ".join(_graphs(progressive))


def test_the_remux_command_copies_and_decodes_only_key_frames():
    p = probe_result()
    args = commands.remux_command("ffmpeg", SOURCE, p, plan(p), OUT)
    (picture,) = _graphs(args)
    assert _option_values(_input_part(args), "-skip_frame:v") == ["nokey"]
    assert _option_values(args, "-c") == ["copy"] and _option_values(args, "-map")[:2] == ["0:0", "0:1"]
    assert "+faststart" in _option_values(args, "-movflags")
    # Nothing is analysed on the way to playable: the checks run afterwards on every frame.
    assert "blackdetect" not in picture and "ebur128" not in " ".join(args)
    assert _option_values(args, "-map")[2:] == ["[storyboard]", "[posters]"]


def test_the_analysis_command_decodes_every_frame_and_writes_no_media():
    p = probe_result()
    args = commands.analysis_command("ffmpeg", SOURCE, p, plan(p), OUT)
    picture, sound = _graphs(args)
    assert "-skip_frame:v" not in args and "-c" not in args
    for name in ("blackdetect", "freezedetect", "signalstats", "luma.txt"):
        assert name in picture
    assert "silencedetect" in sound and "ebur128" in sound and "storyboard" not in picture
    assert _option_values(args, "-map") == ["[analysis_video]", "[analysis_audio]"]
    assert args[-3:] == ["-f", "null", "-"] and args.count("-i") == 1
    assert _option_values(_input_part(args), "-protocol_whitelist") == ["file"]


def test_the_transcode_leaves_the_checks_to_the_checks_job():
    p = probe_result(width=1920, height=1080)
    args = commands.transcode_command("ffmpeg", SOURCE, p, plan(p), OUT)
    rendition, picture = _graphs(args)
    for name in ("blackdetect", "freezedetect", "signalstats", "ebur128", "silencedetect"):
        assert name not in rendition + picture
    assert _option_values(args, "-map")[-2:] == ["[storyboard]", "[posters]"]
    assert _option_values(args, "-f") == ["mov", "mp4", "image2", "image2"]
    analysis = " ".join(_graphs(commands.analysis_command("ffmpeg", SOURCE, p, plan(p), OUT)))
    for name in ("blackdetect", "freezedetect", "signalstats", "ebur128", "silencedetect"):
        assert name in analysis


def test_the_remux_command_can_analyse_every_frame():
    p = probe_result()
    args = commands.remux_command("ffmpeg", SOURCE, p, plan(p), OUT, full_analysis=True)
    assert "-skip_frame:v" not in args and "signalstats" in _graphs(args)[0]


def test_paths_are_escaped_inside_the_graph():
    out = OutputPaths.inside("/work/it's: [odd],;dir", "/work/r.mp4")
    p = probe_result(video_codec="vp9")
    picture = _graphs(commands.transcode_command("ffmpeg", SOURCE, p, plan(p), out, analysis=True))[1]
    assert "file=file\\\\:/work/it\\\\\\'s\\\\: \\[odd\\]\\,\\;dir/luma.txt" in picture


def test_chains_escape_like_ffmpeg_python():
    import ffmpeg

    value = "file:/w/it's: [x],;=y"
    by_library = ffmpeg.input("a").filter("metadata", file=value).output("b").get_args()
    by_chain = Chain("0:0", (("metadata", {"file": value}),), ("out",)).text()
    assert by_chain == by_library[by_library.index("-filter_complex") + 1].replace("[0]", "[0:0]").replace(
        "[s0]", "[out]")


def test_poster_candidates_are_spread_over_the_video():
    assert commands.poster_select(plan(probe_result(duration_s=80.0))) == (
        "isnan(prev_selected_t)+gte(t-prev_selected_t,10.000)")

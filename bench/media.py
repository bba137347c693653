"""Benchmark of the media job against a bare ffmpeg transcode (``make bench-media``).

Measured in the same run, interleaved, so both see the same machine:

* **bare** — ffmpeg making the rendition alone (same settings as the job:
  ``commands.bare_transcode_command``) from a 60 s 1080p30 H.264/AAC clip;
* **job** — ``pipeline.process`` on the same clip: probe, the one-pass ffmpeg run
  (rendition + storyboard frames + poster candidates), poster choice, sprite and
  VTT: the time to playable;
* **remux** — ``pipeline.process`` on a web-safe 60 s 720p30 clip (stream copy, stills
  from key frames: the time to playable);
* for information, what the checks cost: ``pipeline.analyse`` (the checks job's
  ffmpeg run: loudness, silence, black, frozen, flashing) on each clip, and the
  transcode with the analysis in the same run (``analyse_now``).

Targets: job ≤ 1.05 × bare; remux ≤ 0.05 × bare. Times are medians of
``--repeats`` rounds; ratios are medians of each round's own ratio (runs seconds
apart, order alternating), which on a shared machine whose speed drifts is far
steadier than a ratio of two medians. CPU time (user + sys of the child processes,
plus the job's own Python) is shown beside wall time.

The clips are generated once into ``instance/bench-media/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.media import commands  # noqa: E402
from workshop.media.pipeline import analyse, process  # noqa: E402
from workshop.media.probe import ProbeLimits, probe  # noqa: E402
from workshop.media.runner import run_ffmpeg  # noqa: E402
from workshop.media.tools import choose  # noqa: E402

CACHE = ROOT / "instance" / "bench-media"
SECONDS = 60
CLIPS = {
    # A camera-like source: needs scaling, so it is transcoded.
    "source-1080p30.mp4": ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={SECONDS}",
                           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                           "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "30",
                           "-c:a", "aac", "-ac", "2", "-b:a", "192k"],
    # Already web-safe (what a phone editing app exports at 720p): remuxed.
    "websafe-720p30.mp4": ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={SECONDS}",
                           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                           "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
                           "-g", "30", "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-movflags", "+faststart"],
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(action) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of ``action()``; Python's own CPU is added for the job."""
    cpu, own, start = children_cpu(), time.process_time(), time.perf_counter()
    action()
    return time.perf_counter() - start, children_cpu() - cpu + time.process_time() - own


def make_clips(ffmpeg: str) -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, args in CLIPS.items():
        path = CACHE / name
        if not path.exists():
            print(f"generating {path} (once)...", flush=True)
            partial = path.with_name("partial-" + name)
            subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-y", *args, "-shortest", str(partial)],
                           check=True)
            partial.rename(path)
        paths[name] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Single rounds of the same command differ by up to ±5 % on a shared 2-core machine,
    # so the median needs rounds to settle: 9 take about 7 minutes.
    parser.add_argument("--repeats", type=int, default=9)
    options = parser.parse_args()
    chosen = choose("ffmpeg")
    ffmpeg, ffprobe = chosen.path, choose("ffprobe").path
    clips = make_clips(ffmpeg)
    source, websafe = clips["source-1080p30.mp4"], clips["websafe-720p30.mp4"]
    limits = ProbeLimits()
    source_probe = probe(source, ffprobe=ffprobe, limits=limits)
    bare_args = commands.bare_transcode_command(ffmpeg, str(source), source_probe,
                                                commands.plan(source_probe), str(CACHE / "bare.mp4"))

    def job(path: Path, **extra):
        def run():
            with tempfile.TemporaryDirectory(dir=CACHE) as workdir:
                result = process(str(path), workdir, ffmpeg=ffmpeg, ffprobe=ffprobe, limits=limits,
                                 max_duration_s=None, storyboard_vtt_url="storyboard.jpg", **extra)
                assert result.remuxed == (path == websafe)
        return run

    def checks(path: Path):
        def run():
            with tempfile.TemporaryDirectory(dir=CACHE) as workdir:
                analyse(str(path), workdir, ffmpeg=ffmpeg, ffprobe=ffprobe, limits=limits, max_duration_s=None)
        return run

    measures = {
        "bare transcode (1080p30 -> 720p)": lambda: run_ffmpeg(bare_args, timeout_s=3600),
        "job: transcode + frames (to playable)": job(source),
        "job: remux path (web-safe 720p)": job(websafe),
        "checks job on the 1080p30 source": checks(source),
        "checks job on the web-safe source": checks(websafe),
        "transcode with the checks in one run": job(source, analyse_now=True),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in measures}
    load = os.getloadavg()[0]
    print(f"ffmpeg {chosen.version} at {ffmpeg}: {chosen.reason}", flush=True)
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}; {options.repeats} rounds\n", flush=True)
    names = list(measures)
    for run in range(options.repeats):
        # Alternate the order so that neither side always runs on a warmer (or busier) machine.
        for name in names if run % 2 == 0 else reversed(names):
            results[name].append(timed(measures[name]))
            print(f"  round {run + 1}: {name}: {results[name][-1][0]:.2f} s", flush=True)

    bare_name, job_name, remux_name = names[0], names[1], names[2]

    def median(name, index):
        return statistics.median(r[index] for r in results[name])

    def per_round(name, index):
        """Each round's time / that round's bare time: each ratio compares runs made a few
        seconds apart, so a machine that speeds up or slows down cancels out."""
        return [r[index] / b[index] for r, b in zip(results[name], results[bare_name])]

    def ratio(name, index):
        return statistics.median(per_round(name, index))

    print(f"\n{'':44} {'wall s':>8} {'× bare':>7} {'CPU s':>8} {'× bare':>7}")
    for name in names:
        print(f"{name:44} {median(name, 0):8.2f} {ratio(name, 0):7.3f} {median(name, 1):8.2f} {ratio(name, 1):7.3f}")
    job_ratio, remux_ratio = ratio(job_name, 0), ratio(remux_name, 0)
    rounds = per_round(job_name, 0)
    print(f"\n(× bare: median of the per-round ratios; job / bare by round: {min(rounds):.3f} to {max(rounds):.3f})")
    print(f"job / bare   = {job_ratio:.3f}  (target <= 1.05) {'ok' if job_ratio <= 1.05 else 'MISSED'}")
    print(f"remux / bare = {remux_ratio:.3f}  (target <= 0.05) {'ok' if remux_ratio <= 0.05 else 'MISSED'}")
    (CACHE / "bare.mp4").unlink(missing_ok=True)
    shutil.rmtree(CACHE / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()

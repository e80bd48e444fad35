"""CPU per frame of ``payer-app generate video``: drawing a frame (the demo camera's renderer with the
clip's motion, light and blur) and writing it (OpenCV's encoder), for a few settings.

Each clip is drawn ``--rounds`` times and the median CPU time (``time.process_time``: this process and
its threads, so a loaded machine changes it much less than wall time) per frame is printed; the frames
of a clip are then written once to a file of its format. ``--tree DIR`` runs the ``payer_app`` of another
checkout of this repository: run it beside a run without it to compare two versions; ``--frames-to
FILE`` saves a digest of every frame, and ``--compare FILE`` counts the pixels that differ from the
frames of such a file (the same settings, another tree).

Run: .venv/bin/python bench/video_write_cost.py [--rounds 3] [--tree DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from checkout_tree import use_tree

use_tree()

# (name, file suffix, ClipSpec keywords): the docs' examples (docs/generate.md, docs/qa.md) and a 1080p clip
SETTINGS = [
    ("handheld normal 720p (the default)", ".mp4", {}),
    ("sweep dim 720p", ".mp4", {"motion": "sweep", "light": "dim", "seed": 3}),
    ("handheld glare 720p", ".mp4", {"light": "glare"}),
    ("handheld motion blur 640x360", ".avi", {"blur": "motion", "size": (640, 360)}),
    ("still normal 1080p", ".mp4", {"motion": "still", "size": (1920, 1080)}),
]


def frames_of(spec) -> list:
    from payer_app.studio.video import clip_frames

    return list(clip_frames("demo", spec)[1])


def write_cpu(frames: list, path: Path, fps: float) -> float:
    """CPU seconds to write ``frames`` to ``path`` with the encoder ``generate video`` uses for its suffix."""
    import cv2

    from payer_app.studio.video import VIDEO_FOURCC

    h, w = frames[0].shape[:2]
    start = time.process_time()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*VIDEO_FOURCC[path.suffix]), fps, (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    import payer_app
    from payer_app.studio.video import ClipSpec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="draw with the payer_app of this checkout")
    parser.add_argument("--frames-to", type=Path, help="save every frame (npz) to compare with --compare")
    parser.add_argument("--compare", type=Path, help="count the pixels that differ from these saved frames")
    args = parser.parse_args(argv)
    print(f"{args.seconds:g} s clips of the demo bill, median of {args.rounds} draws; "
          f"payer_app from {Path(payer_app.__file__).parent.parent}")
    print("| clip | frames | draw ms/frame | write ms/frame | differing pixels |")
    print("|---|---:|---:|---:|---:|")
    saved: dict[str, np.ndarray] = {}
    earlier = np.load(args.compare) if args.compare else None
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, suffix, options) in enumerate(SETTINGS):
            spec = ClipSpec(seconds=args.seconds, **options)
            draws = []
            for _ in range(args.rounds):
                start = time.process_time()
                frames = frames_of(spec)
                draws.append(time.process_time() - start)
            write = write_cpu(frames, Path(tmp) / f"clip{suffix}", spec.fps)
            stack = np.stack(frames)
            saved[f"clip{i}"] = stack
            differ = "-"
            if earlier is not None:
                count = int((stack != earlier[f"clip{i}"]).any(axis=-1).sum())
                differ = f"{count} of {stack.shape[0] * stack.shape[1] * stack.shape[2]:,}"
            print(f"| {name} | {len(frames)} | {1000 * statistics.median(draws) / len(frames):.1f} | "
                  f"{1000 * write / len(frames):.1f} | {differ} |", flush=True)
    if args.frames_to:
        np.savez(args.frames_to, **saved)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Read rates of ``payer-app generate video`` clips, per motion / light / blur setting.

For each setting a clip of the demo bill is written (``--seconds``, 1280x720, 30 fps, mp4v), read
back through OpenCV (so the encoder's losses count) and every frame is decoded twice:

* ``engine``: ``payer_app.scan.engine.decode_frame`` (the live pipeline ``payer-app scan`` uses);
* ``zxing``: zxing-cpp called directly with its defaults (any other scanner's view of the clip).

A frame counts when the bill's payload is among the codes read. ``accept`` is the time into the
clip at which ``payer-app scan`` would accept the payload (the same payload on 2 consecutive
frames, every frame decoded as for a video file); ``-`` when it never would.

Run: .venv/bin/python bench/video_read_rates.py [--seconds 2] [--seed 0] [--quick] [--tree DIR]

``--tree DIR`` runs the ``payer_app`` of another checkout of this repository (its engine decodes, its
studio writes the clips): run it beside a run without it to compare two versions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from checkout_tree import use_tree

use_tree()

from payer_app.studio.video_options import LIGHTS  # noqa: E402

SETTINGS_FULL = (
    [(m, light, "none") for m in ("still", "handheld", "sweep") for light in LIGHTS]
    + [("handheld", "normal", blur) for blur in ("soft", "strong", "motion")]
    + [("sweep", "normal", "motion")]
)
SETTINGS_QUICK = [("still", "normal", "none"), ("handheld", "normal", "none"), ("sweep", "normal", "none")]


def measure_clip(path: str | Path, payload: str, frames_required: int = 2) -> dict:
    """Per-frame read counts of one clip by the engine and by zxing-cpp directly."""
    import cv2
    import zxingcpp

    from payer_app.scan.engine import decode_frame

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = engine_hits = zxing_hits = 0
    streak = 0
    accept_ms = None
    engine_ms: list[float] = []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            t0 = time.perf_counter()
            texts = {d.text for d in decode_frame(frame)}
            engine_ms.append((time.perf_counter() - t0) * 1000.0)
            hit = payload in texts
            engine_hits += hit
            streak = streak + 1 if hit else 0
            if accept_ms is None and streak >= frames_required:
                accept_ms = frames * 1000.0 / fps
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            zxing_hits += any(
                r.text == payload for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
            )
            frames += 1
    finally:
        cap.release()
    engine_ms.sort()
    return {
        "frames": frames,
        "engine": engine_hits / frames if frames else 0.0,
        "zxing": zxing_hits / frames if frames else 0.0,
        "accept_ms": accept_ms,
        "engine_median_ms": engine_ms[len(engine_ms) // 2] if engine_ms else None,
    }


def main(argv: list[str] | None = None) -> int:
    from payer_app.scan.demo_camera import demo_bill_payload
    from payer_app.studio.video import ClipSpec, write_clip

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="three settings only")
    parser.add_argument("--tree", type=Path, help="decode with the payer_app of this checkout")
    args = parser.parse_args(argv)
    payload = demo_bill_payload()
    settings = SETTINGS_QUICK if args.quick else SETTINGS_FULL
    import payer_app

    print(f"clips of the demo bill, {args.seconds:g} s, 1280x720, 30 fps, seed {args.seed}; "
          f"engine from {Path(payer_app.__file__).parent.parent}")
    print("| motion | light | blur | frames | engine reads | zxing-cpp reads | accepted at | engine median |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    total = read = 0
    with tempfile.TemporaryDirectory() as tmp:
        for motion, light, blur in settings:
            clip = Path(tmp) / f"{motion}-{light}-{blur}.mp4"
            write_clip("demo", clip, ClipSpec(seconds=args.seconds, motion=motion, light=light, blur=blur,
                                              seed=args.seed))
            r = measure_clip(clip, payload)
            accept = "-" if r["accept_ms"] is None else f"{r['accept_ms']:.0f} ms"
            total += r["frames"]
            read += round(r["engine"] * r["frames"])
            print(f"| {motion} | {light} | {blur} | {r['frames']} | {100 * r['engine']:.0f}% | "
                  f"{100 * r['zxing']:.0f}% | {accept} | {r['engine_median_ms']:.0f} ms |", flush=True)
            clip.unlink()
    print(f"engine: {read} of {total} frames read")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

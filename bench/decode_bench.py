"""Decode benchmark: the scan engine against zxing-cpp, OpenCV and pyzbar used naively on full frames.

    .venv/bin/python bench/decode_bench.py [--frames 20] [--hard 150] [--hard1080 100] [--seed 1]
                                           [--corpus DIR] [--tree DIR]

1. Speed, in one run on the same frames: median and p95 milliseconds per 1280x720 and 1920x1080
   BGR frame (wall time), the median process CPU time per frame (``time.process_time``: all
   threads, less moved by other processes' load than wall time), for frames showing a bill QR (the
   demo camera's picture) and for empty noisy frames (a cluttered scene with sensor noise: what the
   camera sees while the user aims), with the share of frames each method decoded. ``engine no
   precheck`` is the live pipeline without its gate (``payer_app/scan/precheck.py``), measured on
   the same frames.
2. Decode rate on hard corpora generated here (seeded): rotations, perspective, blur, motion blur,
   low contrast, uneven light, noise, JPEG artefacts, small modules, inverted codes, on 800x600
   pictures (``--hard``), and small codes (modules of 1.5 to 4 pixels) on 1920x1080 frames, half of
   them under a glare (``--hard1080``). A result counts only if it is the exact payload. ``--corpus
   DIR`` adds a folder of images: the output of ``payer-app generate corpus`` (its manifest gives
   each picture's payload, which must be read exactly) or any folder of pictures (counted when any
   code is decoded).

``--tree DIR`` measures the engine of another checkout of this repository (for instance a
``git worktree`` of main) with this file's frames and corpora: run it beside a run without it to
compare two versions under the same load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np


def _tree() -> Path:
    """The checkout whose ``payer_app`` is measured: ``--tree DIR``, else this file's own."""
    if "--tree" in sys.argv[:-1]:
        return Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    return Path(__file__).resolve().parents[1]


sys.path.insert(0, str(_tree()))

from payer_app.core.builder import evn_bill_payload, vietqr_payload  # noqa: E402
from payer_app.qr_symbol import qr_pixels  # noqa: E402
from payer_app.scan.demo_camera import DemoCamera, demo_bill_payload  # noqa: E402
from payer_app.scan.engine import LIVE, STILL, EngineConfig, decode_frame  # noqa: E402

NO_PRECHECK = EngineConfig(precheck=False)  # the live pipeline without its finder-pattern gate

# ---------------------------------------------------------------------------------------------
# methods: each takes a BGR frame and returns the decoded texts


def engine_live(frame):
    return [d.text for d in decode_frame(frame, LIVE)]


def engine_no_precheck(frame):
    return [d.text for d in decode_frame(frame, NO_PRECHECK)]


def engine_still(frame):
    return [d.text for d in decode_frame(frame, STILL)]


def naive_zxing(frame):
    import zxingcpp

    return [b.text for b in zxingcpp.read_barcodes(frame)]


_cv_detector = None


def naive_opencv(frame):
    global _cv_detector
    if _cv_detector is None:
        _cv_detector = cv2.QRCodeDetector()
    try:
        ok, texts, _, _ = _cv_detector.detectAndDecodeMulti(frame)
    except cv2.error:
        return []
    return [t for t in texts if t] if ok else []


def naive_pyzbar(frame):
    from pyzbar import pyzbar

    return [s.data.decode("utf-8", errors="replace") for s in pyzbar.decode(frame)]


SPEED_METHODS = {
    "engine": engine_live,
    "engine no precheck": engine_no_precheck,
    "zxing-cpp naive": naive_zxing,
    "opencv naive": naive_opencv,
    "pyzbar naive": naive_pyzbar,
}
HARD_METHODS = {
    "engine (live)": engine_live,
    "engine (no precheck)": engine_no_precheck,
    "engine (still image)": engine_still,
    "zxing-cpp naive": naive_zxing,
    "opencv naive": naive_opencv,
    "pyzbar naive": naive_pyzbar,
}


# ---------------------------------------------------------------------------------------------
# frames


def cluttered_scene(width: int, height: int, rng: np.random.Generator, sigma: float = 8.0) -> np.ndarray:
    """A BGR room-like scene: gradient, boxes, text, then blur and sensor noise."""
    img = cv2.cvtColor(_gradient(width, height), cv2.COLOR_GRAY2BGR)
    _clutter_shapes(img, width, height, rng, None)
    img = cv2.GaussianBlur(img, (5, 5), 1.2).astype(np.float32)
    img += rng.normal(0, sigma, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def scene_channel(width: int, height: int, rng: np.random.Generator, channel: int, sigma: float = 8.0) -> np.ndarray:
    """``cluttered_scene(width, height, rng, sigma)[:, :, channel]``: the same values and the same
    draws from ``rng`` (a hash of the hard corpora and the scenes was the same before and after),
    with less work: one channel drawn and blurred; the noise of all three is drawn, for the draws
    that follow to stay the same, and that of sigma 0 (which adds nothing) only drawn."""
    img = _gradient(width, height)
    _clutter_shapes(img, width, height, rng, channel)
    img = cv2.GaussianBlur(img, (5, 5), 1.2)
    if sigma == 0:
        rng.standard_normal(height * width * 3)  # what normal(0, 0, (h, w, 3)) draws
        return img
    noisy = img.astype(np.float32) + rng.normal(0, sigma, (height, width, 3))[:, :, channel].astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _gradient(width: int, height: int) -> np.ndarray:
    return np.tile(np.linspace(50, 190, width).astype(np.uint8)[None, :], (height, 1))


def _clutter_shapes(img: np.ndarray, width: int, height: int, rng: np.random.Generator, channel: int | None) -> None:
    """Boxes and lines of text in random colours (all three channels, or only ``channel``'s value on
    a one-channel ``img``)."""
    def colour():
        bgr = tuple(int(c) for c in rng.integers(0, 255, 3))
        return bgr if channel is None else bgr[channel]

    for _ in range(30):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        color = colour()
        cv2.rectangle(
            img, (x, y), (x + int(rng.integers(20, width // 4)), y + int(rng.integers(20, height // 4))), color, -1
        )
    for _ in range(14):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        color = colour()
        cv2.putText(
            img, "Hoa don 0123456789 ABC", (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 1.5)), color, 2
        )


def speed_frames(width: int, height: int, count: int, seed: int):
    qr_side = 260 * width / 1280
    cam = DemoCamera(realtime=False, size=(width, height), seed=seed, qr_side=qr_side)
    cam.open()
    with_qr = [cam.read().image for _ in range(count)]
    cam.close()
    rng = np.random.default_rng(seed)
    empty = [cluttered_scene(width, height, rng) for _ in range(count)]
    return with_qr, empty


def timed(method, frames, expected: str | None):
    times, cpu, hits = [], [], 0
    for f in frames:
        c0, t0 = time.process_time(), time.perf_counter()
        texts = method(f)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
        if expected is None:
            hits += bool(texts)
        else:
            hits += expected in texts
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, statistics.median(cpu), hits


# ---------------------------------------------------------------------------------------------
# hard corpus


def _payloads(rng: np.random.Generator) -> str:
    n = int(rng.integers(0, 10**11))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return evn_bill_payload(f"P{'ABCDE'[n % 5]}{n:011d}")
    if kind == 1:
        return evn_bill_payload(f"PD{n:011d}", purpose="Thanh toán tiền điện")
    return vietqr_payload("970416", str(n), amount=int(rng.integers(1, 5000)) * 1000, purpose="Chuyen tien dien")


def hard_sample(rng: np.random.Generator, size: tuple[int, int] = (800, 600), modules: tuple[float, float] = (2.0, 4.0),
                glare: bool = False) -> tuple[np.ndarray, str, str]:
    """(BGR image, payload, description) with several degradations at once: a code with modules of
    ``modules`` pixels on a ``size`` scene; ``glare`` adds a bright patch of light over the print,
    which washes its contrast out. The defaults make bench/decode_bench.py's hard corpus."""
    payload = _payloads(rng)
    qr = qr_pixels(payload, module_px=1)  # one pixel per module
    module = float(rng.uniform(*modules))
    side = int(qr.shape[0] * module)
    qr = cv2.resize(qr, (side, side), interpolation=cv2.INTER_NEAREST)
    dark = float(rng.uniform(0, 110))
    light = float(rng.uniform(dark + 35, 255))
    notes = [f"module {module:.1f}px", f"contrast {light - dark:.0f}"]
    inverted = rng.random() < 0.15
    if inverted:
        qr = 255 - qr
        notes.append("inverted")
    paper = qr.astype(np.float32) / 255.0 * (light - dark) + dark
    width, height = size
    background = scene_channel(width, height, rng, 0, sigma=0).astype(np.float32)
    img = _placed(rng, paper, background, notes)
    if glare:
        img = _glare(rng, img, notes)
    img = _degraded(rng, img, notes)
    return img, payload, ", ".join(notes)


def _placed(rng: np.random.Generator, paper: np.ndarray, background: np.ndarray, notes: list[str]) -> np.ndarray:
    """The code turned by any angle, tilted in perspective and laid on the background."""
    height, width = background.shape
    side = paper.shape[0]
    angle = float(rng.uniform(0, 360))
    tilt = float(rng.uniform(0, 0.14))
    notes.append(f"rot {angle:.0f}")
    spread = width / 800
    cx = width / 2 + rng.uniform(-100, 100) * spread
    cy = height / 2 + rng.uniform(-60, 60) * spread
    half = side / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
    corners += rng.uniform(-tilt, tilt, corners.shape).astype(np.float32) * side
    rad = np.deg2rad(angle)
    rot = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]], np.float32)
    dst = corners @ rot.T + np.array([cx, cy], np.float32)
    src = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    mask = cv2.warpPerspective(np.ones((side, side), np.float32), m, (width, height))
    warped = cv2.warpPerspective(paper, m, (width, height), flags=cv2.INTER_LINEAR)
    return background * (1 - mask) + warped * mask


def _glare(rng: np.random.Generator, img: np.ndarray, notes: list[str]) -> np.ndarray:
    """A soft bright spot of light centred near the middle (where the code is): the picture moves
    towards white by up to ``strength``, so the code keeps only part of its contrast."""
    height, width = img.shape
    strength = float(rng.uniform(0.3, 0.7))
    cx = width / 2 + rng.uniform(-0.1, 0.1) * width
    cy = height / 2 + rng.uniform(-0.1, 0.1) * height
    radius = float(rng.uniform(0.1, 0.3)) * width
    ys, xs = np.ogrid[:height, :width]
    spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2)).astype(np.float32) * strength
    notes.append(f"glare {strength:.2f}")
    return img * (1 - spot) + 255.0 * spot


def _degraded(rng: np.random.Generator, img: np.ndarray, notes: list[str]) -> np.ndarray:
    """Blur or motion blur, uneven light, sensor noise and JPEG artefacts, each drawn at random."""
    width = img.shape[1]
    blur = rng.random()
    if blur < 0.45:
        sigma = float(rng.uniform(0.4, 1.3))
        img = cv2.GaussianBlur(img, (0, 0), sigma)
        notes.append(f"blur {sigma:.1f}")
    elif blur < 0.75:
        length = int(rng.integers(3, 7))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        turn = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, turn, (length, length))
        kernel /= max(kernel.sum(), 1e-6)
        img = cv2.filter2D(img, -1, kernel)
        notes.append(f"motion {length}")
    if rng.random() < 0.4:
        ramp = np.linspace(float(rng.uniform(0.45, 0.8)), 1.0, width, dtype=np.float32)[None, :]
        img = img * (ramp if rng.random() < 0.5 else ramp[:, ::-1])
        notes.append("uneven light")
    noise = float(rng.uniform(0, 12))
    img = img + rng.normal(0, noise, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    quality = int(rng.integers(25, 90))
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    notes.append(f"jpeg {quality}")
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


def hard_1080_sample(rng: np.random.Generator) -> tuple[np.ndarray, str, str]:
    """A 1920x1080 frame with a small code (modules of 1.5 to 4 pixels, so the 640-pixel fast path
    cannot read most of them) and, every other picture on average, a glare over the print."""
    return hard_sample(rng, size=(1920, 1080), modules=(1.5, 4.0), glare=bool(rng.random() < 0.5))


def run_corpus(folder: Path, methods: dict) -> None:
    """Decode rate on a folder of images. With a ``manifest.json`` listing ``entries`` of
    ``{file, payload, decodable_expected}`` (what ``payer-app generate corpus`` writes), a result
    counts only when the exact payload is read; otherwise any decoded code counts."""
    import json

    manifest = folder / "manifest.json"
    expected: dict[str, str | None] = {}
    if manifest.is_file():
        for entry in json.loads(manifest.read_text(encoding="utf-8")).get("entries", []):
            expected[entry["file"]] = entry.get("payload")
        files = [folder / name for name in expected]
        rule = "exact payload"
    else:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp"})
        rule = "any code decoded"
    samples = []
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None:
            samples.append((image, expected.get(path.name)))
    print(f"\n== corpus {folder}: {len(samples)} images (counted: {rule}) ==")
    print(f"{'method':<24}{'decoded':>10}{'rate':>8}")
    for name, method in methods.items():
        hits = 0
        for image, payload in samples:
            texts = method(image)
            hits += (payload in texts) if payload else bool(texts)
        print(f"{name:<24}{hits:>6}/{len(samples):<4}{100.0 * hits / max(1, len(samples)):>6.1f}%", flush=True)


# ---------------------------------------------------------------------------------------------


def run_speed(frames: int, seed: int, methods: dict) -> None:
    payload = demo_bill_payload()
    print("\n== speed: ms per BGR frame, wall median / p95, process CPU median; share of frames decoded ==")
    print(f"{'frame':<22}{'method':<20}{'median':>9}{'p95':>9}{'cpu':>9}{'decoded':>10}")
    for width, height in ((1280, 720), (1920, 1080)):
        with_qr, empty = speed_frames(width, height, frames, seed)
        cases = ((f"{height}p with QR", with_qr, payload), (f"{height}p empty noisy", empty, None))
        for label, shown_frames, expected in cases:
            for name, method in methods.items():
                median, p95, cpu, hits = timed(method, shown_frames, expected)
                shown = f"{hits}/{len(shown_frames)}"
                print(f"{label:<22}{name:<20}{median:>8.1f} {p95:>8.1f} {cpu:>8.1f} {shown:>9}", flush=True)


def run_hard(title: str, samples: list, methods: dict) -> None:
    print(f"\n== decode rate: {title} ==")
    print(f"{'method':<24}{'decoded':>10}{'rate':>8}{'median ms':>11}")
    for name, method in methods.items():
        times, hits = [], 0
        for img, expected, _notes in samples:
            t0 = time.perf_counter()
            texts = method(img)
            times.append((time.perf_counter() - t0) * 1000.0)
            hits += expected in texts
        print(f"{name:<24}{hits:>6}/{len(samples):<4}{100.0 * hits / len(samples):>6.1f}%"
              f"{statistics.median(times):>10.1f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=20, help="frames per speed category (default 20; 0 skips)")
    ap.add_argument("--hard", type=int, default=150, help="images in the generated hard corpus (default 150; 0 skips)")
    ap.add_argument("--hard1080", type=int, default=100,
                    help="1920x1080 frames with small codes, half under glare (default 100; 0 skips)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, help="a folder of extra images to decode (counted: any code found)")
    ap.add_argument("--save-hard", type=Path, help="write the generated hard corpus there as JPEG files")
    ap.add_argument("--engine-only", action="store_true", help="only the engine's rows (no naive decoders)")
    ap.add_argument("--tree", type=Path, help="measure the payer_app of this checkout instead of this file's")
    args = ap.parse_args()

    from importlib.metadata import version

    import cv2 as _cv2

    print(f"opencv {_cv2.__version__}, zxing-cpp {version('zxing-cpp')}, pyzbar {version('pyzbar')}, "
          f"numpy {np.__version__}, threads: opencv {_cv2.getNumThreads()}, engine from {_tree()}")
    speed_methods, hard_methods = SPEED_METHODS, HARD_METHODS
    if args.engine_only:
        speed_methods = {k: v for k, v in SPEED_METHODS.items() if k.startswith("engine")}
        hard_methods = {k: v for k, v in HARD_METHODS.items() if k.startswith("engine")}
    warm = np.zeros((720, 1280, 3), np.uint8)  # library loading, first allocations
    for method in speed_methods.values():
        method(warm)
    if args.frames > 0:
        run_speed(args.frames, args.seed, speed_methods)
    if args.hard:
        rng = np.random.default_rng(args.seed)
        samples = [hard_sample(rng) for _ in range(args.hard)]
        if args.save_hard:
            args.save_hard.mkdir(parents=True, exist_ok=True)
            for i, (img, _payload, _notes) in enumerate(samples):
                _cv2.imwrite(str(args.save_hard / f"hard_{i:03d}.jpg"), img)
        run_hard(f"generated hard corpus, {args.hard} images (seed {args.seed})", samples, hard_methods)
    if args.hard1080:
        rng = np.random.default_rng(args.seed)
        samples = [hard_1080_sample(rng) for _ in range(args.hard1080)]
        run_hard(f"small codes at 1080p, half under glare, {args.hard1080} frames (seed {args.seed})", samples,
                 hard_methods)
    if args.corpus:
        run_corpus(args.corpus, hard_methods)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

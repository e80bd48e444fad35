"""Camera-like clips of a bill, on demand (``payer-app generate video``).

The frames come from the demo camera's renderer (``payer_app.scan.demo_camera.DemoCamera``: the
bill on a desk, sliding light, sensor noise); this module only chooses how the camera moves, how the
scene is lit and how blurred the picture is, and writes the frames to a video file. Same options and
seed, same frames (and, with OpenCV's encoders, the same bytes).

* ``motion``: ``handheld`` (the demo camera's slow drift and turn plus a hand's 8-11 Hz tremor),
  ``sweep`` (the camera passes over the bill from one side to the other; the code is fully in view
  for about the middle half of the clip), ``still`` (a tripod).
* ``light``: ``normal`` (the demo camera's), ``dim`` (a dark room: under-exposed, noisier sensor),
  ``bright`` (over-exposed, highlights clipped), ``flicker`` (mains flicker: brightness and a dark
  band rolling through the frame), ``glare`` (a lamp's reflection on glossy paper: a burnt-out spot
  about half the code wide drifting across it).
* ``blur``: ``none``, ``soft`` (slightly out of focus), ``strong`` (clearly out of focus),
  ``motion`` (smeared along the way the code moves during a half-frame exposure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from payer_app.core.payload import MAX_INPUT_CHARS
from payer_app.qr_symbol import make_payment_qr, qr_pixels
from payer_app.scan.demo_camera import DemoCamera, demo_bill, lay_tile, plain_bill_card
from payer_app.studio.video_options import BLURS, LIGHTS, MOTIONS

MAX_SECONDS = 120.0
MAX_SIDE = 3840
VIDEO_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
# Dim light's extra grain: one GRAIN_TILE-square tile of Gaussian grain (the same on the three
# channels), laid over each frame from a random place in it, as the demo camera lays its sensor noise.
# Its side is not a multiple of the sensor noise tile's, so the two never line up the same way twice
# in a clip; a fresh Gaussian frame of grain cost three times the rest of the frame.
GRAIN_TILE = 320
GRAIN_SIGMA = 4.0


class VideoSpecError(ValueError):
    """Options that cannot make a clip; the message says which and why."""


@dataclass(frozen=True)
class ClipSpec:
    seconds: float = 4.0
    fps: float = 30.0
    size: tuple[int, int] = (1280, 720)
    motion: str = "handheld"
    light: str = "normal"
    blur: str = "none"
    seed: int = 0
    qr_side: float | None = None  # the code's side in the frame, pixels (None: from its module count)

    def check(self) -> ClipSpec:
        if self.motion not in MOTIONS:
            raise VideoSpecError(f"motion must be one of {', '.join(MOTIONS)}")
        if self.light not in LIGHTS:
            raise VideoSpecError(f"light must be one of {', '.join(LIGHTS)}")
        if self.blur not in BLURS:
            raise VideoSpecError(f"blur must be one of {', '.join(BLURS)}")
        if not (0 < self.seconds <= MAX_SECONDS):
            raise VideoSpecError(f"seconds must be more than 0 and at most {MAX_SECONDS:g}")
        if not (1 <= self.fps <= 120):
            raise VideoSpecError("fps must be between 1 and 120")
        w, h = self.size
        if not (64 <= w <= MAX_SIDE and 64 <= h <= MAX_SIDE) or w % 2 or h % 2:
            raise VideoSpecError(f"size must be even numbers between 64 and {MAX_SIDE} (e.g. 1280x720)")
        if self.qr_side is not None and not (16 <= self.qr_side <= min(w, h)):
            raise VideoSpecError("the code's size must be at least 16 px and fit in the frame")
        if not (0 <= self.seed < 2**32):
            raise VideoSpecError("seed must be between 0 and 4294967295")
        return self

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))


def bill_for(bill_or_payload: str):
    """(bill picture, payload or None): ``demo`` is the demo camera's bill; an existing image file is
    filmed as it is (payload unknown); any other text is a payload, printed on a plain bill card (a
    payload over 300 characters makes a big code: it is filmed alone, on white paper)."""
    from payer_app.scan.sources import IMAGE_SUFFIXES, SourceError, read_image_file

    if bill_or_payload == "demo":
        image, payload = demo_bill()
        return image, payload
    path = Path(bill_or_payload)
    looks_like_file = path.suffix.lower() in IMAGE_SUFFIXES and len(bill_or_payload) < 4096
    if looks_like_file:
        try:
            exists = path.is_file()
        except OSError:
            exists = False
        if exists:
            try:
                return read_image_file(path), None
            except SourceError as exc:
                raise VideoSpecError(str(exc)) from None
        raise VideoSpecError(f"{bill_or_payload}: no such picture (give a picture of a bill, a payload, or demo)")
    payload = bill_or_payload
    if not payload:
        raise VideoSpecError("the payload is empty")
    if len(payload) > MAX_INPUT_CHARS:
        raise VideoSpecError(f"the payload is longer than a QR code can hold ({MAX_INPUT_CHARS} characters)")
    if len(payload) <= 300:
        return plain_bill_card(payload), payload
    # A long payload makes a big code: film the code alone, on white paper.
    return Image.fromarray(qr_pixels(payload, module_px=6, border=6)).convert("RGB"), payload


def _modules(payload: str) -> int:
    return int(make_payment_qr(payload).symbol_size(border=0)[0])


class ClipCamera(DemoCamera):
    """The demo camera with a chosen motion, light and blur, rendered frame by frame (not paced)."""

    def __init__(self, image, spec: ClipSpec, qr_side: float):
        super().__init__(spec="clip", realtime=False, fps=spec.fps, size=spec.size, seed=spec.seed,
                         image=image, qr_side=qr_side, noise_sigma=8.0 if spec.light == "dim" else 5.0)
        self.clip = spec
        rng = np.random.default_rng([spec.seed, 7919])
        self._tremor = [(rng.uniform(8.0, 11.0), rng.uniform(0, 2 * math.pi)) for _ in range(4)]
        self._light_rng = np.random.default_rng([spec.seed, 104729])
        self._grain: np.ndarray | None = None  # dim light: the grain tile (doubled each way), made at the first frame
        self._bill4: np.ndarray | None = None  # the bill as BGRA, and a frame of BGRA pixels: made at the first frame
        self._frame4: np.ndarray | None = None

    def pose(self, t: float) -> np.ndarray:
        motion = self.clip.motion
        if motion == "still":
            return super().pose(0.0)
        m = super().pose(t)
        if motion == "handheld":
            (f1, p1), (f2, p2), (f3, p3), (f4, p4) = self._tremor
            m[0, 2] += 2.5 * math.sin(2 * math.pi * f1 * t + p1) + 1.5 * math.sin(2 * math.pi * f3 * t + p3)
            m[1, 2] += 2.5 * math.sin(2 * math.pi * f2 * t + p2) + 1.5 * math.sin(2 * math.pi * f4 * t + p4)
            return m
        # sweep: across the frame, from 0.75 frame widths left of centre to 0.75 right of it
        duration = max(self.clip.seconds, 1e-6)
        m = super().pose(0.0)
        m[0, 2] += (-0.75 + 1.5 * min(1.0, t / duration)) * self.width
        return m

    def _lay_bill(self, frame: np.ndarray, pose: np.ndarray) -> None:
        """The demo camera's warp of the bill, done on 4-channel pixels: OpenCV's transparent border
        takes a per-pixel path for 3 channels and a vectorised one for 4, half the CPU for the same
        pixels, to the bit (tests/test_demo_camera_drawing.py). The window's camera keeps 3: a frame of
        4-channel pixels is 3.7 MB more at 720p, and a clip is written, not watched."""
        import cv2

        if self._bill4 is None or self._frame4 is None:
            self._bill4 = cv2.cvtColor(self._bill, cv2.COLOR_BGR2BGRA)
            self._frame4 = np.empty((self.height, self.width, 4), np.uint8)
        pixels = cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA, dst=self._frame4)
        cv2.warpAffine(self._bill4, pose, (self.width, self.height), dst=pixels,
                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR, dst=frame)

    def _qr_velocity(self, t: float) -> tuple[float, float]:
        """Pixels the code's centre moves in one frame time, at time t."""
        cx, cy = self._center
        a = self.pose(t) @ np.array([cx, cy, 1.0])
        b = self.pose(max(0.0, t - 1.0 / self.fps)) @ np.array([cx, cy, 1.0])
        return float(a[0] - b[0]), float(a[1] - b[1])

    def render(self, index: int) -> np.ndarray:
        import cv2

        frame = super().render(index)
        t = index / self.fps
        light = self.clip.light
        if light == "dim":
            self._dim(frame)
        elif light == "bright":
            frame = cv2.convertScaleAbs(frame, alpha=1.55, beta=40)
        elif light == "glare":
            frame = self._glare(frame, t)
        elif light == "flicker":
            gain = 0.78 + 0.22 * math.sin(2 * math.pi * 9.7 * t)  # 100 Hz flicker aliased by a 30 fps camera
            band_y = (t * 0.9 % 1.0) * self.height
            yy = np.arange(self.height, dtype=np.float32)
            band = 1.0 - 0.35 * np.exp(-((yy - band_y) / (0.12 * self.height)) ** 2)
            frame = np.clip(frame.astype(np.float32) * (gain * band)[:, None, None], 0, 255).astype(np.uint8)
        blur = self.clip.blur
        if blur == "soft":
            frame = cv2.GaussianBlur(frame, (0, 0), 1.2)
        elif blur == "strong":
            frame = cv2.GaussianBlur(frame, (0, 0), 2.6)
        elif blur == "motion":
            frame = self._motion_blur(frame, t)
        return frame

    def _dim(self, frame: np.ndarray) -> None:
        """Under-exposed (0.42 x + 4) with grain from the tile, in place (one pass)."""
        grain = self._grain
        if grain is None:
            drawn = np.clip(self._light_rng.normal(128, GRAIN_SIGMA, (GRAIN_TILE, GRAIN_TILE)), 0, 255)
            tile = np.repeat(drawn.astype(np.uint8)[:, :, None], 3, axis=2)
            grain = self._grain = np.tile(tile, (2, 2, 1))
        dy, dx = (int(v) for v in self._light_rng.integers(GRAIN_TILE, size=2))
        lay_tile(frame, grain, GRAIN_TILE, (dy, dx), 0.42, 4.0 - 128.0)

    def _glare(self, frame: np.ndarray, t: float) -> np.ndarray:
        """A specular spot on the code: centred on the code's position, drifting over it."""
        cx, cy = self._center
        x, y = self.pose(t) @ np.array([cx - 0.18 * self.width / self._zoom, cy, 1.0])  # the code's centre
        duration = max(self.clip.seconds, 1e-6)
        phase = 2 * math.pi * t / duration
        x += 0.45 * self.qr_side * math.cos(phase)
        y += 0.30 * self.qr_side * math.sin(phase)
        radius = 0.2 * self.qr_side
        # Beyond 3.5 radii the spot adds under one grey level, which the cast to uint8 drops: only the
        # box within that reach is lifted (the same pixels as lifting the whole frame).
        reach = 3.5 * radius
        x0, x1 = max(0, math.floor(x - reach)), min(self.width, math.ceil(x + reach) + 1)
        y0, y1 = max(0, math.floor(y - reach)), min(self.height, math.ceil(y + reach) + 1)
        if x0 >= x1 or y0 >= y1:
            return frame
        yy, xx = np.ogrid[y0:y1, x0:x1]
        spot = np.exp(-(((xx - x) ** 2 + (yy - y) ** 2) / (2 * radius ** 2))).astype(np.float32)
        lifted = frame[y0:y1, x0:x1].astype(np.float32) + (420.0 * spot)[:, :, None]
        frame[y0:y1, x0:x1] = np.clip(lifted, 0, 255).astype(np.uint8)
        return frame

    def _motion_blur(self, frame: np.ndarray, t: float) -> np.ndarray:
        import cv2

        vx, vy = self._qr_velocity(t)
        length = 0.5 * math.hypot(vx, vy)  # exposure: half the frame time
        if length < 1.0:
            return frame
        size = int(min(61, math.ceil(length))) | 1
        kernel = np.zeros((size, size), np.float32)
        c = size // 2
        dx, dy = vx / math.hypot(vx, vy), vy / math.hypot(vx, vy)
        half = min(length, size) / 2
        cv2.line(kernel, (round(c - dx * half), round(c - dy * half)), (round(c + dx * half), round(c + dy * half)),
                 1.0, 1, cv2.LINE_AA)
        kernel /= max(kernel.sum(), 1e-6)
        # Only the kernel's rows and columns that hold the line (a sweep's is one row): the same sums,
        # anchored where the full kernel's centre was, without multiplying by the zeros around it.
        rows, cols = np.nonzero(kernel.any(axis=1))[0], np.nonzero(kernel.any(axis=0))[0]
        if not rows.size:
            return frame
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        return cv2.filter2D(frame, -1, kernel[y0:y1, x0:x1], anchor=(int(c - x0), int(c - y0)))


def clip_frames(bill_or_payload: str, spec: ClipSpec):
    """(payload or None, a generator of BGR frames)."""
    spec.check()
    image, payload = bill_for(bill_or_payload)
    qr_side = spec.qr_side
    if qr_side is None:
        modules = _modules(payload) if payload else 33
        qr_side = min(max(260.0, 3.4 * modules) * min(spec.size) / 720, 0.9 * min(spec.size))
    camera = ClipCamera(image, spec, qr_side)

    def frames():
        camera.open()
        try:
            for index in range(spec.frame_count):
                yield camera.render(index)
        finally:
            camera.close()

    return payload, frames()


def write_clip(bill_or_payload: str, output: str | Path, spec: ClipSpec) -> dict:
    """Write the clip; returns what was written (path, frames, fps, size, payload)."""
    import cv2

    output = Path(output)
    fourcc_name = VIDEO_FOURCC.get(output.suffix.lower())
    if fourcc_name is None:
        raise VideoSpecError(f"{output.name}: the file name must end in {', '.join(sorted(VIDEO_FOURCC))}")
    payload, frames = clip_frames(bill_or_payload, spec)
    w, h = spec.size
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter.fourcc(*fourcc_name), spec.fps, (w, h))
    if not writer.isOpened():
        raise VideoSpecError(f"{output}: OpenCV cannot write this video (format or folder)")
    count = 0
    try:
        for frame in frames:
            writer.write(frame)
            count += 1
    finally:
        writer.release()
    if not output.is_file() or output.stat().st_size == 0:
        raise VideoSpecError(f"{output}: nothing was written")
    return {"path": str(output), "frames": count, "fps": spec.fps, "size": [w, h], "payload": payload,
            "motion": spec.motion, "light": spec.light, "blur": spec.blur, "seed": spec.seed}

"""The demo camera: a synthetic webcam filming a generated EVN bill on a desk.

The bill drifts and turns slightly, the light changes and every frame carries sensor noise, at
1280x720 and 30 frames per second, so the whole scan path (decode retries, confirmation) is exercised
on a machine without a webcam. With ``realtime=False`` frames come as fast as they are asked for
(tests, benchmarks); their ``t_ms`` still follows the 30 fps clock.

The bill comes from ``payer_app.studio.bill.render_bill_image()`` (customer PD00000000000) when the
studio can draw it (its fonts are installed), otherwise from a plain card drawn here (white paper,
the bill QR, a few lines of text). ``demo_bill_payload()`` is the payload either one carries.
"""

from __future__ import annotations

import copy
import math
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from payer_app.core.display_text import visible
from payer_app.scan.sources import Frame, FrameSource, SourceError

DEMO_CUSTOMER_CODE = "PD00000000000"


def lay_tile(frame: np.ndarray, tile: np.ndarray, side: int, at: tuple[int, int], gain: float,
             offset: float) -> None:
    """``frame = frame * gain + tile + offset`` in place (saturated to 0-255), block by block of ``side``
    pixels, each block taking ``tile`` (``side`` doubled each way) from the place ``at`` (row, column
    under ``side``): a random place per frame lays noise without drawing a frame of it."""
    import cv2

    dy, dx = at
    height, width = frame.shape[:2]
    for top in range(0, height, side):
        rows = min(side, height - top)
        for left in range(0, width, side):
            cols = min(side, width - left)
            block = frame[top:top + rows, left:left + cols]
            cv2.addWeighted(block, gain, tile[dy:dy + rows, dx:dx + cols], 1.0, offset, dst=block)


def demo_bill_payload() -> str:
    """The payload of the bill the demo camera films."""
    return demo_bill()[1]


def plain_bill_card(payload: str | None = None):
    """A simple bill card: white paper, a title, customer lines and the payment QR (PIL RGB image)."""
    from PIL import Image, ImageDraw, ImageFont

    from payer_app.qr_symbol import qr_pixels

    if payload is None:
        from payer_app.core.builder import evn_bill_payload

        payload = evn_bill_payload(DEMO_CUSTOMER_CODE)
    card = Image.new("RGB", (900, 1200), (250, 250, 246))
    draw = ImageDraw.Draw(card)
    try:
        title_font = ImageFont.load_default(size=44)
        text_font = ImageFont.load_default(size=28)
    except TypeError:  # Pillow without sized default fonts
        title_font = text_font = ImageFont.load_default()
    draw.rectangle((0, 0, 900, 110), fill=(0, 84, 166))
    draw.text((40, 30), "EVN HANOI", fill=(255, 255, 255), font=title_font)
    lines = [
        "HOA DON TIEN DIEN (demo)",
        f"Ma khach hang: {DEMO_CUSTOMER_CODE}",
        "Ky: 11/2026   Chi so: 1234 - 1456",
        "Quet ma QR de thanh toan",
    ]
    for i, line in enumerate(lines):
        draw.text((40, 150 + i * 48), line, fill=(20, 20, 20), font=text_font)
    qr = Image.fromarray(qr_pixels(payload, module_px=10)).convert("RGB")
    card.paste(qr, ((900 - qr.width) // 2, 400))
    draw.text((40, 400 + qr.height + 20), "Cam on quy khach", fill=(60, 60, 60), font=text_font)
    return card


def demo_bill():
    """(bill image, its QR payload): the studio's realistic EVN bill for customer PD00000000000 when
    the studio can draw it, else a plain card with the same customer's bill QR."""
    return _demo_bill(date.today())


def demo_bill_spec(today: date | None = None):
    """What the demo camera prints: the bill customer PD00000000000 holds ``today`` (default: the
    real today), ``studio.bill_spec.issued_evn_bill``, the very bill the mock biller answers with,
    so the printed amount and the window's amount-due chip agree."""
    from payer_app.studio.bill_spec import issued_evn_bill

    return issued_evn_bill(DEMO_CUSTOMER_CODE, today or date.today())


@lru_cache(maxsize=1)
def _demo_bill(today: date):
    return _render_demo_bill(today)


def _render_demo_bill(today: date):
    try:
        from payer_app.studio.bill import render_bill_image

        spec = demo_bill_spec(today)
        return render_bill_image(spec), spec.payload()
    except Exception:  # noqa: BLE001 - no studio, or it cannot draw (fonts...): the demo must still run
        from payer_app.core.builder import evn_bill_payload

        payload = evn_bill_payload(DEMO_CUSTOMER_CODE)
        return plain_bill_card(payload), payload


def demo_bill_image():
    return demo_bill()[0]


def find_qr(gray: np.ndarray) -> tuple[float, float, float] | None:
    """Centre x, y and side length of the largest QR code in a clean rendered image."""
    import zxingcpp

    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    best = None
    for code in found:
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_right.x, p.bottom_left.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_right.y, p.bottom_left.y]
        side = max(max(xs) - min(xs), max(ys) - min(ys))
        if best is None or side > best[2]:
            best = (sum(xs) / 4, sum(ys) / 4, float(side))
    return best


@dataclass(eq=False)
class _FilmedBill:
    source: object  # the picture it was made from (PIL image or numpy array)
    image: np.ndarray  # BGR, read-only
    qr: tuple[float, float, float] | None  # find_qr's centre and side, None when no QR was found


@dataclass(eq=False)
class _DeskScene:
    """What every frame of one size, seed and noise level is made of (arrays read-only)."""

    desk: np.ndarray  # the desk: a warm grey with a soft gradient and grain (H x W x 3)
    light: np.ndarray  # a broad shading map over twice the frame, at 1/LIGHT_STEP scale (3 channels), slid over time
    noise: np.ndarray  # sensor noise centred on 128: a NOISE_TILE-square tile, repeated twice each way
    rng: np.random.Generator  # the generator as the scene left it: it picks where each frame's noise starts


# The scene and the bill are the same for every opening of a camera (each visit to Scan opens one),
# so they are made once and shared while a camera holds them (weak values: freed when none does).
_SCENES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_BILLS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_SCENE_LOCK = threading.Lock()
_ROWS = 48  # rows drawn or lit at a time (float64 temporaries of ~1.4 MB, not of ~22 MB)
# The light is a product of two slow cosines (a period of thousands of pixels): kept at an eighth of
# the frame's scale and stretched into each frame (bilinear; within one grey level of the full map).
LIGHT_STEP = 8
# Sensor noise: one 256x256 tile, laid over the frame from a random place in it each frame. Four
# whole frames of noise took 10.5 MB at 720p; the tile (doubled each way, 0.75 MB) looks the same.
NOISE_TILE = 256


def _desk_scene(width: int, height: int, seed: int, noise_sigma: float) -> _DeskScene:
    key = (width, height, seed, float(noise_sigma))
    with _SCENE_LOCK:
        scene = _SCENES.get(key)
        if scene is None:
            scene = _SCENES[key] = _make_desk_scene(width, height, seed, noise_sigma)
        return scene


def _make_desk_scene(width: int, height: int, seed: int, noise_sigma: float) -> _DeskScene:
    """The desk (drawn row band by row band), the light and the noise tile, from one generator."""
    rng = np.random.default_rng(seed)
    xx = np.arange(width, dtype=np.float32)[None, :]
    desk = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, _ROWS):
        rows = min(_ROWS, height - top)
        yy = np.arange(top, top + rows, dtype=np.float32)[:, None]
        grey = 95 + 35 * (xx / width) + 15 * np.sin(yy / 37.0) * 0.3
        tint = np.dstack([grey * 0.85, grey * 0.95, grey * 1.05])
        desk[top:top + rows] = np.clip(tint + rng.normal(0, 4, (rows, width, 3)), 0, 255)
    step = LIGHT_STEP
    across = 55 * np.cos(np.arange(0, width * 2 + step, step, dtype=np.float32) / (width * 0.7))
    down = np.cos(np.arange(0, height * 2 + step, step, dtype=np.float32) / (height * 0.8))
    light = np.clip(200 + down[:, None] * across[None, :], 0, 255).astype(np.uint8)
    light = np.ascontiguousarray(np.repeat(light[:, :, None], 3, axis=2))
    tile = np.clip(rng.normal(128, noise_sigma, (NOISE_TILE, NOISE_TILE, 3)), 0, 255).astype(np.uint8)
    noise = np.tile(tile, (2, 2, 1))
    for array in (desk, light, noise):
        array.flags.writeable = False
    return _DeskScene(desk, light, noise, rng)


def _filmed_bill(image) -> _FilmedBill:
    """``image`` (a PIL image or a numpy array) as the BGR array filmed, and where its QR is."""
    with _SCENE_LOCK:
        found = _BILLS.get(id(image))
        if found is not None and found.source is image:
            return found
    filmed = _film(image)
    with _SCENE_LOCK:
        _BILLS[id(image)] = filmed
    return filmed


@lru_cache(maxsize=1)
def _demo_filmed_bill(today: date) -> _FilmedBill:
    """The demo bill as filmed, kept for the day: made once, not again at each visit to Scan (the
    picture, its copies and the search for its QR). It is drawn by a child process when one can be
    started: the drawing libraries (Pillow, FreeType, HarfBuzz, the fonts, segno: ~20 MB resident)
    then never enter this process, where they would stay for its whole life to draw one picture."""
    drawn = _bill_drawn_apart(today)
    filmed = _film(drawn if drawn is not None else _render_demo_bill(today)[0])
    filmed.source = None
    return filmed


MAX_BILL_PNG_BYTES = 16 * 1024 * 1024  # the demo bill's PNG is about 300 kB


def _bill_drawn_apart(today: date) -> np.ndarray | None:
    """The demo bill of ``today`` (BGR), drawn by ``python -m payer_app.scan.demo_camera``; None when
    no child process could draw it (the caller then draws it here)."""
    import subprocess

    import cv2

    try:
        done = subprocess.run([sys.executable, "-m", "payer_app.scan.demo_camera", today.isoformat()],
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    png = done.stdout
    if done.returncode != 0 or not png.startswith(b"\x89PNG") or len(png) > MAX_BILL_PNG_BYTES:
        return None
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)  # None if it is not a picture


def _print_bill_png(argv: list[str]) -> int:
    """``python -m payer_app.scan.demo_camera YYYY-MM-DD``: the demo bill of that day, as PNG on stdout."""
    import io

    try:
        today = date.fromisoformat(argv[0]) if argv else date.today()
    except ValueError:
        print("payer-app: error: the demo bill's day is YYYY-MM-DD", file=sys.stderr)
        return 2
    out = io.BytesIO()
    _render_demo_bill(today)[0].save(out, format="PNG", compress_level=1)
    sys.stdout.buffer.write(out.getvalue())
    return 0


def _film(image) -> _FilmedBill:
    import cv2

    bill = image
    if not isinstance(bill, np.ndarray):
        bill = np.array(bill.convert("RGB"))[:, :, ::-1]
    if bill.ndim == 2:
        bill = cv2.cvtColor(bill, cv2.COLOR_GRAY2BGR)
    bill = np.ascontiguousarray(bill[:, :, :3])
    bill.flags.writeable = False
    return _FilmedBill(image, bill, find_qr(cv2.cvtColor(bill, cv2.COLOR_BGR2GRAY)))


class DemoCamera(FrameSource):
    """Synthetic 30 fps camera. ``show_after`` frames of empty desk come first (0: the bill from the
    start). ``image`` replaces the bill (any PIL image or numpy array); ``qr_side`` is the QR's size
    in pixels in the frame. In real time, frame i is due i/fps seconds after opening, read on
    ``clock`` and waited for with ``sleep`` (time.monotonic and time.sleep unless given)."""

    kind = "demo"

    def __init__(self, spec: str = "demo", realtime: bool = True, fps: float = 30.0,
                 size: tuple[int, int] = (1280, 720), seed: int = 7, image=None,
                 show_after: int = 0, qr_side: float = 260.0, noise_sigma: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        super().__init__(spec)
        self.realtime = self.live = realtime
        self._clock, self._sleep = clock, sleep
        self._fps = float(fps)
        self.width, self.height = size
        self.seed = seed
        self.image = image
        self.show_after = show_after
        self.qr_side = qr_side
        self.noise_sigma = noise_sigma
        self._index, self._t0 = 0, 0.0  # next frame; when frame 0 was due (set by open)

    @property
    def fps(self) -> float:
        return self._fps

    # set-up ----------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            bill = _demo_filmed_bill(date.today()) if self.image is None else _filmed_bill(self.image)
        except Exception as exc:  # noqa: BLE001 - reported as a source failure
            raise SourceError(f"{visible(self.spec)}: cannot render the demo bill: {visible(exc)}") from exc
        h, w = bill.image.shape[:2]
        if bill.qr is None:  # no QR found: film the whole picture
            cx, cy, zoom = w / 2, h / 2, min(self.width / w, self.height / h) * 0.9
        else:
            cx, cy, side = bill.qr
            zoom = self.qr_side / side
            # Keep some of the bill's text in view: aim a little right of the QR.
            cx += 0.18 * self.width / zoom
        scene = _desk_scene(self.width, self.height, self.seed, self.noise_sigma)
        self._scene, self._filmed = scene, bill  # held while open: other open cameras share them
        self._bill = bill.image
        self._center = (cx, cy)
        self._zoom = zoom
        self._desk, self._light, self._noise = scene.desk, scene.light, scene.noise
        self._lit = np.empty((_ROWS, self.width, 3), np.uint8)  # a band of light, stretched from the small map
        self._rng = copy.deepcopy(scene.rng)  # each opening lays the noise the same way in the same order
        self._index = 0
        self._t0 = self._clock()

    def _close(self) -> None:
        """Let go of the bill and the desk (shared, and freed once no open camera holds them)."""
        del self._scene, self._filmed, self._bill, self._desk, self._light, self._noise, self._lit

    # frames ----------------------------------------------------------------------------------
    def pose(self, t: float) -> np.ndarray:
        """The 2x3 affine matrix mapping bill pixels to frame pixels at time t (seconds)."""
        import cv2

        angle = 2.5 * math.sin(2 * math.pi * t / 6.1)
        scale = self._zoom * (1.0 + 0.04 * math.sin(2 * math.pi * t / 4.3))
        cx, cy = self._center
        m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
        m[0, 2] += self.width / 2 - cx + 18 * math.sin(2 * math.pi * t / 3.7)
        m[1, 2] += self.height / 2 - cy + 12 * math.sin(2 * math.pi * t / 5.3)
        return m

    def render(self, index: int) -> np.ndarray:
        """Frame ``index``: the desk, the bill at its pose, the light at its place, then the noise.
        The one new array is the frame itself."""
        import cv2

        t = index / self._fps
        frame = self._desk.copy()
        if index >= self.show_after:
            self._lay_bill(frame, self.pose(t))
        ox = int((0.5 + 0.5 * math.sin(t / 2.3)) * self.width)
        oy = int((0.5 + 0.5 * math.cos(t / 3.1)) * self.height)
        gain = 0.85 + 0.15 * math.sin(2 * math.pi * t / 2.9)
        step = LIGHT_STEP
        for top in range(0, self.height, _ROWS):  # band by band: no frame-sized light buffer
            rows = min(_ROWS, self.height - top)
            to_map = np.array([[1.0 / step, 0.0, ox / step], [0.0, 1.0 / step, (oy + top) / step]])
            lit, band = self._lit[:rows], frame[top:top + rows]
            cv2.warpAffine(self._light, to_map, (self.width, rows), dst=lit,
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
            cv2.multiply(band, lit, dst=band, scale=gain / 255.0)  # in place
        self._add_noise(frame)
        return frame

    def _lay_bill(self, frame: np.ndarray, pose: np.ndarray) -> None:
        """The bill at ``pose`` over ``frame``, in place; the desk stays where the bill is not."""
        import cv2

        cv2.warpAffine(self._bill, pose, (self.width, self.height), dst=frame,
                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)

    def _add_noise(self, frame: np.ndarray) -> None:
        """The noise tile over ``frame`` in place, from a random place in the tile."""
        dy, dx = (int(v) for v in self._rng.integers(NOISE_TILE, size=2))
        lay_tile(frame, self._noise, NOISE_TILE, (dy, dx), 1.0, -128.0)

    def _read(self) -> Frame | None:
        index = self._due_frame(self._index) if self.realtime else self._index
        image = self.render(index)
        self._index = index + 1
        return Frame(image, index, index * 1000.0 / self._fps, self._clock())

    def _due_frame(self, index: int) -> int:
        """Real time: wait until frame ``index`` is due; a consumer more than 1 s behind skips to the
        frame due now instead of getting a burst of stale frames."""
        delay = self._t0 + index / self._fps - self._clock()
        if delay > 0:
            self._sleep(delay)
        elif delay < -1.0:
            index = int((self._clock() - self._t0) * self._fps)
        return index


if __name__ == "__main__":
    raise SystemExit(_print_bill_png(sys.argv[1:]))

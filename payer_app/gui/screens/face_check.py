"""Face check: the simulated bank's biometric step between Review and the PIN, shown when the payment
is above the authentication thresholds (``core/auth_policy.py``: over 10,000,000 ₫ at once or
20,000,000 ₫ in the source account's day; EVN's payees exempt up to 100,000,000 ₫ a day).

The screen says why it is asked (the threshold crossed and the Decision it comes from). With a real
camera (a webcam, a network camera, a video file standing in for one) it watches the camera through
the scan engine's capture path, off the GUI thread (``gui/face_watch.py``, ``scan/face_session.py``):
a face detector (``scan/face_detector.py``) must see a face in ``frames_required`` analysed frames
in a row, and the check passes (``passed``). No face before ``FACE_TIMEOUT_S``, or a video that ends
without one: the check failed, nothing is paid, *Thử lại* watches again. It checks only that a face
is there: no liveness, no identity (docs/payments.md, "Authentication by amount").

With the demo camera (it films a bill, not a person), when the detector's package is not installed
or when the camera cannot be used, the check is simulated: a clearly labelled pair,
*Mô phỏng thành công* / *Mô phỏng thất bại*, and a line saying why. Success signs the request with
``auth: biometric`` and goes on to the PIN; failure stays here and says so. Back returns to Review,
Cancel abandons the payment, and in kiosk mode the window's idle timeout applies here as on every
payment step."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import AuthNeed, AuthPolicy
from payer_app.gui.components import Card, Page, button, button_row, plain_label, set_role, single_clicks_only
from payer_app.gui.context import AppContext
from payer_app.gui.face_watch import FaceWatch
from payer_app.gui.flow_controls import add_cancel
from payer_app.gui.scan_adapter import ScanAdapter
from payer_app.gui.screens.scan import camera_painter
from payer_app.scan.face_detector import model_path
from payer_app.scan.face_session import FACE_FRAMES_REQUIRED

FACE_TIMEOUT_S = 20  # no face seen long enough within this: the check failed
STATE_COLOURS = {"failed": "#e5484d", "seen": "#2EE59D", "passed": "#2EE59D"}


def simulated_camera(spec: str) -> bool:
    """The demo camera films a bill, never a face: the check is simulated with it."""
    return spec.strip().lower().startswith("demo")


class FaceOval(QWidget):
    """The camera's newest frame (whole, centred, mirrored when the payer asked for it), the faces
    found outlined, and an oval guide: white while waiting, green with a face, red once the check failed."""

    def __init__(self):
        super().__init__()
        self.setObjectName("FaceOval")
        self.setMinimumSize(160, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.state = "waiting"  # waiting | seen | passed | failed
        self.image: QImage | None = None
        self.boxes: list[tuple] = []
        self.mirror = False

    def set_state(self, state: str) -> None:
        self.state = state
        self.update()

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def set_boxes(self, boxes: list[tuple]) -> None:
        self.boxes = boxes
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = camera_painter(self)
        w, h = self.width(), self.height()
        if self.image is not None and not self.image.isNull():
            self._paint_frame(p, self.image)
        oval_h = h * 0.8
        oval_w = min(w * 0.6, oval_h * 0.75)
        pen = QPen(QColor(STATE_COLOURS.get(self.state, "#f5f7fa")), 3, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF((w - oval_w) / 2, (h - oval_h) / 2, oval_w, oval_h))
        p.end()

    def _paint_frame(self, p: QPainter, image: QImage) -> None:
        w, h = self.width(), self.height()
        scale = min(w / image.width(), h / image.height())  # the whole frame: the box is never cut off
        p.save()
        if self.mirror:
            p.translate(w, 0)
            p.scale(-1, 1)
        p.translate((w - image.width() * scale) / 2, (h - image.height() * scale) / 2)
        p.scale(scale, scale)
        p.drawImage(0, 0, image)
        pen = QPen(QColor("#2EE59D"))
        pen.setWidthF(4 / scale)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for x, y, bw, bh in self.boxes:
            p.drawRect(QRectF(x, y, bw, bh))
        p.restore()


class FaceCheckScreen(Page):
    """``passed`` once the face check passed (seen by the detector, or simulated success).
    ``mode`` is ``camera`` while the detector watches the camera, ``simulated`` otherwise."""

    passed = Signal()

    def __init__(self, ctx: AppContext, scan_adapter: ScanAdapter | None = None):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.cancel_button = add_cancel(self)
        self.need: AuthNeed | None = None
        self.failed = False
        self.mode = "simulated"
        self.frames_required = FACE_FRAMES_REQUIRED
        self.seen = 0
        self._note: tuple[str, dict] = ("face.simulated", {})
        self._failure = "face.failed"
        card = Card(spacing=6)
        self.why = plain_label("", "section")
        self.why.setObjectName("FaceCheckWhy")
        self.rule = plain_label("", "caption")
        card.body.addWidget(self.why)
        card.body.addWidget(self.rule)
        self.body.addWidget(card)
        self.oval = FaceOval()
        self.body.addWidget(self.oval, 1)
        self.note = plain_label("", "hint")
        self.note.setObjectName("FaceCheckNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.note)
        self.progress = plain_label("", "caption")
        self.progress.setObjectName("FaceCheckProgress")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.progress)
        self.message = plain_label("", "error")
        self.message.setObjectName("FaceCheckMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.message)
        self.simulate_pass = button("", "primary", "SimulatePass")
        self.simulate_fail = button("", "secondary", "SimulateFail")
        self.retry_button = button("", "primary", "FaceRetry")
        self.simulate_pass.clicked.connect(self._pass)
        self.simulate_fail.clicked.connect(self._fail)
        self.retry_button.clicked.connect(self.watch_camera)
        self.bottom.addLayout(button_row(self.simulate_fail, self.simulate_pass))
        single_clicks_only(self, self.simulate_pass, self.simulate_fail)  # a double click on Confirm: not an answer
        # no focus on a simulate button and no default one: an Enter meant for Review (pressed twice,
        # or held) must not answer the check; a button is pressed by a click, or Tab to it and Enter
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.bottom.addLayout(button_row(self.retry_button))
        self.timeout = QTimer(self)
        self.timeout.setSingleShot(True)
        self.timeout.setInterval(FACE_TIMEOUT_S * 1000)
        self.timeout.timeout.connect(self._timed_out)
        self.watch = FaceWatch(scan_adapter, self)
        self.watch.frame.connect(self.oval.set_image)
        self.watch.faces.connect(self._on_faces)
        self.watch.passed.connect(self._seen_long_enough)
        self.watch.failed.connect(self._camera_failed)
        self.watch.finished.connect(self._source_ended)
        self._show_mode()
        self.retranslate()

    def ask(self, need: AuthNeed) -> None:
        """The check this payment needs (``PaymentService.auth_need``), before the screen is shown."""
        self.need = need
        self.retranslate()

    # entering and leaving ------------------------------------------------------------------------
    def on_enter(self) -> None:
        self.oval.mirror = self.ctx.settings.mirror
        if simulated_camera(self.ctx.camera_spec):
            self.simulate("face.simulated")
        elif model_path() is None:
            self.simulate("face.no_detector")
        else:
            self.watch_camera()

    def on_leave(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop watching the camera (leaving the screen, closing the window)."""
        self.timeout.stop()
        self.watch.stop()

    def simulate(self, why: str, **values) -> None:
        """The labelled simulate pair, with the line ``why`` (a catalogue key) saying why it is simulated."""
        self.stop()
        self.mode = "simulated"
        self.failed = False
        self._failure = "face.failed"
        self._note = (why, values)
        self.oval.set_image(None)
        self.oval.set_boxes([])
        self.oval.set_state("waiting")
        self._show_mode()
        self.setFocus()

    def watch_camera(self) -> None:
        """Watch the window's camera for a face (again, after a failure)."""
        self.mode = "camera"
        self.failed = False
        self.seen = 0
        self._note = ("face.look", {})
        self.oval.set_image(None)
        self.oval.set_boxes([])
        self.oval.set_state("waiting")
        self._show_mode()
        self.timeout.start()
        self.watch.start(self.ctx.camera_spec, self.frames_required, self.ctx.settings.frame_size)

    # the camera's answers ------------------------------------------------------------------------
    def _on_faces(self, boxes: list, seen: int) -> None:
        if self.mode != "camera" or self.failed:
            return
        self.seen = seen
        self.oval.set_boxes(boxes)
        self.oval.set_state("seen" if boxes else "waiting")
        self._show_progress()

    def _seen_long_enough(self) -> None:
        if self.mode != "camera" or self.failed:
            return
        self.stop()
        self.oval.set_state("passed")
        self._pass()

    def _timed_out(self) -> None:
        if self.mode == "camera":
            self.watch.stop()
            self._camera_check_failed("face.not_seen")

    def _source_ended(self) -> None:
        if self.mode == "camera" and not self.failed:
            self.timeout.stop()
            self._camera_check_failed("face.not_seen")

    def _camera_failed(self, problem: str) -> None:
        """The camera cannot be used (it does not open, it stopped, the detector cannot load): the
        simulate pair, saying why."""
        if self.mode == "camera":
            self.simulate("face.camera_failed", problem=problem)

    def _camera_check_failed(self, key: str) -> None:
        self.failed = True
        self._failure = key
        self.oval.set_boxes([])
        self.oval.set_state("failed")
        self._show_mode()
        self.retry_button.setFocus()

    # texts ---------------------------------------------------------------------------------------
    def _show_mode(self) -> None:
        simulated = self.mode == "simulated"
        self.simulate_pass.setVisible(simulated)
        self.simulate_fail.setVisible(simulated)
        self.retry_button.setVisible(not simulated and self.failed)
        self.progress.setVisible(not simulated)
        # the simulate pair is never Enter's (see __init__); Thử lại after a failure is
        self._default_button = self.retry_button if not simulated and self.failed else None
        self._show_texts()

    def _show_texts(self) -> None:
        key, values = self._note
        self.note.setText(self.ctx.t(key, **values))
        self._show_progress()
        set_role(self.message, "error")
        self.message.setText(self.ctx.t(self._failure) if self.failed else "")
        self.message.setVisible(self.failed)

    def _show_progress(self) -> None:
        self.progress.setText(self.ctx.t("face.progress", seen=self.seen, required=self.frames_required))

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("face.title"))
        self.cancel_button.setText(t("common.cancel"))
        policy = AuthPolicy.bundled()
        need = self.need
        if need is not None and need.reason == "acquirer":  # the bank counted other devices' payments
            self.why.setText(t("face.why_acquirer", limit=format_vnd(policy.biometric_above_day_total)))
        elif need is not None and need.reason == "day-total":
            self.why.setText(t("face.why_day", day_total=format_vnd(need.day_total),
                               limit=format_vnd(policy.biometric_above_day_total)))
        else:
            total = format_vnd(need.total) if need is not None else ""
            self.why.setText(t("face.why_one", total=total, limit=format_vnd(policy.biometric_above_one_payment)))
        self.rule.setText(t("face.rule"))
        self.simulate_pass.setText(t("face.simulate_pass"))
        self.simulate_fail.setText(t("face.simulate_fail"))
        self.retry_button.setText(t("face.retry"))
        self._show_texts()

    # simulated outcomes --------------------------------------------------------------------------
    def _pass(self) -> None:
        self.failed = False
        self._show_texts()
        self.passed.emit()

    def _fail(self) -> None:
        self.failed = True
        self._failure = "face.failed"
        self.oval.set_state("failed")
        self._show_texts()

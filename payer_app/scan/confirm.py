"""``Confirmer``: accept a payload only after several consecutive frames showed it (pure, no threads)."""

from __future__ import annotations

from collections.abc import Sequence

from payer_app.scan.decoders import Detection


class Confirmer:
    """Accept a payload once it has been seen in ``frames_required`` consecutive frames, and not
    again within ``hold_off_ms`` of its last acceptance. Pure: feed it detections and frame times.

    A frame that does not show a payload resets that payload's streak. Several different payloads
    in the same frames are confirmed independently (all are reported; none is picked silently)."""

    def __init__(self, frames_required: int = 2, hold_off_ms: float = 3000.0):
        if frames_required < 1:
            raise ValueError("frames_required must be at least 1")
        self.frames_required = frames_required
        self.hold_off_ms = hold_off_ms
        self._streak: dict[str, int] = {}
        self._accepted_at: dict[str, float] = {}

    def feed(self, detections: Sequence[Detection], t_ms: float) -> list[Detection]:
        """Detections of one frame (in order) -> the ones accepted on this frame."""
        seen: dict[str, list[Detection]] = {}
        for d in detections:
            seen.setdefault(d.text, []).append(d)
        self._streak = {text: self._streak.get(text, 0) + 1 for text in seen}
        accepted: list[Detection] = []
        for text, items in seen.items():
            if self._streak[text] < self.frames_required:
                continue
            last = self._accepted_at.get(text)
            if last is not None and t_ms - last < self.hold_off_ms - 1e-6:  # float frame times
                continue
            self._accepted_at[text] = t_ms
            accepted.extend(items)  # the same payload printed twice in view: both positions
        return accepted

    def reset(self) -> None:
        self._streak.clear()
        self._accepted_at.clear()

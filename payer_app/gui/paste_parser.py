"""Pasted text: refused above the QR capacity before any work, parsed on a worker thread otherwise.

A clipboard can hold megabytes; a QR code holds at most ``payload.MAX_INPUT_CHARS`` characters. The
length check costs nothing, so it runs first, on the GUI thread, and a refusal is immediate. Text that
passes is parsed by ``parse_payload`` on a daemon thread; the result comes back by a queued signal,
so the window keeps painting while a worst-case payload is tokenised.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from payer_app.core.payload import MAX_INPUT_CHARS, parse_payload


class PasteParser(QObject):
    """``parse(text, tag)`` -> ``parsed(tag, ParsedPayload)`` later, or False at once when too long.

    Only the newest request is answered: a result for an older ``parse`` call is dropped.
    """

    parsed = Signal(object, object)
    _done = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._done.connect(self._deliver)

    @staticmethod
    def too_long(text: str) -> bool:
        return len(text) > MAX_INPUT_CHARS

    def parse(self, text: str, tag: object = None) -> bool:
        """Start parsing ``text``; False (and nothing emitted) when it is longer than a QR can hold."""
        if self.too_long(text):
            return False
        self._generation += 1
        generation = self._generation

        def work() -> None:
            self._done.emit(generation, tag, parse_payload(text))

        threading.Thread(target=work, daemon=True, name="paste-parse").start()
        return True

    def cancel(self) -> None:
        """Forget any parse in flight (its result will not be emitted)."""
        self._generation += 1

    def _deliver(self, generation: int, tag: object, parsed: object) -> None:
        if generation == self._generation:
            self.parsed.emit(tag, parsed)

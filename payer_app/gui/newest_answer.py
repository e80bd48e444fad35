"""Run a lookup off the GUI thread and hand back only the newest answer, by signal.

``NewestAnswer.ask(tag, work)`` runs ``work()`` on a daemon thread; ``answered(tag, result)`` is then
emitted on the GUI thread (a queued signal) unless a newer ``ask`` or a ``cancel()`` came meanwhile:
an answer to an older question is dropped, so a slow lookup can never overwrite a newer one. The
work must not raise (wrap what can fail and return what the screen should show).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal


class NewestAnswer(QObject):
    answered = Signal(object, object)  # tag, result
    _done = Signal(int, object, object)  # generation, tag, result (from the worker thread)

    def __init__(self, thread_name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.thread_name = thread_name
        self._generation = 0
        self._done.connect(self._deliver)

    def ask(self, tag: object, work) -> None:
        """Answer ``(tag, work())`` later, if nothing newer is asked first."""
        self._generation += 1
        generation = self._generation

        def run() -> None:
            result = work()
            try:
                self._done.emit(generation, tag, result)
            except RuntimeError:  # the window (and this object) is gone
                pass

        threading.Thread(target=run, daemon=True, name=self.thread_name).start()

    def cancel(self) -> None:
        """Forget the question in flight: its answer will not be emitted."""
        self._generation += 1

    def _deliver(self, generation: int, tag: object, result: object) -> None:
        if generation == self._generation:
            self.answered.emit(tag, result)

"""A lookup off the GUI thread answers by signal, and an older question's answer never arrives."""

from __future__ import annotations

import threading

from payer_app.gui.newest_answer import NewestAnswer


def test_an_answer_comes_back_by_signal_with_its_tag(qtbot):
    lookup = NewestAnswer("test-lookup")
    with qtbot.waitSignal(lookup.answered, timeout=30_000) as got:
        lookup.ask("tag", lambda: threading.current_thread().name)
    assert got.args == ["tag", "test-lookup"]  # the work ran on the named worker thread


def test_an_older_answer_that_comes_late_is_dropped(qtbot):
    lookup = NewestAnswer("test-lookup")
    answers = []
    lookup.answered.connect(lambda tag, result: answers.append((tag, result)))
    old_may_finish = threading.Event()
    lookup.ask("old", lambda: old_may_finish.wait(10) and "old answer")
    with qtbot.waitSignal(lookup.answered, timeout=30_000):
        lookup.ask("new", lambda: "new answer")
    with qtbot.waitSignal(lookup._done, timeout=30_000):  # the old answer reaches the GUI thread...
        old_may_finish.set()
    assert answers == [("new", "new answer")]  # ...and is not passed on


def test_a_cancelled_question_is_not_answered(qtbot):
    lookup = NewestAnswer("test-lookup")
    may_finish = threading.Event()
    lookup.ask("q", lambda: may_finish.wait(10))
    lookup.cancel()
    with qtbot.assertNotEmitted(lookup.answered), qtbot.waitSignal(lookup._done, timeout=30_000):
        may_finish.set()

"""Several fuzz cases in one hypothesis example, for fuzzers whose case costs less than hypothesis.

Hypothesis spends about half a millisecond of its own on every example (choosing, recording and
replaying its choices, seeding and restoring the random generators), whatever is drawn: a property
whose case is one cheap ``parse_payload`` call pays more for the engine than for the product.
``batches(strategy, size)`` draws ``size`` independent values of ``strategy`` in one example, so a
run of ``max_examples=N // size`` still tries N cases at a fraction of the engine's cost. A failing
batch shrinks like any list: the case that fails shrinks to its simplest form and the others to the
strategy's simplest value, so the report still names the one case that fails.
"""

from __future__ import annotations

from hypothesis import strategies as st

BATCH = 10  # cases per example: the engine's cost per case falls 3.5-5 times (20 gains little more)


def batches(strategy: st.SearchStrategy, size: int = BATCH) -> st.SearchStrategy:
    """Lists of exactly ``size`` values drawn from ``strategy``, each drawn independently."""
    return st.lists(strategy, min_size=size, max_size=size)

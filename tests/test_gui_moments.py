"""The window shows stored UTC stamps in local time, and an unreadable stamp as it came."""

from __future__ import annotations

from datetime import UTC, datetime

from payer_app.gui.moments import list_time, local_moment, receipt_time

STAMP = "2026-11-26T07:03:27Z"
MOMENT = datetime(2026, 11, 26, 7, 3, 27, tzinfo=UTC)


def test_a_utc_stamp_is_shown_in_local_time():
    assert local_moment(STAMP) == MOMENT
    assert receipt_time(STAMP) == MOMENT.astimezone().strftime("%H:%M:%S %d/%m/%Y")
    assert list_time(STAMP) == MOMENT.astimezone().strftime("%d/%m %H:%M")


def test_an_unreadable_stamp_is_shown_as_it_came():
    assert local_moment("yesterday-ish") is None
    assert receipt_time("yesterday-ish") == "yesterday-ish"
    assert list_time("not a time at all, and long") == "not a time at al"

"""``core/timestamps.py`` reads and writes its one timestamp form by position, without ``strptime``
or ``strftime`` (they were a tenth of a payment's verification): the answers are the ones the
library functions gave, for every string of the form's shape and every moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from payer_app.core.timestamps import TIMESTAMP_FORMAT, format_timestamp, parse_canonical_timestamp


def _by_the_library(text: str) -> datetime | None:
    """The reading before: strptime, then the round trip through strftime."""
    try:
        moment = datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment if moment.strftime(TIMESTAMP_FORMAT) == text else None


def _digits(n: int):
    return st.text("0123456789", min_size=n, max_size=n)


shaped = st.builds(lambda y, mo, d, h, mi, s: f"{y}-{mo}-{d}T{h}:{mi}:{s}Z",
                   _digits(4), _digits(2), _digits(2), _digits(2), _digits(2), _digits(2))


@given(shaped)
def test_reading_by_position_agrees_with_strptime(text):
    expected = _by_the_library(text)
    try:
        found = parse_canonical_timestamp(text)
    except ValueError:
        found = None
    assert found == expected


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_writing_by_position_agrees_with_strftime(moment, offset_minutes):
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert format_timestamp(aware) == aware.astimezone(UTC).replace(microsecond=0).strftime(TIMESTAMP_FORMAT)


def test_the_edges_of_the_form():
    assert parse_canonical_timestamp("2024-02-29T23:59:59Z") == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    for text in ("2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:59:60Z", "0999-01-01T00:00:00Z",
                 "0000-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", "2026-1-01T00:00:00Z"):
        assert _by_the_library(text) is None
        try:
            parse_canonical_timestamp(text)
        except ValueError:
            continue
        raise AssertionError(f"{text} was read")

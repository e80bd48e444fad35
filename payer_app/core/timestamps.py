"""The one timestamp form of requests, keys and signed messages: RFC 3339 in UTC with a ``Z`` and
whole seconds (``2026-01-31T08:00:00Z``). ``format_timestamp`` writes it; ``parse_canonical_timestamp``
reads exactly that form and nothing else; ``parse_timestamp`` reads any RFC 3339 offset (lenient)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from payer_app.core.display_text import quoted

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_CANONICAL_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a 'Z' and whole seconds: ``2026-01-31T08:00:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # the C library's own form of a short year (no padding), as before
        return utc.replace(microsecond=0).strftime(TIMESTAMP_FORMAT)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
            f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z")


def parse_canonical_timestamp(text: object) -> datetime:
    """Read a timestamp in exactly the form ``format_timestamp`` writes; ValueError for anything else
    (offsets, fractions, lower-case letters, a leap second, 2026-02-30, a year before 1000...). The
    pattern fixes every character's place, so the fields are read by position (no ``strptime``)."""
    if not isinstance(text, str) or not _CANONICAL_TIMESTAMP.fullmatch(text):
        raise ValueError(f"{quoted(text, 40)} is not a UTC timestamp of the form 2026-01-31T08:00:00Z")
    year = int(text[0:4])
    try:
        moment = datetime(year, int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                          int(text[17:19]), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{quoted(text, 40)} is not a real date and time") from None
    if year < 1000:  # format_timestamp does not write it this way
        raise ValueError(f"{quoted(text, 40)} is not canonical")
    return moment


def parse_timestamp(text: str) -> datetime:
    """Read an RFC 3339 timestamp (any offset), as UTC; raises ValueError when it is not one."""
    if not isinstance(text, str) or len(text) < 20 or text[10] not in "Tt":
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    normalised = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    moment = datetime.fromisoformat(normalised)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment.astimezone(UTC)

"""Pure-Python core: payload parsing and building, bank directory, amounts.

Nothing in this package imports Qt or OpenCV.
"""

from payer_app.core.payload import Field, Finding, ParsedPayload, parse_payload

__all__ = ["Field", "Finding", "ParsedPayload", "parse_payload"]

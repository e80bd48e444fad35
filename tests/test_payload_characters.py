"""A field's value with a C0 control, DEL or a C1 control is an error naming the first one; the
characters around those ranges are not controls."""

from __future__ import annotations

import pytest

from payer_app.core.builder import vnpay_payload
from payer_app.core.payload import parse_payload


def _control_findings(name: str) -> list[str]:
    found = parse_payload(vnpay_payload("MC1", name, "Ha Noi")).findings
    return [f.message for f in found if f.code == "control-character"]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1f", "\x7f", "\x85", "\x9f"])
def test_each_control_is_named(char):
    assert _control_findings(f"CUA{char}HANG{chr(1)}") == [
        f"Field 59 contains a control character (U+{ord(char):04X})."]


@pytest.mark.parametrize("char", [" ", "~", "\xa0"])
def test_neighbours_of_the_ranges_are_not_controls(char):
    assert _control_findings(f"CUA{char}HANG") == []

"""EVN (Vietnam Electricity) customer codes: two letters naming the power corporation + 11 characters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

CUSTOMER_CODE_RE = re.compile(r"^(P[A-E])[A-Z0-9]{11}$")


@dataclass(frozen=True)
class PowerCorporation:
    """One of EVN's five power corporations, named by the first two letters of its customer codes."""

    prefix: str
    short_name: str
    name_en: str
    name_vi: str


CORPORATIONS: dict[str, PowerCorporation] = {
    c.prefix: c
    for c in (
        PowerCorporation("PA", "EVNNPC", "Northern Power Corporation", "Tổng công ty Điện lực miền Bắc"),
        PowerCorporation("PB", "EVNSPC", "Southern Power Corporation", "Tổng công ty Điện lực miền Nam"),
        PowerCorporation("PC", "EVNCPC", "Central Power Corporation", "Tổng công ty Điện lực miền Trung"),
        PowerCorporation("PD", "EVNHANOI", "Hanoi Power Corporation", "Tổng công ty Điện lực TP Hà Nội"),
        PowerCorporation("PE", "EVNHCMC", "Ho Chi Minh City Power Corporation", "Tổng công ty Điện lực TP Hồ Chí Minh"),
    )
}


def is_customer_code(text: str | None) -> TypeGuard[str]:
    return text is not None and CUSTOMER_CODE_RE.match(text) is not None


def corporation_for(code: str | None) -> PowerCorporation | None:
    """The power corporation of a valid customer code, else None."""
    if code is None or not is_customer_code(code):
        return None
    return CORPORATIONS[code[:2]]

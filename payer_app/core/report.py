"""Plain-text report of a parsed payload (used by ``payer-app parse`` and ``payer-app scan``).

Every line goes through ``display_text.visible`` before it is returned: field values, merchant
names and finding messages quote QR text, and QR text may hold terminal escapes (ESC ``[32m``),
bidi overrides or other controls. None of them reaches the terminal raw.
"""

from __future__ import annotations

from payer_app.core.amounts import format_vnd, group_thousands
from payer_app.core.display_text import visible
from payer_app.core.fees import TIP_PROMPT, fee_for
from payer_app.core.payload import VND_NUMERIC, ParsedPayload
from payer_app.core.payload_fields import Field


def _tree_lines(fields: list[Field], depth: int = 0) -> list[str]:
    lines = []
    for f in fields:
        indent = "  " * depth
        label = f"{indent}{f.id} {f.name}"
        if f.children:
            lines.append(f"{label:<52} @{f.offset:<4} len {len(f.value)}")
            lines.extend(_tree_lines(f.children, depth + 1))
        else:
            lines.append(f"{label:<52} @{f.offset:<4} {f.value!r}")
    return lines


def _line(label: str, value: object) -> str | None:
    return None if value in (None, "") else f"  {label:<20} {value}"


def _total(parsed: ParsedPayload) -> str | None:
    """Amount + fee = total, for a QR whose amount and fee are both known (a tip is the payer's)."""
    if parsed.fee is None or parsed.amount is None or parsed.fee.kind == TIP_PROMPT:
        return None
    fee = fee_for(parsed.fee, parsed.amount)
    return f"{group_thousands(parsed.amount)} + {group_thousands(fee)} = {format_vnd(parsed.amount + fee)}"


def format_report(parsed: ParsedPayload, lang: str = "en") -> str:
    size = f"more than {len(parsed.raw)}" if parsed.input_too_long else str(len(parsed.raw))
    out = [f"Payload ({size} characters, profile {parsed.profile}): " + ("VALID" if parsed.valid else "INVALID")]
    if parsed.fields:
        out += ["", "Fields:"] + ["  " + line for line in _tree_lines(parsed.fields)]
    m, a, b = parsed.merchant, parsed.account, parsed.bill
    amount = None
    if parsed.amount is not None:
        amount = format_vnd(parsed.amount) if parsed.currency == VND_NUMERIC else str(parsed.amount)
    elif parsed.initiation == "static":
        amount = "(none: static QR, the payer enters it)"
    bank = None
    if a.bank_bin:
        bank = (
            f"{a.bank_bin} {a.bank_short_name or ''} {('- ' + a.bank_name) if a.bank_name else '(unknown BIN)'}".strip()
        )
    evn_line = None
    if b.evn_customer_code:
        corp = b.evn_corporation_name_vi if lang == "vi" else b.evn_corporation_name
        evn_line = f"{b.evn_customer_code} ({b.evn_corporation}, {corp})"
    derived = [
        _line("Scheme", parsed.scheme_label),
        _line("Initiation", parsed.initiation),
        _line("Amount", amount),
        _line("Fee or tip", parsed.fee and parsed.fee.describe()),
        _line("Total", _total(parsed)),
        _line("Currency", f"{parsed.currency} ({parsed.currency_alpha})" if parsed.currency_alpha else parsed.currency),
        _line("Merchant", m.name),
        _line("City", m.city),
        _line("MCC", m.mcc),
        _line("Country", m.country),
        _line("Account template", a.tag and f"{a.tag} (GUID {a.guid})"),
        _line("Bank", bank),
        _line("Account / merchant", a.id),
        _line("Service", a.service and f"{a.service} ({a.service_name or 'unknown'})"),
        _line("Bill number", b.bill_number),
        _line("Mobile", b.mobile),
        _line("Store label", b.store_label),
        _line("Loyalty number", b.loyalty),
        _line("Reference label", b.reference_label),
        _line("Customer label", b.customer_label),
        _line("Terminal label", b.terminal_label),
        _line("Purpose", b.purpose),
        _line("EVN customer", evn_line),
        _line("CRC", parsed.crc.found and (
            f"{parsed.crc.found} " + ("ok" if parsed.crc.ok else f"WRONG (computed {parsed.crc.computed})"))),
    ]
    present = [d for d in derived if d]
    if present:
        out += ["", "Derived:"] + present
    out += ["", "Findings:" if parsed.findings else "Findings: none"]
    for f in parsed.findings:
        where = " ".join(x for x in (f.path and f"[{f.path}]", f.offset is not None and f"@{f.offset}" or "") if x)
        msg = f.message_vi if lang == "vi" else f.message
        out.append(f"  {f.severity.upper():<7} {f.code:<22} {where:<14} {msg}")
    return "\n".join(visible(line) for line in out)

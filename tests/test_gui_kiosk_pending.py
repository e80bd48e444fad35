"""A kiosk tells the truth about a payment without an answer, and about what it writes to the data
folder (docs/window.md, kiosk mode). Real kiosk window (offscreen), real payment service, a real
port where no acquirer answers."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.payment_runner import RESEND_SECONDS
from tests.gui_helpers import click, pay_typing_the_pin, tr

ROOT = Path(__file__).resolve().parents[1]
EVN_CODE = "PE09000123456"


def _down_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_kiosk_without_history_says_it_sends_a_pending_payment_again_by_itself(qtbot, kiosk):
    """The promise is kept (tests/test_gui_kiosk_resend.py): the kiosk sends it again on its own."""
    window = kiosk(acquirer_url=_down_url(), kiosk_result_seconds=30)
    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    assert outcome.status == "pending"
    assert not window.home.history_button.isVisibleTo(window)  # the visitor has nothing to do
    assert window.result.rows["message"].value.text() == tr("result.pending_reason_kiosk")
    assert window.kiosk.resender.timer.isActive()
    window.set_language("en")
    assert window.result.rows["message"].value.text() == tr("result.pending_reason_kiosk", "en")
    assert window.result.status_line.text() == tr("result.resending", "en", seconds=RESEND_SECONDS)


def test_a_kiosk_that_keeps_history_sends_it_again_by_itself_and_history_can_too(qtbot, kiosk):
    window = kiosk(acquirer_url=_down_url(), kiosk_result_seconds=30, kiosk_keep_history=True)
    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    assert outcome.status == "pending"
    assert window.result.rows["message"].value.text() == tr("result.pending_reason_kiosk")
    assert window.kiosk.resender.timer.isActive()
    click(qtbot, window.result.new_button)
    click(qtbot, window.home.history_button)
    assert window.history.retry_button.isVisibleTo(window)  # the operator can send it at once


def _documented_kiosk_files() -> set[str]:
    """The names docs/window.md lists under "What a kiosk writes"."""
    page = (ROOT / "docs" / "window.md").read_text(encoding="utf-8")
    found = re.search(r"^- \*\*What a kiosk writes\*\*(.*?)(?=^- |^#|\Z)", page, re.S | re.M)
    assert found, "docs/window.md has no 'What a kiosk writes' item"
    return set(re.findall(r"`([\w.-]+/?)`", found.group(1)))


def _written(home: Path) -> set[str]:
    """Top-level names in the data folder (SQLite's -wal and -shm beside their database left out)."""
    return {p.name + ("/" if p.is_dir() else "") for p in home.iterdir() if not p.name.endswith(("-wal", "-shm"))}


def test_what_a_kiosk_writes_to_the_data_folder_is_what_the_docs_list(qtbot, kiosk, payer_home):
    """A visitor pays (built-in acquirer) and taps both save buttons; then, with Kiosk: keep history
    on, another visitor pays: every name written is one docs/window.md lists, and every listed name
    was written."""
    documented = _documented_kiosk_files()
    window = kiosk(kiosk_result_seconds=30)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.save_button)
    click(qtbot, window.result.image_button)
    without_history = _written(payer_home)
    assert "history.sqlite3" not in without_history
    assert without_history <= documented, without_history - documented
    window.close()
    window = kiosk(kiosk_result_seconds=30, kiosk_keep_history=True)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    assert _written(payer_home) == documented

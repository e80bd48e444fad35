"""The merchant display and the acquirer's console tell the truth: a lost connection covers the page
(real headless Chromium), an open display stream ends cleanly when the acquirer is stopped, each
decision is one line on the acquirer's console, and an acquirer that cannot be reached is said in
words with what to do (never a bare ``[Errno 111]``). How soon a stream ends is measured by
bench/display_stop_bench.py, not asserted here."""

from __future__ import annotations

import re
import threading

import pytest

from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient
from tests.acquirer_helpers import ServedAcquirer, enrol, new_payer, post, start_server, token_for
from tests.cli_in_process import run
from tests.display_stream import StreamReader
from tests.e2e.acquirer import (
    CHROMEDRIVER,
    CHROMIUM,
    body_data,
    free_port,
    make_browser,
    open_display,
    wait_until,
)
from tests.restarted_acquirer import RestartedAcquirer

CEILING_S = 60.0  # only a hung stream or process fails; how soon is bench/display_stop_bench.py's
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


# --- one console line per decision --------------------------------------------------------------
def test_each_decision_is_one_line_on_the_acquirer_console(tmp_path):
    served = ServedAcquirer(tmp_path)
    try:
        payer = new_payer()
        assert enrol(served.url, payer).status_code == 201  # a code issued for its account
        assert post(served.url, token_for(payer, served.url, 250_000)).status_code == 201
        approved = served.next_line()
        assert post(served.url, "not.a.token").status_code == 400
        refused = served.next_line()
    finally:
        served.stop()
    assert re.fullmatch(rf"{STAMP}  250\.000 ₫  to EVN CONG TY DIEN LUC THANH XUAN  approved \(201\)\n", approved)
    assert re.fullmatch(rf"{STAMP}  refused \(400 [a-z-]+\)\n", refused), refused


# --- an open stream ends when the acquirer stops -------------------------------------------------
def test_stopping_the_acquirer_server_ends_an_open_display_stream_cleanly(tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    reader = StreamReader(server.url)
    reader.start()
    assert reader.opened.wait(CEILING_S) and not reader.ended.is_set(), reader.how
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    assert reader.ended.wait(CEILING_S), "the display stream did not end"
    stopper.join(CEILING_S)
    assert not stopper.is_alive(), "stop() did not return"
    assert reader.how == "clean", reader.how  # ended by the server, not cut off by its shutdown timeout


def test_a_stream_opened_while_the_server_stops_ends_after_its_snapshot(tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        server.server.config.app.state.acquirer.display_hub.end_streams()
        reader = StreamReader(server.url)
        reader.start()
        assert reader.ended.wait(CEILING_S) and reader.how == "clean", reader.how
    finally:
        server.stop()


# --- connection errors in words ----------------------------------------------------------------
def test_an_unreachable_acquirer_is_said_in_words_with_a_hint(capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(AcquirerUnavailable) as caught:
        HttpAcquirerClient(url).key_status("x")
    said = str(caught.value)
    assert "Errno" not in said and "nothing answers there" in said and "payer-app acquirer serve" in said, said

    # the command, in this process (tests/test_cli_conventions.py runs it as a process: exit 3)
    code, _, err = run(capsys, "keys", "status", "--acquirer", url)
    assert code == 3, err
    assert "Errno" not in err and "nothing answers there" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


# --- the page: a lost connection covers it -------------------------------------------------------
COVERS = """
const overlay = document.getElementById('offline');
if (!overlay) return 'no overlay';
const box = overlay.getBoundingClientRect();
const hit = document.elementFromPoint(innerWidth / 2, innerHeight / 2);
return [getComputedStyle(overlay).display !== 'none', box.width >= innerWidth * 0.99,
        box.height >= innerHeight * 0.99, Boolean(hit && hit.closest('#offline'))];
"""


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver")
def test_a_lost_connection_is_shown_across_the_whole_page(tmp_path):
    pytest.importorskip("selenium.webdriver")
    acquirer = RestartedAcquirer(tmp_path / "ledger.sqlite3").start()  # in process, stopped and started again
    driver = make_browser(1366, 800)
    try:
        open_display(driver, acquirer.url)
        assert driver.execute_script(COVERS) == [False, False, False, False]  # live: nothing in front
        acquirer.stop()
        wait_until(driver, lambda: body_data(driver, "connection") == "lost", "the page did not notice")
        assert driver.execute_script(COVERS) == [True, True, True, True], "the lost connection does not cover the page"
        assert "Mất kết nối" in driver.execute_script("return document.getElementById('offline').textContent")
        acquirer.start()
        wait_until(driver, lambda: body_data(driver, "connection") == "live", "the page did not reconnect")
        assert driver.execute_script(COVERS) == [False, False, False, False]
    finally:
        driver.quit()
        acquirer.stop()


def test_the_window_says_in_words_that_the_acquirer_cannot_be_reached(window, qtbot):
    from payer_app.gui.startup_enrolment import StartupEnrolment
    from tests.gui_helpers import tr

    enrolment = StartupEnrolment(window, f"http://127.0.0.1:{free_port()}", "ABCD-EFGH-JKLM-NPQR")
    with qtbot.waitSignal(enrolment.runner.failed, timeout=int(CEILING_S * 1000)) as failed:
        enrolment.start()
    refusal = failed.args[0]
    assert refusal.code == "acquirer-unavailable" and "Errno" not in refusal.text("en")
    # the window's own slot ran first (connected first): its notice is up, in the window's words
    assert window.toast.isVisible() and window.toast.text() == tr("settings.enrol_error.acquirer-unavailable")

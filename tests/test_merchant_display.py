"""The merchant display in real headless Chromium (Debian's chromium + chromium-driver, Selenium) on
127.0.0.1: payments made by `payer-app pay --acquirer URL` (a real process, then the same command in
the test's process; signed in the test where the page, not the command, is the point) against a real
`payer-app acquirer serve` process appear (how soon: bench/merchant_display_bench.py, which measures
the one-second promise on the page); the page recovers after that process restarts on the same port,
and the newest approval it missed while an acquirer (in process, restarted on its port and ledger)
was away is announced whether the payment or the reconnect comes first (the reconnect held with Chromium's
request blocking, not raced); a snapshot's event is the live event; approvals are spoken (a
Vietnamese WAV from espeak-ng, checked with `wave`) or, without speech, chimed with a banner;
declined and duplicate requests are shown apart; hostile payee text stays text. Screenshots are
taken every run; with PAYER_APP_UPDATE_SCREENSHOTS=1 (`make screenshots`) they are copied to
docs/screenshots/ (merchant_display.png, merchant_display_phone.png)."""

from __future__ import annotations

import asyncio
import io
import shutil
import sqlite3
import threading
import wave
from pathlib import Path

import httpx
import pytest

from payer_app.core.amount_words import amount_in_words
from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.fees import FIXED_FEE, TIP_PROMPT, FeeRule
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.enrolment import normalise_audience
from payer_app.payments.merchant_display import CounterStore, DisplayHub
from payer_app.payments.speech import Speaker, announcement
from payer_app.studio.fee_qr import with_fee
from tests.acquirer_helpers import CODE as ENROL_CODE
from tests.acquirer_helpers import LedgerServer, account_code, http_get, new_payer, post, token_for
from tests.cli_in_process import run
from tests.display_stream import event_data
from tests.e2e.acquirer import (
    CHROMEDRIVER,
    CHROMIUM,
    AcquirerProcess,
    body_data,
    make_browser,
    open_display,
    payer_cli,
    text_of,
    wait_until,
)
from tests.e2e.window import publish
from tests.restarted_acquirer import RestartedAcquirer

pytest.importorskip("selenium.webdriver")
ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
CUSTOMER = "PD13000123456"
PAYEE = "EVN CONG TY DIEN LUC THANH XUAN"


# --- a real acquirer process and real payer processes ------------------------------------------
@pytest.fixture
def acquirer(tmp_path):
    process = AcquirerProcess(tmp_path).start()
    yield process
    process.stop()


@pytest.fixture
def enrolled_home(payer_home, acquirer, capsys):
    """The test's payer data folder (``payer_home`` of tests/conftest.py, ``PAYER_APP_HOME`` set to it)
    with its key enrolled at ``acquirer`` by ``payer-app keys enrol``, run in this process with a code
    the operator issued for the demo payer's account (the command as a process: tests/test_account_activation.py)."""
    code, _, err = run(capsys, "keys", "enrol", "--acquirer", acquirer.url, "--code", account_code(acquirer.url))
    assert code == 0, err
    return payer_home


def pay(url: str, payer, amount: int) -> None:
    """An approved payment of ``amount`` signed here (the walk through `payer-app pay` processes is
    ``test_a_payment_appears_and_is_spoken``)."""
    answer = post(url, token_for(payer, url, amount=amount, payload=evn_bill_payload(CUSTOMER)), timeout=60)
    assert answer.status_code == 201, answer.text


def pay_cli(home: Path, url: str, amount: int, out: Path) -> None:
    """`payer-app pay` as a process, approved, its signed request written to ``out``."""
    done = payer_cli(home, "pay", evn_bill_payload(CUSTOMER), "--amount", str(amount), "--acquirer", url,
                     "-o", str(out))
    assert done.returncode == 0, done.stderr


@pytest.fixture
def restarted(tmp_path):
    acquirer = RestartedAcquirer(tmp_path / "restarted.sqlite3").start()
    yield acquirer
    acquirer.stop()


# --- the browser (headless) -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the file (starting one costs more than most tests here); each test
    gets it back reset by ``browser``."""
    driver = make_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium):
    yield chromium
    reset_browser(chromium)


def reset_browser(driver) -> None:
    """What a test may leave in the browser, undone: a blocked URL (``HeldReconnect``), a viewport size
    (``viewport``), the page and its event stream, and the storage of its origin (the sound choice is
    kept there; a later server can get the same port, hence the same origin)."""
    origin = driver.execute_script("return location.origin")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    driver.execute_cdp_cmd("Network.disable", {})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get("about:blank")
    if origin.startswith("http"):
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    assert len(driver.window_handles) == 1


def shows_amount(driver, amount: str, timeout: float | None = None) -> None:
    """Until the display's latest payment is ``amount``."""
    kwargs = {} if timeout is None else {"timeout": timeout}
    wait_until(driver, lambda: latest_amount(driver) == amount,
               f"the display shows {latest_amount(driver)!r}, not {amount}", **kwargs)


def latest_amount(driver) -> str:
    return text_of(driver, "latest-amount")


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    """Take a screenshot; copy it to docs/screenshots/ when asked to (make screenshots)."""
    shot = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    publish(tmp_path, [name])
    return shot


# --- tests -------------------------------------------------------------------------------------
def test_a_payment_appears_and_is_spoken(acquirer, enrolled_home, browser, tmp_path, capsys):
    """How soon it appears is measured by bench/merchant_display_bench.py (target: within 1 s)."""
    open_display(browser, acquirer.url)
    assert latest_amount(browser) == "—" and text_of(browser, "total-amount") == "0"

    pay_cli(enrolled_home, acquirer.url, 250_000, out=tmp_path / "first.jws")
    shows_amount(browser, "250.000")
    assert text_of(browser, "latest-payee") == PAYEE
    assert text_of(browser, "latest-customer") == CUSTOMER
    assert text_of(browser, "latest-words") == amount_in_words(250_000)  # core's words (tests/test_amount_words.py)
    assert text_of(browser, "total-amount") == "250.000" and text_of(browser, "total-count") == "1"
    assert text_of(browser, "latest-reference").startswith("ACQ-")

    if ESPEAK:
        src = browser.execute_script("return document.getElementById('voice').src")
        assert src == f"{acquirer.url}/display/audio/250000.wav"
        wait_until(browser, lambda: body_data(browser, "sound") == "on", "the WAV did not play")
        assert body_data(browser, "lastSound") == "voice"
        data = http_get(src, timeout=10).content
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, channels, seconds = wav.getframerate(), wav.getnchannels(), wav.getnframes() / wav.getframerate()
        assert (rate, channels) == (22050, 1)
        assert 1.0 < seconds < 6.0  # "Đã nhận hai trăm năm mươi nghìn đồng" takes about two seconds
        assert browser.execute_script("return document.getElementById('voice').duration") == pytest.approx(
            seconds, abs=0.05
        )
        assert browser.find_element("id", "banner").get_attribute("hidden") is not None  # no fallback banner
    else:
        assert body_data(browser, "lastSound") == "chime"

    # a second payment: it leads, the first moves down the list, the total adds up
    code, _, err = run(capsys, "pay", evn_bill_payload(CUSTOMER), "--amount", "1257617", "--acquirer", acquirer.url)
    assert code == 0, err  # the same command, in this process
    shows_amount(browser, "1.257.617")
    assert text_of(browser, "total-amount") == "1.507.617" and text_of(browser, "total-count") == "2"
    rows = browser.find_elements("css selector", "#recent-list .row")
    assert [r.find_element("css selector", ".row-amount").text for r in rows] == ["1.257.617 ₫", "250.000 ₫"]

    # the same signed request again: a duplicate, shown apart, not added to the total
    assert post(acquirer.url, (tmp_path / "first.jws").read_text().strip()).status_code == 409
    wait_until(browser, lambda: browser.find_elements("css selector", "#apart-list .row[data-kind='duplicate']"),
               "the duplicate is not shown apart")
    assert text_of(browser, "total-amount") == "1.507.617"
    # a refused request is counted apart too, with nothing of it shown
    assert post(acquirer.url, "not.a.token").status_code == 400
    wait_until(browser, lambda: text_of(browser, "refused-count") == "1", "the refused request is not counted")

    screenshot(browser, tmp_path, "merchant_display")


def test_the_page_recovers_after_the_acquirer_restarts(acquirer, browser):
    payer = new_payer(acquirer.url)
    open_display(browser, acquirer.url)
    pay(acquirer.url, payer, 120_000)
    shows_amount(browser, "120.000")

    acquirer.stop()
    assert f"Merchant display: {acquirer.url}/display (approvals " in acquirer.log  # told at start
    assert "ERROR" not in acquirer.log and "Traceback" not in acquirer.log  # the open stream ended cleanly
    wait_until(browser, lambda: body_data(browser, "connection") == "lost", "the page did not notice")
    acquirer.start()  # same port, same ledger
    wait_until(browser, lambda: body_data(browser, "connection") == "live", "the page did not reconnect")
    # the snapshot after reconnecting is whole: today's total comes from the ledger
    assert text_of(browser, "total-amount") == "120.000"
    pay(acquirer.url, payer, 75_000)
    shows_amount(browser, "75.000")
    assert text_of(browser, "total-amount") == "195.000"


class HeldReconnect:
    """Keeps the page from reaching ``/display/events`` until released (Chromium's own request
    blocking, through the DevTools protocol), so a test decides whether the page or a payment comes
    back first instead of racing them. Held, the page keeps trying (EventSource, or its own reopen)."""

    def __init__(self, driver):
        self.driver = driver
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/display/events*"]})

    def release(self) -> None:
        self.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})


def voice_src(driver) -> str:
    return driver.execute_script("return document.getElementById('voice').getAttribute('src') || ''")


def wait_announced(driver, amount: int) -> None:
    """Until ``amount`` is announced: its WAV is given to the audio element (with espeak-ng), or the
    page chimed and said it in the banner (without)."""
    if ESPEAK:
        wait_until(driver, lambda: voice_src(driver) == f"/display/audio/{amount}.wav",
                   f"{amount} was not announced (the voice has {voice_src(driver)!r})")
        assert body_data(driver, "lastSound") == "voice"
    else:
        wait_until(driver, lambda: text_of(driver, "banner-text") == announcement(amount),
                   f"{amount} was not announced")
        assert body_data(driver, "lastSound") == "chime"


def lose_the_display(driver, acquirer) -> HeldReconnect:
    """Stop the acquirer, wait until the page knows, hold its reconnect, start the acquirer again."""
    acquirer.stop()
    wait_until(driver, lambda: body_data(driver, "connection") == "lost", "the page did not notice")
    held = HeldReconnect(driver)
    acquirer.start()
    return held


@pytest.mark.parametrize("first", ["payment", "reconnect"])
def test_payments_missed_while_disconnected_are_shown_and_announced(first, restarted, browser):
    """The page speaks the newest approval it missed whether the payment lands while it is away (it
    comes in the snapshot) or after it is back (a live event): both orders, driven on purpose."""
    payer = new_payer(restarted.url)
    open_display(browser, restarted.url)
    pay(restarted.url, payer, 10_000)
    shows_amount(browser, "10.000")
    wait_announced(browser, 10_000)
    held = lose_the_display(browser, restarted)
    browser.execute_script("document.getElementById('voice').removeAttribute('src')")
    if first == "payment":
        pay(restarted.url, payer, 20_000)
        assert body_data(browser, "connection") == "lost"  # held: the page missed the approval
        held.release()
    else:
        held.release()
        wait_until(browser, lambda: body_data(browser, "connection") == "live", "the page did not reconnect")
        pay(restarted.url, payer, 20_000)
    shows_amount(browser, "20.000")
    assert text_of(browser, "total-amount") == "30.000"
    wait_announced(browser, 20_000)


def test_a_page_that_has_seen_no_payment_yet_announces_the_one_it_missed(restarted, browser):
    """A display opened on an empty day, cut off, then back after the first approval: it is spoken
    (the first snapshot had nothing, which must not read as "never connected")."""
    payer = new_payer(restarted.url)
    open_display(browser, restarted.url)
    assert latest_amount(browser) == "—"
    held = lose_the_display(browser, restarted)
    pay(restarted.url, payer, 40_000)
    assert body_data(browser, "connection") == "lost"
    held.release()
    shows_amount(browser, "40.000")
    wait_announced(browser, 40_000)


def test_a_snapshot_carries_what_the_live_event_carried(tmp_path):
    """The same approval, as the live event and in a later snapshot's recent list, over real HTTP:
    the same fields, the audio URL and the spoken text included (one function builds both)."""
    app = create_app(tmp_path / "same.sqlite3", enrol_code=ENROL_CODE)
    if not ESPEAK:
        app.state.acquirer.display_hub.speaker = Speaker(command=str(tmp_path / "no-such-espeak-ng"))
    with LedgerServer(app) as server, httpx.Client(timeout=60) as client:
        url = f"{server.url}/display/events"
        with client.stream("GET", url) as live:
            lines = live.iter_lines()
            assert event_data(lines, "snapshot")["recent"] == []
            assert post(server.url, token_for(new_payer(server.url), server.url, amount=70_000)).status_code == 201
            event = event_data(lines, "payment")
        with client.stream("GET", url) as later:
            snapshot = event_data(later.iter_lines(), "snapshot")
    assert snapshot["recent"] == [event]
    assert event["spoken"] == announcement(70_000)
    assert event["audio"] == ("/display/audio/70000.wav" if ESPEAK else None)


# --- in-process acquirers for the fallbacks --------------------------------------------------
@pytest.fixture
def quiet_server(tmp_path):
    """An acquirer whose speech program is missing (Speaker(command=...)): the page must chime."""
    app = create_app(tmp_path / "quiet.sqlite3", enrol_code=ENROL_CODE)
    app.state.acquirer.display_hub.speaker = Speaker(command=str(tmp_path / "no-such-espeak-ng"))
    server = LedgerServer(app).start()
    yield server
    server.stop()


def test_without_speech_the_page_chimes_and_shows_a_banner(quiet_server, browser):
    url = quiet_server.url
    open_display(browser, url)
    assert body_data(browser, "speech") == "chime"
    payer = new_payer(url)
    assert post(url, token_for(payer, url, amount=250_000)).status_code == 201
    shows_amount(browser, "250.000")
    assert body_data(browser, "lastSound") == "chime"
    wait_until(browser, lambda: body_data(browser, "chimes") == "1", "no chime")
    assert browser.find_element("id", "banner").is_displayed()
    assert text_of(browser, "banner-text") == announcement(250_000)
    assert not browser.execute_script("return document.getElementById('voice').getAttribute('src')")
    assert http_get(f"{url}/display/audio/250000.wav", timeout=10).status_code == 404


def test_declined_requests_are_shown_apart_and_hostile_text_stays_text(tmp_path, browser):
    server = LedgerServer(create_app(tmp_path / "declines.sqlite3", FailureSettings(decline_rate=1.0),
                                       enrol_code=ENROL_CODE)).start()
    try:
        url = server.url
        open_display(browser, url)
        payer = new_payer(url)
        hostile = "<img src=x onerror=document.title='pwned'>"
        payload = evn_bill_payload(CUSTOMER, merchant_name=hostile)
        assert post(url, token_for(payer, url, amount=99_000, payload=payload)).status_code == 402
        row = wait_until(
            browser,
            lambda: browser.find_elements("css selector", "#apart-list .row[data-kind='declined']"),
            "the declined request is not shown apart",
        )
        assert row[0].find_element("css selector", ".row-payee").text == hostile
        assert "Bị từ chối" in row[0].find_element("css selector", ".row-kind").text
        assert browser.find_elements("css selector", "img") == [] and browser.title != "pwned"
        assert latest_amount(browser) == "—" and text_of(browser, "total-amount") == "0"
    finally:
        server.stop()


def test_one_merchant_display_shows_only_its_payments(tmp_path, browser):
    server = LedgerServer(create_app(tmp_path / "two.sqlite3", enrol_code=ENROL_CODE)).start()
    try:
        url = server.url
        payer = new_payer(url)
        assert post(url, token_for(payer, url, amount=11_000,
                                   payload=evn_bill_payload(CUSTOMER, merchant_name="DIEN LUC CAU GIAY",
                                                            merchant_id="0100101114-013"))).status_code == 201
        open_display(browser, url, "?merchant=0100101114-013")
        assert text_of(browser, "merchant-name") == "Người nhận: 0100101114-013"
        assert latest_amount(browser) == "11.000"  # from the snapshot
        assert post(url, token_for(payer, url, amount=22_000)).status_code == 201  # Thanh Xuân: another payee
        assert post(url, token_for(payer, url, amount=33_000,
                                   payload=evn_bill_payload(CUSTOMER, merchant_name="DIEN LUC CAU GIAY",
                                                            merchant_id="0100101114-013"))).status_code == 201
        shows_amount(browser, "33.000")
        assert text_of(browser, "total-amount") == "44.000"
        assert not browser.find_element("id", "refused-line").is_displayed()
        open_display(browser, url, "?merchant=%E2%80%AEDIEN%00")  # a bidi override and a NUL in the filter
        assert text_of(browser, "merchant-name") == "Người nhận: \\u202eDIEN\\x00"  # shown escaped
    finally:
        server.stop()


def viewport(driver, width: int, height: int) -> None:
    """The page laid out as in a ``width`` x ``height`` window (Chromium's device metrics override:
    the viewport, its media queries and the screenshot take that size), undone by ``reset_browser``."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height]


def test_phone_layout_fits_and_full_screen_layout(quiet_server, browser, tmp_path):
    url = quiet_server.url
    payer = new_payer(url)
    for amount in (15_000, 250_000, 1_990_000):
        assert post(url, token_for(payer, url, amount=amount)).status_code == 201
    viewport(browser, 390, 844)
    open_display(browser, url)
    assert latest_amount(browser) == "1.990.000"
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    boxes = browser.execute_script(
        "return ['.latest', '.total', '.recent', '.apart']"
        ".map(sel => document.querySelector(sel).getBoundingClientRect().top)")
    assert boxes == sorted(boxes)  # one column: latest, total, the list, then the ones apart
    screenshot(browser, tmp_path, "merchant_display_phone")
    viewport(browser, 1920, 1080)
    open_display(browser, url)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    size = browser.execute_script("return parseFloat(getComputedStyle(document.querySelector('.amount')).fontSize)")
    assert size >= 96  # the amount is readable from across the room


def next_event(lines) -> str:
    """The name of the next server-sent event from ``lines`` (a stream's line iterator, kept open:
    closing the iterator would close the stream)."""
    for line in lines:
        if line.startswith("event: "):
            return line[len("event: "):]
    raise AssertionError("the stream ended before its next event")


def count_unsubscribes(hub: DisplayHub) -> threading.Semaphore:
    """Released each time the hub lets a stream go (the real unsubscribe still runs)."""
    released = threading.Semaphore(0)
    unsubscribe = hub.unsubscribe

    def counted(sub) -> None:
        unsubscribe(sub)
        released.release()

    hub.unsubscribe = counted
    return released


def test_the_page_asks_the_browser_not_to_offer_a_translation(tmp_path):
    """The display is in Vietnamese on purpose: a browser in another language (the booth's Chromium
    in English) must not cover its top with a translate bar."""
    with LedgerServer(create_app(tmp_path / "page.sqlite3", enrol_code=ENROL_CODE)) as server:
        page = http_get(f"{server.url}/display", timeout=10).text
    assert '<html lang="vi" translate="no">' in page
    assert '<meta name="google" content="notranslate">' in page


def test_the_number_of_displays_and_the_speech_cache_are_bounded(tmp_path):
    app = create_app(tmp_path / "bounded.sqlite3", enrol_code=ENROL_CODE)
    hub = app.state.acquirer.display_hub
    hub.max_clients = 2
    left = count_unsubscribes(hub)
    server = LedgerServer(app).start()
    try:
        with httpx.Client(timeout=30) as client:
            with client.stream("GET", f"{server.url}/display/events") as one, \
                    client.stream("GET", f"{server.url}/display/events") as two:
                assert one.status_code == two.status_code == 200
                lines = one.iter_lines(), two.iter_lines()
                assert [next_event(each) for each in lines] == ["snapshot", "snapshot"]  # both subscribed
                assert hub.clients == 2
                with client.stream("GET", f"{server.url}/display/events") as three:  # not refused: the
                    three_lines = three.iter_lines()  # oldest makes room (tests/test_merchant_display_crowding.py)
                    assert next_event(three_lines) == "snapshot"
                    assert hub.clients == 2
                    assert left.acquire(timeout=60), "the oldest stream was not let go"
            assert left.acquire(timeout=60) and left.acquire(timeout=60), "a closed display was kept"
            assert hub.clients == 0
        assert http_get(f"{server.url}/display?merchant={'x' * 500}", timeout=10).status_code == 400
        assert http_get(f"{server.url}/display/audio/0.wav", timeout=10).status_code == 404
        assert http_get(f"{server.url}/display/audio/99999999999999.wav", timeout=10).status_code == 404
        assert http_get(f"{server.url}/display/static/../acquirer.py", timeout=10).status_code == 404
    finally:
        server.stop()
    if ESPEAK:
        speaker = Speaker(cache_size=3)
        for amount in (1_000, 2_000, 3_000, 4_000, 5_000):
            assert speaker.wav(announcement(amount))
        assert speaker.cache_stats()[0] == 3
        assert speaker.cached(announcement(1_000)) is None and speaker.cached(announcement(5_000))


def test_a_display_that_falls_behind_gets_a_snapshot(tmp_path):
    """A stream whose queue overflows is marked behind (its page then gets a fresh snapshot)."""
    hub = DisplayHub(CounterStore(tmp_path / "c.sqlite3"), Speaker(command=str(tmp_path / "none")))

    async def scenario():
        sub = hub.subscribe(None)

        class Answer:
            http_status = 400
            body = {"error": "malformed"}

        for _ in range(200):
            hub.on_decision("x", Answer())
        offered = asyncio.get_running_loop().create_future()  # queued after the 200 offers
        asyncio.get_running_loop().call_soon_threadsafe(offered.set_result, None)
        await offered
        return sub

    sub = asyncio.run(scenario())
    assert sub.behind and sub.queue.full() and hub.refused == 200


@pytest.mark.skipif(not ESPEAK, reason="needs espeak-ng (apt-get install espeak-ng)")
def test_approvals_close_together_are_spoken_one_after_another(tmp_path, browser):
    server = LedgerServer(create_app(tmp_path / "queue.sqlite3", enrol_code=ENROL_CODE)).start()
    try:
        url = server.url
        open_display(browser, url)
        payer = new_payer(url)
        first, second = token_for(payer, url, amount=31_000), token_for(payer, url, amount=32_000)
        assert post(url, first).status_code == 201 and post(url, second).status_code == 201
        shows_amount(browser, "32.000")

        def voice_src() -> str:
            return browser.execute_script("return document.getElementById('voice').getAttribute('src') || ''")

        assert voice_src() == "/display/audio/31000.wav"  # the second waits for the first to finish
        wait_until(browser, lambda: voice_src() == "/display/audio/32000.wav", "the second was never spoken")
        wait_until(browser, lambda: browser.execute_script("return document.getElementById('voice').ended"),
                   "the second never ended")
    finally:
        server.stop()


def test_the_embedded_acquirer_gets_a_display_too(tmp_path, browser):
    """The window's embedded acquirer has no HTTP server: serve_display gives its payments a page."""
    from payer_app.payments.acquirer.ledger import TrustedKey
    from payer_app.payments.acquirer.server import serve_display
    from payer_app.payments.acquirer_client import EmbeddedAcquirerClient
    from payer_app.payments.enrolment import EMBEDDED_AUDIENCE
    from tests.acquirer_helpers import DEMO_ACCOUNT, DEMO_BIN

    payer = new_payer()
    client = EmbeddedAcquirerClient(tmp_path / "embedded.sqlite3",
                                    local_keys=lambda: [TrustedKey(payer.key.public_jwk, DEMO_BIN, DEMO_ACCOUNT)])
    server = serve_display(client.acquirer, speaker=Speaker(command=str(tmp_path / "none")))
    try:
        open_display(browser, server.url)
        reply = client.submit(token_for(payer, EMBEDDED_AUDIENCE, amount=64_000, payload=evn_bill_payload(CUSTOMER),
                                       audience=EMBEDDED_AUDIENCE))
        assert reply.http_status == 201
        shows_amount(browser, "64.000")
        bill = http_get(f"{server.url}/v1/bills/{CUSTOMER}", timeout=10).json()["bill"]
        assert bill["amount_paid"] == 64_000 and client.bill(CUSTOMER).body == {"status": "ok", "bill": bill}
    finally:
        server.stop()
        client.close()


def test_the_merchant_can_turn_the_sound_off_and_it_stays_off(quiet_server, browser):
    url = quiet_server.url
    open_display(browser, url)
    button = browser.find_element("id", "sound-button")
    assert button.text == "🔈 Bật âm thanh"
    button.click()  # on (and audio unlocked by the tap)
    assert body_data(browser, "sound") == "on" and button.text == "🔇 Tắt âm thanh"
    button.click()  # off
    assert body_data(browser, "sound") == "muted" and button.text == "🔈 Bật âm thanh"
    chimes = body_data(browser, "chimes")
    payer = new_payer(url)
    assert post(url, token_for(payer, url, amount=45_000)).status_code == 201
    shows_amount(browser, "45.000")
    assert body_data(browser, "lastSound") == "muted" and body_data(browser, "chimes") == chimes
    assert browser.find_element("id", "banner").is_displayed()  # still said, in words
    assert text_of(browser, "banner-text") == announcement(45_000)
    open_display(browser, url)  # reloaded: the choice is kept
    assert body_data(browser, "sound") == "muted"


def fee_token(payer, url: str, payload: str, tip: int = 0) -> str:
    """A request for a QR with a fee or a tip prompt, as the payer app builds it (amount from the QR)."""
    request = build_request(parse_payload(payload), PaymentChoice(None, tip=tip), payer=payer.info,
                            audience=normalise_audience(url))
    return sign_request(request, payer.key)


def test_a_fee_or_a_tip_is_shown_beside_the_total(quiet_server, browser):
    """The total is announced (amount + fee or tip, what the merchant receives) and the page says
    what it is made of; after a reload the snapshot says it again, from the counter's table."""
    url = quiet_server.url
    open_display(browser, url)
    payer = new_payer(url)
    qr = vietqr_payload("970416", "257678859", amount=100_000)
    assert post(url, token_for(payer, url, amount=70_000)).status_code == 201
    shows_amount(browser, "70.000")
    assert not browser.find_element("id", "latest-breakdown").is_displayed()
    assert post(url, fee_token(payer, url, with_fee(qr, FeeRule(FIXED_FEE, fixed=50_000)))).status_code == 201
    shows_amount(browser, "150.000")
    assert text_of(browser, "latest-breakdown") == "100.000 ₫ + phí 50.000 ₫"
    assert browser.find_element("id", "latest-breakdown").is_displayed()
    assert post(url, fee_token(payer, url, with_fee(qr, FeeRule(TIP_PROMPT)), tip=12_500)).status_code == 201
    shows_amount(browser, "112.500")
    assert text_of(browser, "latest-breakdown") == "100.000 ₫ + tiền tip 12.500 ₫"
    assert text_of(browser, "total-amount") == "332.500"
    open_display(browser, url)  # a fresh page: the snapshot
    shows_amount(browser, "112.500")
    assert text_of(browser, "latest-breakdown") == "100.000 ₫ + tiền tip 12.500 ₫"


def test_a_counter_table_from_before_fees_opens_and_keeps_its_rows(tmp_path):
    """A ledger file whose counter_events table has no fee columns (schema version 2): its rows are
    still shown (no fee), and new answers keep their fee."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE counter_events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
            "amount INTEGER NOT NULL, payee TEXT NOT NULL, merchant_id TEXT NOT NULL, customer_code TEXT NOT NULL, "
            "reference TEXT NOT NULL, at TEXT NOT NULL); PRAGMA user_version = 2;")
        db.execute("INSERT INTO counter_events (kind, amount, payee, merchant_id, customer_code, reference, at) "
                   "VALUES ('approved', 40000, 'OLD SHOP', 'M1', '', 'R1', '2026-01-01T00:00:00Z')")
    store = CounterStore(path)
    try:
        store.add("approved", 150_000, "NEW SHOP", "M2", "", "R2", "2026-01-02T00:00:00Z", 50_000, "fixed")
        recent = store.snapshot(None, "2000-01-01T00:00:00Z", speech=False)["recent"]
    finally:
        store.close()
    assert [(e["payee"], e["amount"], e["breakdown"]) for e in recent] == [
        ("NEW SHOP", 150_000, "100.000 ₫ + phí 50.000 ₫"), ("OLD SHOP", 40_000, "")]

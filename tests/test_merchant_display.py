"""The merchant display in real headless Chromium (Debian's chromium + chromium-driver, Selenium) on
127.0.0.1: payments made by `payer-app pay --acquirer URL` (real processes) against a real
`payer-app acquirer serve` process appear within one second; the page recovers after the acquirer
restarts on the same port; approvals are spoken (a Vietnamese WAV from espeak-ng, checked with
`wave`) or, without speech, chimed with a banner; declined and duplicate requests are shown apart;
hostile payee text stays text. Screenshots are taken every run; with PAYER_APP_UPDATE_SCREENSHOTS=1
(`make screenshots`) they are copied to docs/screenshots/ (merchant_display.png, merchant_display_phone.png)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx
import pytest

from payer_app.core.builder import evn_bill_payload
from payer_app.payments.acquirer import AcquirerServer, FailureSettings, create_app
from payer_app.payments.acquirer_client import wait_until_serving
from payer_app.payments.merchant_display import CounterStore, DisplayHub
from payer_app.payments.speech import Speaker, announcement
from tests.acquirer_helpers import CODE as ENROL_CODE, new_payer, post, token_for

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CUSTOMER = "PD13000123456"
PAYEE = "EVN CONG TY DIEN LUC THANH XUAN"


# --- a real acquirer process and real payer processes ------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AcquirerProcess:
    """`payer-app acquirer serve` on a fixed loopback port with its ledger in tmp_path."""

    def __init__(self, tmp_path: Path, port: int):
        self.tmp_path, self.port = tmp_path, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "AcquirerProcess":
        env = dict(os.environ, PAYER_APP_HOME=str(self.tmp_path / "acquirer-home"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(self.port),
             "--ledger", str(self.tmp_path / "ledger.sqlite3"), "--enrol-code", ENROL_CODE],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_until_serving(self.url, self.proc, timeout=30)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.log = self.proc.stderr.read()
            self.proc.stderr.close()


def payer_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def acquirer(tmp_path):
    process = AcquirerProcess(tmp_path, free_port()).start()
    yield process
    process.stop()


@pytest.fixture
def payer_home(tmp_path, acquirer):
    home = tmp_path / "payer-home"
    enrolled = payer_cli(home, "keys", "enrol", "--acquirer", acquirer.url, "--code", ENROL_CODE)
    assert enrolled.returncode == 0, enrolled.stderr
    return home


def pay_cli(home: Path, url: str, amount: int, customer: str = CUSTOMER, out: Path | None = None) -> float:
    """`payer-app pay` as a process; returns the moment it finished (time.monotonic())."""
    args = ["pay", evn_bill_payload(customer), "--amount", str(amount), "--acquirer", url]
    if out is not None:
        args += ["-o", str(out)]
    done = payer_cli(home, *args)
    finished = time.monotonic()
    assert done.returncode == 0, done.stderr
    return finished


# --- the browser -------------------------------------------------------------------------------
def make_browser(width: int = 1366, height: int = 900):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--autoplay-policy=no-user-gesture-required",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1", "--disable-background-networking", "--no-first-run",
                "--lang=vi-VN"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser():
    driver = make_browser()
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(predicate, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def body_data(driver, name: str) -> str | None:
    return driver.execute_script(f"return document.body.dataset['{name}'] || null")


def open_display(driver, url: str, query: str = "") -> None:
    driver.get(f"{url}/display{query}")
    assert wait_for(lambda: body_data(driver, "connection") == "live", 10), "the display did not connect"


def latest_amount(driver) -> str:
    return text_of(driver, "latest-amount")


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    """Take a screenshot; copy it to docs/screenshots/ when asked to (make screenshots)."""
    shot = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / f"{name}.png")
    return shot


# --- tests -------------------------------------------------------------------------------------
def test_a_payment_appears_within_one_second_and_is_spoken(acquirer, payer_home, browser, tmp_path):
    open_display(browser, acquirer.url)
    assert latest_amount(browser) == "—" and text_of(browser, "total-amount") == "0"

    finished = pay_cli(payer_home, acquirer.url, 250_000, out=tmp_path / "first.jws")
    shown = wait_for(lambda: latest_amount(browser) == "250.000", 1.0)
    elapsed = time.monotonic() - finished
    assert shown, f"not on the page {elapsed:.2f} s after `payer-app pay` returned"
    assert elapsed < 1.0
    assert text_of(browser, "latest-payee") == PAYEE
    assert text_of(browser, "latest-customer") == CUSTOMER
    assert text_of(browser, "latest-words") == "Hai trăm năm mươi nghìn đồng"
    assert text_of(browser, "total-amount") == "250.000" and text_of(browser, "total-count") == "1"
    assert text_of(browser, "latest-reference").startswith("ACQ-")

    if ESPEAK:
        src = browser.execute_script("return document.getElementById('voice').src")
        assert src == f"{acquirer.url}/display/audio/250000.wav"
        assert wait_for(lambda: body_data(browser, "sound") == "on", 5), "the WAV did not play"
        assert body_data(browser, "lastSound") == "voice"
        data = httpx.get(src, timeout=10).content
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, channels, seconds = wav.getframerate(), wav.getnchannels(), wav.getnframes() / wav.getframerate()
        assert (rate, channels) == (22050, 1)
        assert 1.0 < seconds < 6.0  # "Đã nhận hai trăm năm mươi nghìn đồng" takes about two seconds
        assert browser.execute_script("return document.getElementById('voice').duration") == pytest.approx(seconds, abs=0.05)
        assert browser.find_element("id", "banner").get_attribute("hidden") is not None  # no fallback banner
    else:
        assert body_data(browser, "lastSound") == "chime"

    # a second payment: it leads, the first moves down the list, the total adds up
    pay_cli(payer_home, acquirer.url, 1_257_617)
    assert wait_for(lambda: latest_amount(browser) == "1.257.617", 1.0)
    assert text_of(browser, "total-amount") == "1.507.617" and text_of(browser, "total-count") == "2"
    rows = browser.find_elements("css selector", "#recent-list .row")
    assert [r.find_element("css selector", ".row-amount").text for r in rows] == ["1.257.617 ₫", "250.000 ₫"]

    # the same signed request again: a duplicate, shown apart, not added to the total
    assert post(acquirer.url, (tmp_path / "first.jws").read_text().strip()).status_code == 409
    assert wait_for(lambda: browser.find_elements("css selector", "#apart-list .row[data-kind='duplicate']"), 1.0)
    assert text_of(browser, "total-amount") == "1.507.617"
    # a refused request is counted apart too, with nothing of it shown
    assert post(acquirer.url, "not.a.token").status_code == 400
    assert wait_for(lambda: text_of(browser, "refused-count") == "1", 1.0)

    screenshot(browser, tmp_path, "merchant_display")


def test_the_page_recovers_after_the_acquirer_restarts(acquirer, payer_home, browser):
    open_display(browser, acquirer.url)
    pay_cli(payer_home, acquirer.url, 120_000)
    assert wait_for(lambda: latest_amount(browser) == "120.000", 3.0)

    acquirer.stop()
    assert f"Merchant display: {acquirer.url}/display (approvals " in acquirer.log  # told at start
    assert "ERROR" not in acquirer.log and "Traceback" not in acquirer.log  # the open stream ended cleanly
    assert wait_for(lambda: body_data(browser, "connection") == "lost", 10), "the page did not notice"
    acquirer.start()  # same port, same ledger
    assert wait_for(lambda: body_data(browser, "connection") == "live", 15), "the page did not reconnect"
    # the snapshot after reconnecting is whole: today's total comes from the ledger
    assert text_of(browser, "total-amount") == "120.000"
    finished = pay_cli(payer_home, acquirer.url, 75_000)
    assert wait_for(lambda: latest_amount(browser) == "75.000", 3.0), f"{time.monotonic() - finished:.2f} s"
    assert text_of(browser, "total-amount") == "195.000"


def test_payments_missed_while_disconnected_are_shown_and_announced(acquirer, payer_home, browser):
    open_display(browser, acquirer.url)
    pay_cli(payer_home, acquirer.url, 10_000)
    assert wait_for(lambda: latest_amount(browser) == "10.000", 3.0)
    acquirer.stop()
    assert wait_for(lambda: body_data(browser, "connection") == "lost", 10)
    browser.execute_script("document.getElementById('voice').removeAttribute('src')")
    acquirer.start()
    pay_cli(payer_home, acquirer.url, 20_000)  # may land before the page is back
    assert wait_for(lambda: latest_amount(browser) == "20.000", 15)
    assert text_of(browser, "total-amount") == "30.000"
    if ESPEAK:
        assert wait_for(lambda: browser.execute_script("return document.getElementById('voice').src")
                        .endswith("/display/audio/20000.wav"), 5)


# --- in-process acquirers for the fallbacks --------------------------------------------------
@pytest.fixture
def quiet_server(tmp_path):
    """An acquirer whose speech program is missing (Speaker(command=...)): the page must chime."""
    app = create_app(tmp_path / "quiet.sqlite3", enrol_code=ENROL_CODE)
    app.state.acquirer.display_hub.speaker = Speaker(command=str(tmp_path / "no-such-espeak-ng"))
    server = AcquirerServer(app).start()
    yield server
    server.stop()


def test_without_speech_the_page_chimes_and_shows_a_banner(quiet_server, browser):
    url = quiet_server.url
    open_display(browser, url)
    assert body_data(browser, "speech") == "chime"
    payer = new_payer(url)
    assert post(url, token_for(payer, url, amount=250_000)).status_code == 201
    assert wait_for(lambda: latest_amount(browser) == "250.000", 1.0)
    assert body_data(browser, "lastSound") == "chime"
    assert wait_for(lambda: body_data(browser, "chimes") == "1", 2)
    assert browser.find_element("id", "banner").is_displayed()
    assert text_of(browser, "banner-text") == "Đã nhận hai trăm năm mươi nghìn đồng"
    assert not browser.execute_script("return document.getElementById('voice').getAttribute('src')")
    assert httpx.get(f"{url}/display/audio/250000.wav", timeout=10).status_code == 404


def test_declined_requests_are_shown_apart_and_hostile_text_stays_text(tmp_path, browser):
    server = AcquirerServer(create_app(tmp_path / "declines.sqlite3", FailureSettings(decline_rate=1.0),
                                       enrol_code=ENROL_CODE)).start()
    try:
        url = server.url
        open_display(browser, url)
        payer = new_payer(url)
        hostile = "<img src=x onerror=document.title='pwned'>"
        payload = evn_bill_payload(CUSTOMER, merchant_name=hostile)
        assert post(url, token_for(payer, url, amount=99_000, payload=payload)).status_code == 402
        row = wait_for(lambda: browser.find_elements("css selector", "#apart-list .row[data-kind='declined']"), 1.0)
        assert row, "the declined request is not shown apart"
        assert row[0].find_element("css selector", ".row-payee").text == hostile
        assert "Bị từ chối" in row[0].find_element("css selector", ".row-kind").text
        assert browser.find_elements("css selector", "img") == [] and browser.title != "pwned"
        assert latest_amount(browser) == "—" and text_of(browser, "total-amount") == "0"
    finally:
        server.stop()


def test_one_merchant_display_shows_only_its_payments(tmp_path, browser):
    server = AcquirerServer(create_app(tmp_path / "two.sqlite3", enrol_code=ENROL_CODE)).start()
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
        assert wait_for(lambda: latest_amount(browser) == "33.000", 1.0)
        assert text_of(browser, "total-amount") == "44.000"
        assert not browser.find_element("id", "refused-line").is_displayed()
        open_display(browser, url, "?merchant=%E2%80%AEDIEN%00")  # a bidi override and a NUL in the filter
        assert text_of(browser, "merchant-name") == "Người nhận: \\u202eDIEN\\x00"  # shown escaped
    finally:
        server.stop()


def test_phone_layout_fits_and_full_screen_layout(quiet_server, tmp_path):
    url = quiet_server.url
    payer = new_payer(url)
    for amount in (15_000, 250_000, 1_990_000):
        assert post(url, token_for(payer, url, amount=amount)).status_code == 201
    phone = make_browser(390, 844)
    try:
        open_display(phone, url)
        assert latest_amount(phone) == "1.990.000"
        assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        boxes = phone.execute_script(
            "return ['.latest', '.total', '.recent', '.apart']"
            ".map(sel => document.querySelector(sel).getBoundingClientRect().top)")
        assert boxes == sorted(boxes)  # one column: latest, total, the list, then the ones apart
        screenshot(phone, tmp_path, "merchant_display_phone")
    finally:
        phone.quit()
    wide = make_browser(1920, 1080)
    try:
        open_display(wide, url)
        assert wide.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        size = wide.execute_script("return parseFloat(getComputedStyle(document.querySelector('.amount')).fontSize)")
        assert size >= 96  # the amount is readable from across the room
    finally:
        wide.quit()


def test_the_number_of_displays_and_the_speech_cache_are_bounded(tmp_path):
    app = create_app(tmp_path / "bounded.sqlite3", enrol_code=ENROL_CODE)
    hub = app.state.acquirer.display_hub
    hub.max_clients = 2
    server = AcquirerServer(app).start()
    try:
        with httpx.Client(timeout=10) as client:
            with client.stream("GET", f"{server.url}/display/events") as one, \
                    client.stream("GET", f"{server.url}/display/events") as two:
                assert one.status_code == two.status_code == 200
                assert wait_for(lambda: hub.clients == 2, 5)
                third = client.get(f"{server.url}/display/events")
                assert third.status_code == 503 and third.json()["error"] == "unavailable"
            assert wait_for(lambda: hub.clients == 0, 5)
        assert httpx.get(f"{server.url}/display?merchant={'x' * 500}", timeout=10).status_code == 400
        assert httpx.get(f"{server.url}/display/audio/0.wav", timeout=10).status_code == 404
        assert httpx.get(f"{server.url}/display/audio/99999999999999.wav", timeout=10).status_code == 404
        assert httpx.get(f"{server.url}/display/static/../acquirer.py", timeout=10).status_code == 404
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
    import asyncio

    hub = DisplayHub(CounterStore(tmp_path / "c.sqlite3"), Speaker(command=str(tmp_path / "none")))

    async def scenario():
        sub = hub.subscribe(None)

        class Answer:
            http_status = 400
            body = {"error": "malformed"}

        for _ in range(200):
            hub.on_decision("x", Answer())
        await asyncio.sleep(0.05)
        return sub

    sub = asyncio.run(scenario())
    assert sub.behind and sub.queue.full() and hub.refused == 200


@pytest.mark.skipif(not ESPEAK, reason="needs espeak-ng (apt-get install espeak-ng)")
def test_approvals_close_together_are_spoken_one_after_another(tmp_path, browser):
    server = AcquirerServer(create_app(tmp_path / "queue.sqlite3", enrol_code=ENROL_CODE)).start()
    try:
        url = server.url
        open_display(browser, url)
        payer = new_payer(url)
        first, second = token_for(payer, url, amount=31_000), token_for(payer, url, amount=32_000)
        assert post(url, first).status_code == 201 and post(url, second).status_code == 201
        assert wait_for(lambda: latest_amount(browser) == "32.000", 1.0)

        def voice_src() -> str:
            return browser.execute_script("return document.getElementById('voice').getAttribute('src') || ''")

        assert voice_src() == "/display/audio/31000.wav"  # the second waits for the first to finish
        assert wait_for(lambda: voice_src() == "/display/audio/32000.wav", 8), "the second was never spoken"
        assert wait_for(lambda: browser.execute_script("return document.getElementById('voice').ended"), 8)
    finally:
        server.stop()


def test_the_embedded_acquirer_gets_a_display_too(tmp_path, browser):
    """The window's embedded acquirer has no HTTP server: serve_display gives its payments a page."""
    from payer_app.payments.acquirer import TrustedKey
    from payer_app.payments.acquirer_client import EmbeddedAcquirerClient
    from payer_app.payments.enrolment import EMBEDDED_AUDIENCE
    from payer_app.payments.merchant_display import serve_display
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
        assert wait_for(lambda: latest_amount(browser) == "64.000", 1.0)
        bill = httpx.get(f"{server.url}/v1/bills/{CUSTOMER}", timeout=10).json()["bill"]
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
    assert wait_for(lambda: latest_amount(browser) == "45.000", 1.0)
    assert body_data(browser, "lastSound") == "muted" and body_data(browser, "chimes") == chimes
    assert browser.find_element("id", "banner").is_displayed()  # still said, in words
    assert text_of(browser, "banner-text") == "Đã nhận bốn mươi lăm nghìn đồng"
    open_display(browser, url)  # reloaded: the choice is kept
    assert body_data(browser, "sound") == "muted"

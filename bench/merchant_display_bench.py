"""How soon an approved payment reaches the merchant display: its event stream, and the page.

Starts ``payer-app acquirer serve`` as its own process on 127.0.0.1, enrols one payer, opens
DISPLAYS event streams (``GET /display/events``, as the page does) and, unless ``--no-browser``
(or Chromium / chromedriver / Selenium are missing), the display page itself in headless Chromium;
then sends PAYMENTS signed EVN bill payments one after another. For each, measures the time from
sending the request to (a) the acquirer's answer, (b) the ``payment`` event arriving on every
stream and (c) the page showing the amount (a MutationObserver in the page stamps the moment;
both clocks are this machine's wall clock). Prints percentiles and how many arrived within the
display's promise (``TARGET_S``, one second: the number the browser tests do not assert), and
exits 1 when any event is missing, an event's amount differs from the payment's, or the page
never shows a payment.

Run: .venv/bin/python bench/merchant_display_bench.py [--payments N] [--displays D] [--no-browser]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from payer_app.core.builder import evn_bill_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer_client import HttpAcquirerClient, read_until_serving

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the e2e tests' loopback-only Chromium (tests/e2e/acquirer.py)
CODE = "bench-enrol-code-01"
TARGET_S = 1.0  # a payment is on every open display within one second
PAYER_ACCOUNT, PAYER_BANK = "0011001234567", "970436"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(url: str, events: queue.Queue, ready: threading.Event, stop: threading.Event) -> None:
    """Read one event stream; put (arrival time, event) of each payment event on ``events``."""
    try:
        with httpx.Client(timeout=None) as client, client.stream("GET", f"{url}/display/events") as stream:
            kind = None
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                    if kind == "snapshot":
                        ready.set()
                elif line.startswith("data: ") and kind == "payment":
                    events.put((time.perf_counter(), json.loads(line[6:])))
    except httpx.HTTPError:  # the acquirer stopped at the end of the run
        return


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


@dataclass
class Measured:
    answers: list[float] = field(default_factory=list)  # request sent -> the acquirer's answer (s)
    arrivals: list[float] = field(default_factory=list)  # request sent -> event on one display (s)
    on_page: list[float] = field(default_factory=list)  # request sent -> the page shows the amount (s)
    missing: int = 0
    wrong: int = 0
    not_shown: int = 0


# Stamps (wall clock, ms) the first moment the page's latest amount shows each text.
PAGE_WATCH = """
window.shownAt = {};
const latest = document.getElementById('latest-amount');
new MutationObserver(() => {
  const text = latest.textContent;
  if (!(text in window.shownAt)) window.shownAt[text] = Date.now();
}).observe(latest, {childList: true, characterData: true, subtree: true});
"""


class DisplayPage:
    """The merchant display page in headless Chromium, watched for each amount it shows."""

    def __init__(self, url: str):
        from tests.e2e.acquirer import make_browser, open_display

        self.driver = make_browser()
        open_display(self.driver, url)
        self.driver.execute_script(PAGE_WATCH)

    def shown_at(self, amount: int, timeout: float = 5.0) -> float | None:
        """When (time.time()) the page first showed ``amount``; None if not within ``timeout``."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        text = f"{amount:,}".replace(",", ".")
        script = f"return window.shownAt['{text}'] || null"
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.02).until(
                lambda d: d.execute_script(script)) / 1000.0
        except TimeoutException:
            return None

    def close(self) -> None:
        self.driver.quit()


def browser_available() -> bool:
    import shutil

    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return bool((shutil.which("chromium") or shutil.which("chromium-browser")) and shutil.which("chromedriver"))


def start_acquirer(folder: Path, port: int) -> subprocess.Popen:
    """`payer-app acquirer serve` as its own process, its ledger and data folder in ``folder``."""
    env = dict(os.environ, PAYER_APP_HOME=str(folder / "home"))
    return subprocess.Popen(
        [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(port),
         "--ledger", str(folder / "ledger.sqlite3"), "--enrol-code", CODE],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def open_displays(url: str, count: int, stop: threading.Event) -> list[queue.Queue]:
    """``count`` event streams, each open (its snapshot read) before the first payment."""
    queues = []
    for _ in range(count):
        events: queue.Queue = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=listen, args=(url, events, ready, stop), daemon=True).start()
        assert ready.wait(10), "a display stream did not open"
        queues.append(events)
    return queues


def send_payments(client: HttpAcquirerClient, key: SigningKey, url: str, displays: list[queue.Queue],
                  payments: int, page: DisplayPage | None) -> Measured:
    """One signed EVN bill payment after another; each one's answer, its event on every display and
    the moment the page shows it."""
    parsed = parse_payload(evn_bill_payload("PD13000123456"))
    payer = PayerInfo(PAYER_ACCOUNT, PAYER_BANK, key.kid)
    measured = Measured()
    for n in range(payments):
        amount = 10_000 + 1_000 * n
        token = sign_request(build_request(parsed, PaymentChoice(amount), payer=payer, audience=url), key)
        sent, sent_wall = time.perf_counter(), time.time()
        reply = client.submit(token)
        measured.answers.append(time.perf_counter() - sent)
        assert reply.http_status == 201, reply.body
        if page is not None:
            seen = page.shown_at(amount)
            if seen is None:
                measured.not_shown += 1
            else:
                measured.on_page.append(seen - sent_wall)
        for events in displays:
            try:
                arrived, event = events.get(timeout=5)
            except queue.Empty:
                measured.missing += 1
                continue
            measured.arrivals.append(arrived - sent)
            measured.wrong += event["amount"] != amount
    return measured


def run(url: str, port: int, payments: int, displays: int, browser: bool) -> Measured:
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_acquirer(Path(tmp), port)
        page = None
        try:
            read_until_serving(proc)
            key = SigningKey.generate()
            client = HttpAcquirerClient(url)
            from payer_app.payments.acquirer.activation import issue_code

            code, _ = issue_code(Path(tmp) / "ledger.sqlite3", PAYER_BANK, PAYER_ACCOUNT)  # as `acquirer codes issue`
            enrolled = client.enrol(key, PAYER_ACCOUNT, PAYER_BANK, code=code)
            assert enrolled.http_status == 201, enrolled.body
            stop = threading.Event()
            streams = open_displays(url, displays, stop)
            page = DisplayPage(url) if browser else None
            measured = send_payments(client, key, url, streams, payments, page)
            stop.set()
            client.close()
        finally:
            if page is not None:
                page.close()
            proc.terminate()
            proc.wait(timeout=15)
    return measured


def report(measured: Measured, url: str, payments: int, displays: int) -> None:
    answers, arrivals = measured.answers, measured.arrivals
    ms = lambda values, share: percentile(values, share) * 1000  # noqa: E731
    print(f"merchant display: {payments} approved payments over {url}, {displays} open displays")
    print(f"  answer to the payer   p50 {ms(answers, .5):6.1f} ms  p95 {ms(answers, .95):6.1f} ms  "
          f"max {max(answers) * 1000:6.1f} ms")
    if arrivals:
        print(f"  event on the display  p50 {ms(arrivals, .5):6.1f} ms  p95 {ms(arrivals, .95):6.1f} ms  "
              f"max {max(arrivals) * 1000:6.1f} ms  (mean {statistics.mean(arrivals) * 1000:.1f} ms)")
    within = sum(seconds < TARGET_S for seconds in arrivals)
    print(f"  on the display within {TARGET_S:g} s: {within} of {payments * displays} events "
          f"({'met' if within == payments * displays else 'NOT met'})")
    print(f"  events received {len(arrivals)} of {payments * displays}; missing {measured.missing}; "
          f"wrong amount {measured.wrong}")
    on_page = measured.on_page
    if on_page:
        shown = sum(seconds < TARGET_S for seconds in on_page)
        print(f"  shown on the page     p50 {ms(on_page, .5):6.1f} ms  p95 {ms(on_page, .95):6.1f} ms  "
              f"max {max(on_page) * 1000:6.1f} ms  (headless Chromium)")
        print(f"  on the page within {TARGET_S:g} s: {shown} of {payments} payments "
              f"({'met' if shown == payments else 'NOT met'}); never shown {measured.not_shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100)
    parser.add_argument("--displays", type=int, default=4)
    parser.add_argument("--no-browser", action="store_true", help="measure the event streams only")
    args = parser.parse_args()
    browser = not args.no_browser and browser_available()
    if not args.no_browser and not browser:
        print("(no Chromium, chromedriver or Selenium here: the page is not measured)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    measured = run(url, port, args.payments, args.displays, browser)
    report(measured, url, args.payments, args.displays)
    return 0 if measured.missing == measured.wrong == measured.not_shown == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

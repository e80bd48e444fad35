"""The merchant display cannot be crowded out: event streams are capped, and a new stream closes the
longest-quiet one (one that fell behind first) instead of being refused, so idle connections to
``/display/events`` neither lock the real display out nor keep a payment from being answered.

Over real HTTP on 127.0.0.1: raw sockets that ask for the stream and then neither send nor read, a
real `payer-app acquirer serve` process, the page in Debian's Chromium (Selenium), and a signed
payment over httpx. The rule itself is checked on an in-process acquirer with a cap of 2."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.merchant_display import MAX_DISPLAY_CLIENTS, CounterStore, DisplayHub
from payer_app.payments.speech import Speaker
from tests.acquirer_helpers import CODE as ENROL_CODE
from tests.acquirer_helpers import LedgerServer, new_payer, post, token_for
from tests.e2e.acquirer import (
    CHROMEDRIVER,
    CHROMIUM,
    AcquirerProcess,
    make_browser,
    open_display,
    text_of,
    wait_until,
)

IDLE_STREAMS = 200
needs_chromium = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                    reason="needs Debian's chromium and chromium-driver")


def open_idle_stream(port: int) -> tuple[socket.socket, bytes]:
    """A raw connection that asks for the event stream and reads only until the answer's status line
    (so the server has taken it); it then sends and reads nothing more. Returns it and what it read
    (at least the status line; more of the answer when it came in the same read)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(b"GET /display/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def status_of(head: bytes) -> int:
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0


def read_to_the_end(sock: socket.socket) -> bytes:
    """Everything the server still sends on ``sock`` until its answer ends (the last chunk) or it
    closes the connection."""
    data = b""
    while not data.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def acquirer(tmp_path):
    process = AcquirerProcess(tmp_path).start()
    yield process
    process.stop()


@pytest.mark.browser
@needs_chromium
def test_idle_streams_do_not_crowd_out_the_display_or_payments(acquirer):
    idle = []
    try:
        for _ in range(IDLE_STREAMS):
            idle.append(open_idle_stream(acquirer.port))
        browser = make_browser()
        try:
            open_display(browser, acquirer.url)  # the real display still gets its stream
            payer = new_payer(acquirer.url)
            answer = post(acquirer.url, token_for(payer, acquirer.url, amount=81_000), timeout=60)
            assert answer.status_code == 201, answer.text
            wait_until(browser, lambda: text_of(browser, "latest-amount") == "81.000",
                       "the display did not show the payment")
        finally:
            browser.quit()
        assert [status_of(head) for _, head in idle] == [200] * IDLE_STREAMS  # each newcomer got in
        acquirer.stop()  # every stream still open ends too; then each answer is read to its end
        answers = [head + read_to_the_end(sock) for sock, head in idle]
    finally:
        for sock, _ in idle:
            sock.close()
    # Which streams were closed to make room depends on the order the server took them in, not on the
    # order they were opened; how many does not: beside the display, at most the cap less one idle
    # stream was still open when the payment came, and every other one had been ended properly (its
    # answer's last chunk) before it.
    paid = [answer for answer in answers if b"event: payment" in answer]
    closed_for_room = [answer for answer in answers
                       if b"event: payment" not in answer and answer.endswith(b"\r\n0\r\n\r\n")]
    assert len(paid) <= MAX_DISPLAY_CLIENTS - 1, len(paid)
    assert len(closed_for_room) >= IDLE_STREAMS - (MAX_DISPLAY_CLIENTS - 1), (len(closed_for_room), len(paid))
    assert "Traceback" not in acquirer.log and " ERROR " not in acquirer.log


def next_event(lines) -> str | None:
    """The name of the next server-sent event on ``lines`` (an open stream's line iterator, kept in
    a variable: an iterator dropped is closed, and closes its stream), or None when the stream has
    ended."""
    for line in lines:
        if line.startswith("event: "):
            return line[len("event: "):]
    return None


def test_a_new_stream_closes_the_longest_quiet_one_and_the_count_stays_capped(tmp_path):
    """Quiet: the longest since it opened or was last sent an event. ``busy`` opened first but gets the
    payment; ``quiet`` shows a merchant nobody pays, so it is the one the newcomer closes."""
    app = create_app(tmp_path / "cap.sqlite3", enrol_code=ENROL_CODE)
    hub = app.state.acquirer.display_hub
    hub.speaker = Speaker(command=str(tmp_path / "none"))
    hub.max_clients = 2
    with LedgerServer(app) as server, httpx.Client(timeout=60) as client:
        url = f"{server.url}/display/events"
        with client.stream("GET", url) as busy, client.stream("GET", url + "?merchant=NOBODY") as quiet:
            busy_lines, quiet_lines = busy.iter_lines(), quiet.iter_lines()
            assert [next_event(busy_lines), next_event(quiet_lines)] == ["snapshot", "snapshot"]
            assert post(server.url, token_for(new_payer(server.url), server.url, amount=5_000)).status_code == 201
            assert next_event(busy_lines) == "payment"
            with client.stream("GET", url) as newcomer:
                assert newcomer.status_code == 200
                newcomer_lines = newcomer.iter_lines()
                assert next_event(newcomer_lines) == "snapshot"
                assert next_event(quiet_lines) is None  # closed to make room
                assert hub.clients == 2
                with client.stream("GET", url) as later:  # now the oldest of equally quiet ones goes
                    later_lines = later.iter_lines()  # kept: a dropped line iterator closes its stream
                    assert next_event(later_lines) == "snapshot"
                    assert next_event(busy_lines) is None
                    assert hub.clients == 2


def test_a_stream_that_fell_behind_is_closed_first(tmp_path):
    """A stream whose reader does not keep up (its queue overflowed) goes before any other."""
    hub = DisplayHub(CounterStore(tmp_path / "c.sqlite3"), Speaker(command=str(tmp_path / "none")), max_clients=2)

    async def scenario():
        older, newer = hub.subscribe(None), hub.subscribe(None)
        newer.behind = True
        newest = hub.subscribe(None)
        woken = asyncio.get_running_loop().create_future()  # runs after the closed stream was woken
        asyncio.get_running_loop().call_soon_threadsafe(woken.set_result, None)
        await woken
        return older, newer, newest

    older, newer, newest = asyncio.run(scenario())
    assert newer.closed and not older.closed and not newest.closed
    assert newer.queue.get_nowait() is None  # the wake-up that ends its stream
    assert hub.clients == 2


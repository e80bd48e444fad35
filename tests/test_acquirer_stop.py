"""``payer-app acquirer serve`` stopped as an operator stops it (Ctrl+C, or SIGTERM from a service
manager) while merchant displays are open and a payment has just been answered: it ends as the
signal says (130 or 143, docs/cli.md), every open display stream is ended cleanly by the server (not
cut), nothing is written but its own lines (no traceback), and no process is left behind. How soon
it ends is measured by bench/display_stop_bench.py, not here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import httpx
import pytest

from payer_app.core.keys import SigningKey
from payer_app.payments.acquirer_client import read_until_serving
from tests.acquirer_helpers import Payer, ServedAcquirer, enrol, post, token_for
from tests.process_lines import processes_of

STREAMS = 3
CEILING_S = 60.0


class DisplayStream(threading.Thread):
    """``GET /display/events`` as the page reads it; ``ended_cleanly`` once the server closed it."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.opened, self.ended = threading.Event(), threading.Event()
        self.ended_cleanly = False
        self.events: list[str] = []

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}/display/events", timeout=CEILING_S) as response:
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        self.events.append(line.removeprefix("event: "))
                        self.opened.set()
            self.ended_cleanly = True
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.ended.set()


# Ctrl+C: exit 130. SIGTERM: after the same clean shutdown uvicorn raises the signal again, so the
# process ends by it, as a service manager expects (a shell shows 143).
# A process started with SIGINT ignored (a script's background job; pytest-xdist's workers pass that on)
# gets no KeyboardInterrupt when uvicorn raises the signal again: it still ends with 130.
def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sig, code, preexec", [(signal.SIGINT, 130, None), (signal.SIGTERM, -signal.SIGTERM, None),
                                                (signal.SIGINT, 130, ignore_sigint)],
                         ids=["ctrl-c", "sigterm", "ctrl-c-started-ignoring-it"])
def test_serve_stops_cleanly_with_displays_open(tmp_path, sig, code, preexec):
    served = ServedAcquirer(tmp_path, preexec_fn=preexec)
    home = tmp_path / "acquirer_home"
    try:
        streams = [DisplayStream(served.url) for _ in range(STREAMS)]
        for stream in streams:
            stream.start()
        for stream in streams:
            assert stream.opened.wait(CEILING_S) and stream.events[:1] == ["snapshot"]
        payer = Payer(SigningKey.generate())
        assert enrol(served.url, payer).status_code == 201  # a code issued for its account
        assert post(served.url, token_for(payer, served.url, amount=150_000)).status_code == 201
        assert served.next_line()  # the console's line for that decision: the payment went through
        served.proc.send_signal(sig)
        served.proc.wait(CEILING_S)
        for stream in streams:
            assert stream.ended.wait(CEILING_S)
            assert stream.ended_cleanly, "the server cut a display stream instead of ending it"
        said = "".join(served.stop())
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
    assert served.proc.returncode == code, (served.proc.returncode, said)
    assert "Traceback" not in said and "ERROR" not in said, said
    assert processes_of(home) == {}


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_sent_as_soon_as_it_says_it_serves_stops_it(tmp_path, attempt):
    """A script reads the start lines and sends Ctrl+C at once, to a server started with Ctrl+C ignored (a
    background job; pytest-xdist's workers pass that on): the lines are said only once the server's own
    handlers are in place, so the signal is never lost (it was: the lines came before uvicorn installed
    them, and the process served on until killed)."""
    env = dict(os.environ, PAYER_APP_HOME=str(tmp_path / "acquirer_home"))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", "0", "--ledger",
                             str(tmp_path / "served.sqlite3")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=ignore_sigint)
    try:
        read_until_serving(proc)
        proc.send_signal(signal.SIGINT)
        said = proc.communicate(timeout=CEILING_S)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, said
    assert "Traceback" not in said, said

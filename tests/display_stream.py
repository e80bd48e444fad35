"""The merchant display's event stream (``GET /display/events``, server-sent events) as the tests and
bench/display_stop_bench.py read it: the data of the next event of a name, and a thread that reads a
stream to its end and says when and how it ended."""

from __future__ import annotations

import json
import threading
import time

import httpx

CEILING_S = 60.0  # only a hung stream fails; how soon one ends is bench/display_stop_bench.py's


def event_data(lines, name: str) -> dict:
    """The data of the next ``name`` event on an open stream's line iterator."""
    current = None
    for line in lines:
        if line.startswith("event: "):
            current = line[len("event: "):]
        elif line.startswith("data: ") and current == name:
            return json.loads(line[len("data: "):])
    raise AssertionError(f"the stream ended before a {name} event")


class StreamReader(threading.Thread):
    """Reads ``/display/events`` to its end; ``opened`` once the snapshot arrived, ``ended`` (at
    ``ended_at``, ``time.perf_counter()``) when the stream ended, ``how`` says how it ended ("clean":
    the server closed it properly; otherwise the error)."""

    def __init__(self, url: str, timeout: float = CEILING_S):
        super().__init__(daemon=True)
        self.url, self.timeout = url, timeout
        self.opened = threading.Event()
        self.ended = threading.Event()
        self.ended_at: float | None = None
        self.how = ""

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}/display/events", timeout=self.timeout) as response:
                for line in response.iter_lines():
                    if line.startswith("event: snapshot"):
                        self.opened.set()
            self.how = "clean"
        except httpx.HTTPError as exc:
            self.how = f"{type(exc).__name__}: {exc}"
        finally:
            self.ended_at = time.perf_counter()
            self.opened.set()
            self.ended.set()

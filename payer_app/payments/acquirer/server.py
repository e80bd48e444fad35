"""Serving an acquirer's application with uvicorn on a background thread: ``AcquirerServer`` (tests,
benchmarks, embedded demos), ``serve_display`` (the merchant display of the embedded acquirer) and
``served_audiences`` (the names a server answers to)."""

from __future__ import annotations

import socket
import threading
from typing import Any

from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.merchant_display import counter_routes
from payer_app.payments.speech import Speaker


class AcquirerServer:
    """Serve an app with uvicorn on a background thread (tests, benchmarks, embedded demos).

    ``port=0`` picks a free port; ``url`` is the base URL once started, and is added to the app's
    audiences (with ``localhost`` for a loopback address)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        acquirer = getattr(getattr(app, "state", None), "acquirer", None)
        if isinstance(acquirer, MockAcquirer):
            for audience in served_audiences(self.host, self.port):
                acquirer.add_audience(audience)
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self._settled = threading.Event()  # set once uvicorn serves, or has given up
        self.server = stopping_server(config, self._settled, lambda: end_display_streams(app))
        self._thread = threading.Thread(target=self._run, name="acquirer-server", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._socket])
        finally:
            self._settled.set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> AcquirerServer:
        """Start serving; returns once uvicorn's startup has finished (an event, not a poll)."""
        self._thread.start()
        if not self._settled.wait(timeout) or not self.server.started:
            raise RuntimeError("the acquirer server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> AcquirerServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def stopping_server(config, settled: threading.Event | None = None, on_stop=None, on_serving=None):
    """A uvicorn server that sets ``settled`` when its startup has finished (or failed), calls
    ``on_serving()`` once it serves (its socket listening and, on the main thread, its Ctrl+C and
    SIGTERM handlers in place: a stop asked for from then on is never lost), and calls ``on_stop()``
    once, on its own loop, as soon as it is asked to stop (Ctrl+C, SIGTERM, ``should_exit``): the
    display streams end then, so uvicorn's shutdown does not wait for them."""
    import uvicorn

    class Server(uvicorn.Server):
        stop_seen = False
        stop_signals: tuple[int, ...] = ()  # the signals that asked it to stop, in order

        def handle_exit(self, sig, frame) -> None:
            self.stop_signals = (*self.stop_signals, sig)
            super().handle_exit(sig, frame)

        async def startup(self, sockets=None) -> None:
            try:
                await super().startup(sockets=sockets)
            finally:
                if settled is not None:
                    settled.set()
            if on_serving is not None and self.started and not self.should_exit:
                on_serving()

        async def on_tick(self, counter: int) -> bool:
            should_exit = await super().on_tick(counter)
            if should_exit and not self.stop_seen:
                self.stop_seen = True
                if on_stop is not None:
                    on_stop()
            return should_exit

    return Server(config)


def end_display_streams(app) -> None:
    """End the open merchant display streams of an app's acquirer (or of a display-only app)."""
    acquirer = getattr(getattr(app, "state", None), "acquirer", None)
    hub = getattr(acquirer, "display_hub", None) or getattr(getattr(app, "state", None), "display_hub", None)
    if hub is not None:
        hub.end_streams()


def served_audiences(host: str, port: int) -> list[str]:
    """The ``aud`` values a server on host:port answers to: its URL, plus the other loopback names
    when it listens on loopback, plus the loopback names and this machine's name when it listens on
    every address (0.0.0.0 / ::). Other names (a proxy, an IP address) come from ``--public-url``."""
    shown = f"[{host}]" if ":" in host else host
    names = [f"http://{shown}:{port}"]
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""):
        names += [f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"]
    if host in ("0.0.0.0", "::", ""):
        names.append(f"http://{socket.gethostname().lower()}:{port}")
    return list(dict.fromkeys(names))


def serve_display(acquirer: Any, host: str = "127.0.0.1", port: int = 0, speaker: Speaker | None = None):
    """Serve only the display and bill routes of an acquirer that has no HTTP server of its own (the
    embedded one: ``EmbeddedAcquirerClient.acquirer``) on ``host:port`` (0: a free port). Returns the
    started ``AcquirerServer``; the page is at ``server.url + "/display"``; ``server.stop()`` ends it."""
    from starlette.applications import Starlette

    app = Starlette(routes=counter_routes(acquirer, speaker))
    app.state.display_hub = acquirer.display_hub
    return AcquirerServer(app, host=host, port=port).start()


__all__ = ["AcquirerServer", "end_display_streams", "served_audiences", "serve_display", "stopping_server"]

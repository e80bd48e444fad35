"""``payer-app booth``: a whole demo booth from one command (the work is ``payer_app/booth.py``).

It serves the mock acquirer and its merchant display (as ``payer-app acquirer serve`` does, on a
thread of this process, ledger in the data folder), opens the kiosk window paying that acquirer (its
key enrolled with the acquirer's code at start), and opens the display in Chromium: full screen on a
second screen when there is one, else beside the payer window (left and right halves).
``--print-url`` prints the display's URL on standard output instead of opening Chromium. Ctrl+C or
SIGTERM closes the window, ends Chromium and stops the acquirer; exit 130 after Ctrl+C, 0 after
SIGTERM or when the window is closed.
"""

from __future__ import annotations

import os
import sys

from payer_app.cli.exits import UsageError
from payer_app.cli.options import add_command


def register(sub) -> None:
    p = add_command(sub, "booth", "a demo booth: acquirer, kiosk window and merchant display, started together",
                    "Start the mock acquirer with its merchant display, the kiosk window paying it, and the "
                    "display in Chromium; Ctrl+C stops them all.", func=run)
    p.add_argument("--port", type=int, default=8765, help="the acquirer's port on 127.0.0.1 (default 8765; 0: a "
                   "free one)")
    p.add_argument("--ledger", metavar="FILE", help="the acquirer's SQLite ledger (default: "
                   "acquirer-ledger.sqlite3 in the data folder, as acquirer serve)")
    p.add_argument("--camera", metavar="SOURCE", default=None,
                   help="what the kiosk scans, as in `payer-app gui` (default: the settings' camera, else demo)")
    p.add_argument("--lang", choices=("vi", "en"), default=None, help="language of the window (default: settings)")
    p.add_argument("--print-url", action="store_true",
                   help="print the merchant display's URL on standard output instead of opening Chromium")
    p.add_argument("--browser-arg", metavar="ARG", action="append", default=[],
                   help="one more Chromium option, e.g. --browser-arg=--force-device-scale-factor=1.5 (repeat it)")
    p.add_argument("--new-day-at", metavar="HH:MM", default=None,
                   help="start a new day at this local time every day (as `payer-app acquirer new-day`)")
    p.add_argument("--demo-balance", metavar="VND", default=None,
                   help="each visitor's demo account opens with this balance in whole dong (as `acquirer serve`)")
    p.add_argument("--verbose", action="store_true", help="log what the window does to standard error")


def run(args) -> int:
    from payer_app.booth import find_chromium
    from payer_app.cli import gui_cmd

    problem = gui_cmd.display_problem(os.environ)
    if problem:
        raise UsageError(f"the booth cannot open its windows: {problem}; {gui_cmd.NO_DISPLAY_ADVICE}")
    chromium = None if args.print_url else find_chromium()
    if not args.print_url and chromium is None:
        raise UsageError("Chromium is not installed (Debian: apt-get install chromium); or give --print-url and "
                         "open the display yourself")
    if args.camera is not None:
        gui_cmd.check_camera_spec(args.camera)
    booth = _start_booth(args)
    try:
        return _run_window(args, booth, chromium)
    finally:
        booth.stop()
        print("Booth stopped: window, display browser and acquirer.", file=sys.stderr, flush=True)


def _start_booth(args):
    """The acquirer served on 127.0.0.1 (its decisions logged on standard error), its start lines said."""
    from payer_app.booth import Booth
    from payer_app.cli.acquirer_cmd import (
        attach_console,
        demo_balance_line,
        demo_balance_option,
        ledger_path,
        new_day_schedule,
    )
    from payer_app.payments.acquirer.endpoints import create_app

    ledger = ledger_path(args.ledger)
    schedule = new_day_schedule(args.new_day_at)
    demo_balance = demo_balance_option(args.demo_balance)
    try:
        app = create_app(ledger)
    except Exception as exc:  # an unusable ledger file, for instance
        raise UsageError(f"cannot open the ledger {ledger}: {exc}") from None
    try:
        booth = Booth(app, "127.0.0.1", args.port, demo_balance).start()
    except (OSError, OverflowError, RuntimeError) as exc:
        app.state.acquirer.close()
        raise UsageError(f"cannot serve the acquirer on 127.0.0.1:{args.port}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    attach_console(app.state.acquirer, schedule)
    print(f"Mock acquirer on {booth.url} (ledger {ledger}); Ctrl+C stops the booth.\n"
          f"Enrolment code: {booth.enrol_code}\n{demo_balance_line(app.state.acquirer)}\n"
          f"Merchant display: {booth.display_url}", file=sys.stderr, flush=True)
    return booth


def _run_window(args, booth, chromium: str | None) -> int:
    """The kiosk window until it closes; the display opened once the window's event loop runs."""
    from payer_app.booth import placement
    from payer_app.cli.gui_cmd import log_events_to_stderr
    from payer_app.gui.app import run_app, screen_rects

    if args.verbose:
        log_events_to_stderr()
    place = placement(screen_rects())

    def open_display() -> None:
        if args.print_url:
            print(booth.display_url, flush=True)
            return
        pid = booth.open_display(place, chromium, args.browser_arg)
        where = "full screen on the second screen" if place.display_full_screen else "beside the payer window"
        print(f"Merchant display opened in Chromium (pid {pid}), {where}.", file=sys.stderr, flush=True)

    return run_app(camera=args.camera, kiosk=True, lang=args.lang, acquirer=booth.url,
                   enrol_code=booth.enrol_code, operator_token=booth.app.state.activation.operator_token,
                   area=place.window, on_shown=open_display)

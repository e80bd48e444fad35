"""``payer-app gui [--camera SOURCE] [--kiosk] [--lang vi|en] [--verbose] [--acquirer URL [--enrol-code CODE]]``:
open the payer app window.

Without a display Qt aborts (a core dump and a misleading hint about ``libxcb-cursor0``), so the
display is checked first, without loading Qt: no display, or one that does not answer, is one line
on stderr and exit 2. ``--verbose`` logs what the window does to stderr, one event a line
(``payer_app.gui.app: window shown after 412 ms``, ``payer_app.gui.navigator: screen home``...).
"""

from __future__ import annotations

import logging
import os
import socket
import sys

from payer_app.cli.camera_options import add_camera_password_option, camera_spec
from payer_app.cli.exits import UsageError

# Qt platforms that need no display server (QT_QPA_PLATFORM=offscreen for tests, vnc, framebuffers).
DISPLAYLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb",
                                   "vkkhrdisplay", "directfb"})
NO_DISPLAY_ADVICE = "run it from a desktop session, or on a virtual display: xvfb-run make run"
PROBE_TIMEOUT_S = 2.0
LOG_FORMAT = "%(name)s: %(message)s"


def register(sub) -> None:
    p = sub.add_parser(
        "gui",
        help="open the payer app window (the default when no command is given)",
        description="Open the mobile-style payer app: scan a bill QR, check the payee, pay with a signed mock request.",
    )
    p.add_argument("--camera", metavar="SOURCE", default=None,
                   help="what to scan, as in `payer-app scan`: demo, camera:N, /dev/videoN, a video, an image "
                        "or a folder (default: the camera in the settings, else the demo camera)")
    add_camera_password_option(p)
    p.add_argument("--kiosk", action="store_true",
                   help="full screen, back to home after the receipt or when idle, settings hidden "
                        "(long press on the greeting or Ctrl+Alt+S), no history unless the settings say so")
    p.add_argument(
        "--lang", choices=("vi", "en"), default=None, help="language of the window (default: settings, else vi)"
    )
    p.add_argument("--verbose", action="store_true",
                   help="log what the window does (window shown, screens entered...) to standard error")
    p.add_argument("--acquirer", metavar="URL", default=None,
                   help="pay this mock acquirer (http://HOST:PORT) instead of the one in the settings (not saved)")
    p.add_argument("--enrol-code", metavar="CODE", default=None,
                   help="with --acquirer: the acquirer's enrolment code; the window enrols its key with it at "
                        "start when the acquirer does not accept the key yet")
    p.set_defaults(func=run)


def run(args) -> int:
    problem = display_problem(os.environ)
    if problem:
        raise UsageError(f"the window cannot open: {problem}; {NO_DISPLAY_ADVICE}")
    if args.camera is not None:
        args.camera = camera_spec(args.camera, args)
        check_camera_spec(args.camera)
    elif args.camera_password_file is not None:
        raise UsageError("--camera-password-file goes with --camera URL (a network camera)")
    check_acquirer_options(args.acquirer, args.enrol_code)
    try:
        from payer_app.gui.app import run_app
    except ImportError as exc:  # Qt missing (a headless install) or its system libraries absent
        advice = "; the window needs the gui extra: pip install '.[gui]' (or make run)" if (
            exc.name or "").startswith(("PySide6", "shiboken6")) else ""
        raise UsageError(f"the window cannot start: {exc}{advice}") from None
    if args.verbose:
        log_events_to_stderr()
    return run_app(camera=args.camera, kiosk=args.kiosk, lang=args.lang, acquirer=args.acquirer,
                   enrol_code=args.enrol_code)


def check_acquirer_options(url: str | None, code: str | None) -> None:
    """--acquirer is an http(s) URL; --enrol-code goes with it and has the acquirer's form."""
    from payer_app.core.display_text import visible

    if code is not None and not url:
        raise UsageError("--enrol-code goes with --acquirer URL (the acquirer that gave the code)")
    if url is not None and not (url.startswith(("http://", "https://")) and len(url) <= 2000):
        raise UsageError(f"--acquirer must be an http:// or https:// URL, not {visible(url, 100)}")
    if code is not None and (not code or len(code) > 128 or not code.isascii() or not code.isprintable()):
        raise UsageError("--enrol-code must be the code the acquirer printed (printable ASCII, at most 128 characters)")


def log_events_to_stderr() -> None:
    """INFO and above from every payer_app logger to standard error, one event a line (other
    libraries keep Python's default: their warnings only)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger = logging.getLogger("payer_app")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)


def check_camera_spec(spec: str) -> None:
    """Refuse a source that cannot exist before opening a window (exit 2 with the reason)."""
    try:
        from payer_app.scan.source_specs import make_source
        from payer_app.scan.sources import SourceError
    except ImportError:
        return
    try:
        make_source(spec)
    except SourceError as exc:
        raise UsageError(str(exc)) from exc


def display_problem(environ, platform: str = sys.platform) -> str | None:
    """Why no window can open here (None: a display is there, or Qt needs none)."""
    if not platform.startswith("linux"):
        return None  # Windows and macOS always have their own window system
    wanted = [p.split(":")[0].strip() for p in environ.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if any(p in DISPLAYLESS_PLATFORMS for p in wanted):
        return None
    x_display = environ.get("DISPLAY", "")
    wayland = environ.get("WAYLAND_DISPLAY", "")
    try_x = not wanted or "xcb" in wanted
    try_wayland = not wanted or any(p.startswith("wayland") for p in wanted)
    if not (try_x and x_display) and not (try_wayland and wayland):
        if wanted and not (try_x or try_wayland):
            return None  # a platform we do not know: let Qt decide
        unset = " and ".join(n for n, used in (("DISPLAY", try_x), ("WAYLAND_DISPLAY", try_wayland)) if used)
        return f"no display ({unset} {'are' if ' and ' in unset else 'is'} not set)"
    if try_wayland and wayland and _wayland_reachable(wayland, environ):
        return None
    if try_x and x_display and _x_display_reachable(x_display):
        return None
    shown = x_display if (try_x and x_display) else wayland
    return f"the display {shown!r} does not answer"


def _connects(family: int, address) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(PROBE_TIMEOUT_S)
        try:
            sock.connect(address)
        except OSError:
            return False
        return True


def _x_display_reachable(display: str) -> bool:
    """Connect to the X server named by DISPLAY ([host]:number[.screen]) as Xlib would."""
    host, sep, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not sep or not number.isdigit():
        return False
    if host in ("", "unix") or host.startswith("/"):
        path = host if host.startswith("/") else f"/tmp/.X11-unix/X{number}"
        # Linux X servers listen on an abstract socket as well as on the file
        return _connects(socket.AF_UNIX, "\0" + f"/tmp/.X11-unix/X{number}") or _connects(socket.AF_UNIX, path)
    try:  # a TCP display (ssh -X forwards localhost:10)
        socket.create_connection((host, 6000 + int(number)), timeout=PROBE_TIMEOUT_S).close()
    except OSError:
        return False
    return True


def _wayland_reachable(name: str, environ) -> bool:
    path = name if name.startswith("/") else os.path.join(environ.get("XDG_RUNTIME_DIR", ""), name)
    return _connects(socket.AF_UNIX, path)

"""``payer-app gui [--camera SOURCE] [--kiosk] [--lang vi|en]``: open the payer app window."""

from __future__ import annotations

from payer_app.cli import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "gui",
        help="open the payer app window (the default when no command is given)",
        description="Open the mobile-style payer app: scan a bill QR, check the payee, pay with a signed mock request.",
    )
    p.add_argument("--camera", metavar="SOURCE", default=None,
                   help="what to scan, as in `payer-app scan`: demo, camera:N, /dev/videoN, a video, an image "
                        "or a folder (default: the camera in the settings, else the demo camera)")
    p.add_argument("--kiosk", action="store_true",
                   help="full screen, back to home after the receipt or when idle, settings hidden "
                        "(long press on the greeting or Ctrl+Alt+S), no history unless the settings say so")
    p.add_argument("--lang", choices=("vi", "en"), default=None, help="language of the window (default: settings, else vi)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.camera is not None:
        check_camera_spec(args.camera)
    try:
        from payer_app.gui.app import run_app
    except ImportError as exc:  # Qt missing or its system libraries absent
        print(f"payer-app: error: the window cannot start: {exc}", flush=True)
        return 2
    return run_app(camera=args.camera, kiosk=args.kiosk, lang=args.lang)


def check_camera_spec(spec: str) -> None:
    """Refuse a source that cannot exist before opening a window (exit 2 with the reason)."""
    try:
        from payer_app.scan.sources import SourceError, make_source
    except ImportError:
        return
    try:
        make_source(spec)
    except SourceError as exc:
        raise UsageError(str(exc)) from exc

"""``payer-app generate video BILL_OR_PAYLOAD -o clip.mp4``: a repeatable camera-like clip of a bill.

Registered by ``generate_cmd`` as one more ``generate`` subcommand; the frames are the demo
camera's (``payer_app.studio.video``).
"""

from __future__ import annotations

import json
import re
import sys

from payer_app.cli.exits import EXIT_OK, UsageError
from payer_app.cli.options import add_command, add_json_option
from payer_app.core.display_text import visible


def register_video(what) -> None:
    from payer_app.studio.video_options import BLURS, LIGHTS, MOTIONS

    video = add_command(what, "video", "write a camera-like clip of a bill (repeatable per seed)",
                        "Write a video of a bill filmed by a camera: the demo camera's renderer with a chosen "
                        "motion, light and blur. BILL_OR_PAYLOAD is a picture of a bill (.png, .jpg...), a QR "
                        "payload (printed on a plain bill card), or demo. Same options and seed, same frames. "
                        "Prints the payload.", func=run_video)
    video.add_argument("bill", metavar="BILL_OR_PAYLOAD", help="a bill picture, a payload, or demo")
    video.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write: .mp4 or .avi")
    video.add_argument("--seconds", type=float, default=4.0, metavar="N", help="length (default 4)")
    video.add_argument("--fps", type=float, default=30.0, metavar="N", help="frames per second (default 30)")
    video.add_argument("--size", default="1280x720", metavar="WxH", help="frame size (default 1280x720)")
    video.add_argument("--motion", choices=MOTIONS, default="handheld", help="how the camera moves (default handheld)")
    video.add_argument("--light", choices=LIGHTS, default="normal", help="lighting (default normal)")
    video.add_argument("--blur", choices=BLURS, default="none", help="focus or motion blur (default none)")
    video.add_argument(
        "--qr-size", type=float, metavar="PX", help="the code's side in the frame (default: from its size)"
    )
    video.add_argument("--seed", type=int, default=0, metavar="N", help="same seed, same clip (default 0)")
    add_json_option(video, "print what was written as JSON")


def run_video(args) -> int:
    from payer_app.studio.video import ClipSpec, VideoSpecError, write_clip

    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", args.size.strip().lower())
    if not match:
        raise UsageError("--size must be WIDTHxHEIGHT, e.g. 1280x720")
    spec = ClipSpec(seconds=args.seconds, fps=args.fps, size=(int(match.group(1)), int(match.group(2))),
                    motion=args.motion, light=args.light, blur=args.blur, seed=args.seed, qr_side=args.qr_size)
    try:
        spec.check()
        written = write_clip(args.bill, args.output, spec)
    except VideoSpecError as exc:
        raise UsageError(visible(str(exc), 500)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write {visible(args.output, 300)}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(written, ensure_ascii=False))
    else:
        if written["payload"] is not None:
            print(visible(written["payload"]))
        print(f"{written['frames']} frames, {written['size'][0]}x{written['size'][1]} at {written['fps']:g} fps "
              f"({written['motion']}, {written['light']} light, blur {written['blur']}, seed {written['seed']}): "
              f"{visible(written['path'], 300)}", file=sys.stderr)
    return EXIT_OK

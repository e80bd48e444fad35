"""The network camera's password, kept off the command line: ``--camera-password-file FILE`` or the
``PAYER_APP_CAMERA_PASSWORD`` environment variable (the file wins). Every command that takes a camera
URL (``scan``, ``gui --camera``) declares the option here and reads it with ``camera_spec``.

The password is put into the URL in memory only, for the connection; every message names the camera
with ``***@`` (``scan.network_source.mask_credentials``). A URL typed with its password still works,
with one warning: the process list (``ps``) shows every command-line argument to every local user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from payer_app.cli.exits import UsageError

PASSWORD_ENV = "PAYER_APP_CAMERA_PASSWORD"
MAX_PASSWORD_FILE_BYTES = 4096
PS_WARNING = ("payer-app: warning: the camera password is on the command line, where every local user can "
              f"read it (ps); put it in a file for --camera-password-file FILE, or in {PASSWORD_ENV}")
_warned = False


def add_camera_password_option(parser) -> None:
    parser.add_argument("--camera-password-file", metavar="FILE",
                        help="read the network camera's password from FILE (its first line), so that it is not "
                             f"in the process list; or set {PASSWORD_ENV}")


def camera_spec(spec: str, args, environ=os.environ) -> str:
    """``spec``, with the password from ``--camera-password-file`` or the environment put into it
    when it is a network camera URL. Warns once when the URL on the command line holds a password."""
    from payer_app.scan.network_source import has_password, is_network_url, with_password

    path = getattr(args, "camera_password_file", None)
    if not is_network_url(spec):
        if path is not None:
            raise UsageError("--camera-password-file is for a network camera (an http:// or rtsp:// URL)")
        return spec
    if path is not None:
        return with_password(spec, read_password_file(path))
    if environ.get(PASSWORD_ENV):
        return with_password(spec, environ[PASSWORD_ENV])
    if has_password(spec):
        warn_password_on_command_line()
    return spec


def warn_password_on_command_line() -> None:
    global _warned
    if not _warned:
        _warned = True
        print(PS_WARNING, file=sys.stderr, flush=True)


def read_password_file(path: str) -> str:
    """The first line of the password file (no FIFO or device is waited on; at most 4 kB read)."""
    from payer_app.core.display_text import visible
    from payer_app.files import UnsafeFileError, read_regular_file

    try:
        data = read_regular_file(Path(path), MAX_PASSWORD_FILE_BYTES, "the camera password file",
                                 follow_symlinks=True, fix="Give the file that holds the password.")
    except UnsafeFileError as exc:
        raise UsageError(str(exc)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the camera password file {visible(path)} is not UTF-8 text") from None
    password = text.split("\n", 1)[0].removesuffix("\r")
    if not password:
        raise UsageError(f"the camera password file {visible(path)} is empty (the password is its first line)")
    return password

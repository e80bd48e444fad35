"""Network camera URLs in the window: checked before use, shown only masked, the last few remembered.

The scan engine (``scan.network_source``) owns what a camera URL may be; this module asks it. Recent
URLs are remembered in settings.json WITHOUT their ``user:pass@`` part: settings.json is a plain file,
so a password typed with a URL is used for this session only and must be typed again next time.
"""

from __future__ import annotations

import urllib.parse

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout

from payer_app.core.display_text import visible
from payer_app.gui.plain_text import PlainLabel, shown
from payer_app.scan.network_source import MAX_URL_CHARS, NetworkCameraSource, is_network_url, mask_credentials
from payer_app.scan.sources import SourceError

MAX_RECENT_URLS = 5


def camera_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a network camera (already masked and escaped), or None when it can.

    Only the URL's form is checked here (scheme, host, port, no spaces or control characters);
    whether a camera answers is found out by the scan session, off the GUI thread."""
    url = url.strip()
    if not is_network_url(url):
        return f"{shown(mask_credentials(url), 80)}: a network camera URL starts with http://, https:// or rtsp://"
    try:
        NetworkCameraSource(url)  # checks the form only; opens nothing
    except SourceError as exc:
        return str(exc)
    if visible(url) != url:  # bidi controls, zero-width or C1 characters: a URL that hides its text
        return f"{shown(mask_credentials(url), 80)}: the URL holds invisible or control characters"
    return None


# The scan engine words its refusals in English; the ones the dialog meets, by their ending, and the key
# of the same reason in the UI language. A reason not listed here is shown as the engine wrote it.
_REASONS: tuple[tuple[str, str], ...] = (
    ("a network camera URL starts with http://, https:// or rtsp://", "camera_url.why.scheme"),
    ("the URL names no host", "camera_url.why.no_host"),
    ("the port is not a number between 0 and 65535", "camera_url.why.port"),
    ("the URL holds spaces or control characters", "camera_url.why.spaces"),
    ("the URL holds invisible or control characters", "camera_url.why.invisible"),
    (f"the URL is longer than {MAX_URL_CHARS} characters", "camera_url.why.too_long"),
)


def camera_url_reason(t, url: str) -> str | None:
    """``camera_url_problem(url)`` in the UI language (``t`` is the window's translator), or None."""
    problem = camera_url_problem(url)
    if problem is None:
        return None
    for english, key in _REASONS:
        if problem.endswith(": " + english):
            return problem[: -len(english)] + t(key, limit=MAX_URL_CHARS)
    return problem


def without_credentials(url: str) -> str:
    """``url`` with any ``user:pass@`` removed (what may be written to settings.json)."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def camera_label(spec: str) -> str:
    """How a camera spec is shown: a URL with its credentials masked, escaped and shortened."""
    return shown(mask_credentials(spec))


def camera_choices(demo_label: str, found: list[tuple[str, str]], recent_urls: list[str], in_use: str,
                   in_use_label: str | None = None) -> list[tuple[str, str]]:
    """(spec, label) for a camera picker: the demo camera, the cameras found, the network cameras
    used lately (kept without credentials), then the camera in use when it is none of those.
    Labels are as ``camera_label`` shows them (escaped, a URL's user:pass@ masked)."""
    choices = [("demo", demo_label)] + [(spec, label) for spec, label in found if spec != "demo"]
    specs = {spec for spec, _ in choices}
    for url in recent_urls:
        if url not in specs:
            choices.append((url, url))
            specs.add(url)
    if in_use not in specs:
        choices.append((in_use, in_use_label or in_use))
    return [(spec, camera_label(label)) for spec, label in choices]


def remembered(recent: list[str], url: str) -> list[str]:
    """``recent`` with ``url`` (credentials removed) first, no repeats, at most MAX_RECENT_URLS."""
    clean = without_credentials(url)
    return ([clean] + [u for u in recent if u != clean])[:MAX_RECENT_URLS]


def clean_recent(values: object) -> list[str]:
    """Recent URLs read from settings.json: only well-formed URLs without credentials, at most five."""
    out: list[str] = []
    if not isinstance(values, list):
        return out
    for value in values:
        if (isinstance(value, str) and len(value) <= MAX_URL_CHARS and camera_url_problem(value) is None
                and value == without_credentials(value) and value not in out):
            out.append(value)
    return out[:MAX_RECENT_URLS]


class CameraUrlDialog(QDialog):
    """A small dialog: one URL field, the problem shown under it; OK only closes on a valid URL."""

    def __init__(self, t, parent=None):
        super().__init__(parent)
        self.setObjectName("CameraUrlDialog")
        self.setWindowTitle(t("camera_url.title"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.prompt = PlainLabel(t("camera_url.prompt"))
        self.prompt.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setObjectName("CameraUrlEdit")
        self.field.setMaxLength(MAX_URL_CHARS)
        self.field.setPlaceholderText("http://192.168.1.20:8080/video")
        self.error = PlainLabel("")
        self.error.setObjectName("CameraUrlError")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.note = PlainLabel(t("camera_url.no_password_saved"))
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        for w in (self.prompt, self.field, self.error, self.note, self.buttons):
            layout.addWidget(w)
        self._t = t
        self.url = ""

    def _try_accept(self) -> None:
        problem = camera_url_reason(self._t, self.field.text())
        if problem is not None:
            self.error.setText(self._t("camera_url.invalid", problem=problem))
            self.error.show()
            self.field.setFocus()
            return
        self.url = self.field.text().strip()
        self.accept()

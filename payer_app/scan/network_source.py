"""Network cameras: a phone or IP camera serving MJPEG over HTTP, or RTSP.

``payer-app scan http://HOST:PORT/PATH`` (IP Webcam, DroidCam and most IP cameras serve
``multipart/x-mixed-replace`` JPEG frames) and ``payer-app scan rtsp://HOST:PORT/PATH`` are opened
through OpenCV's FFmpeg backend with open and read time-outs. The source is *live*: the scan
session's capture thread keeps only the newest frame, exactly as for a webcam, and when the stream
drops (the phone app closes, Wi-Fi goes) the session reopens it every half second until it is back.

Credentials in the URL (``http://user:password@host/...``) are used to connect and never shown: the
source's ``spec`` (what every message, JSON line and report names) is the URL with ``user:pass@``
replaced by ``***@``, and every message that could quote the URL goes through ``mask_credentials``.

Before FFmpeg is asked, an HTTP URL is probed with one plain request (status line and headers
only), so that "nothing answers", "wants a password" and "not a video stream" are told apart
instead of a bare "cannot open".
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import ssl
import time
import urllib.parse

from payer_app.core.display_text import visible
from payer_app.scan.sources import CameraSource, SourceError

NETWORK_SCHEMES = ("http", "https", "rtsp", "rtsps")
OPEN_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 5.0
MAX_URL_CHARS = 2048

_URL_START = re.compile(r"(?i)^(?:https?|rtsps?)://")
# scheme://userinfo@ anywhere in a text: userinfo runs up to the last "@" before the host part ends
_USERINFO = re.compile(r"(?i)\b((?:https?|rtsps?|tcp|tls)://)[^\s/?#@]*(?:@[^\s/?#@]*)*@")


def is_network_url(spec: str) -> bool:
    return bool(_URL_START.match(spec.strip()))


def mask_credentials(text: object) -> str:
    """``text`` with every ``scheme://user:pass@`` written as ``scheme://***@``."""
    return _USERINFO.sub(lambda m: m.group(1) + "***@", "" if text is None else str(text))


def _shown(text: object, max_chars: int = 300) -> str:
    return visible(mask_credentials(text), max_chars)


class NetworkCameraSource(CameraSource):
    """A camera on the network, by URL (http, https, rtsp, rtsps)."""

    kind = "network"
    live = True

    def __init__(self, url: str, open_timeout_s: float = OPEN_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S):
        url = url.strip()
        if len(url) > MAX_URL_CHARS:
            raise SourceError(f"{_shown(url, 80)}: the URL is longer than {MAX_URL_CHARS} characters")
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in NETWORK_SCHEMES:
            raise SourceError(f"{_shown(url)}: a network camera URL starts with http://, https:// or rtsp://")
        try:
            port = parts.port
        except ValueError:
            raise SourceError(f"{_shown(url)}: the port is not a number between 0 and 65535") from None
        if not parts.hostname:
            raise SourceError(f"{_shown(url)}: the URL names no host")
        if any(ch in url for ch in "\r\n\t ") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            raise SourceError(f"{_shown(url)}: the URL holds spaces or control characters")
        super().__init__(_shown(url, MAX_URL_CHARS), url)
        self.url = url
        self.scheme = scheme
        self.host = parts.hostname
        self.port = port or {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}[scheme]
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password) if parts.password else None
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s

    def __repr__(self) -> str:
        return f"<NetworkCameraSource {self.spec!r}>"

    # opening ---------------------------------------------------------------------------------
    def _open(self) -> None:
        where = f"{self.host}:{self.port}"
        self._check_reachable(where)
        if self.scheme in ("http", "https"):
            self._probe_http()
        self._open_capture()

    def _check_reachable(self, where: str) -> None:
        try:
            with socket.create_connection((self.host, self.port), timeout=min(3.0, self.open_timeout_s)):
                pass
        except socket.gaierror:
            raise SourceError(f"{self.spec}: unknown host {_shown(self.host)}") from None
        except ConnectionRefusedError:
            raise SourceError(f"{self.spec}: nothing answers at {_shown(where)} (connection refused); "
                              "is the camera app running and the address right?") from None
        except (TimeoutError, socket.timeout):
            raise SourceError(f"{self.spec}: no answer from {_shown(where)} within "
                              f"{min(3.0, self.open_timeout_s):g} s") from None
        except OSError as exc:
            raise SourceError(f"{self.spec}: cannot reach {_shown(where)}: {_shown(exc.strerror or exc)}") from None

    def _probe_http(self) -> None:
        """One GET, status line and headers only: tells 'wants a password' and 'not a video' apart."""
        parts = urllib.parse.urlsplit(self.url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn_class = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(self.host, self.port, timeout=self.open_timeout_s)
        headers = {"User-Agent": "payer-app", "Accept": "*/*"}
        if self.username is not None:
            token = f"{self.username}:{self.password or ''}".encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            status, reason = response.status, response.reason
            content_type = (response.getheader("Content-Type") or "").lower()
        except ssl.SSLCertVerificationError:
            raise SourceError(f"{self.spec}: the camera's HTTPS certificate is not trusted (self-signed?); "
                              "use its http:// address on a network you trust") from None
        except (OSError, http.client.HTTPException) as exc:
            raise SourceError(f"{self.spec}: the camera did not answer the request: {_shown(exc)}") from None
        finally:
            conn.close()
        if status in (401, 403):
            what = "a user name and password" if self.username is None else "other credentials"
            raise SourceError(f"{self.spec}: the camera wants {what} (HTTP {status} {_shown(reason, 60)})")
        if status == 404:
            raise SourceError(f"{self.spec}: no such path on the camera (HTTP 404); for IP Webcam try /video")
        if status >= 400:
            raise SourceError(f"{self.spec}: the camera answered HTTP {status} {_shown(reason, 60)}")
        if content_type.startswith(("text/html", "application/json", "text/plain")):
            raise SourceError(f"{self.spec}: the URL serves {_shown(content_type, 60)}, not a video stream "
                              "(the camera app's page, not its video path?)")

    def _open_capture(self) -> None:
        from payer_app.scan.sources import _cv2

        cv2 = _cv2()
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout_s * 1000)]
        try:
            cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        except cv2.error as exc:
            raise SourceError(f"{self.spec}: OpenCV could not open the stream: {_shown(exc)}") from None
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.spec}: the camera answers, but no video could be read from it "
                              "(not MJPEG / RTSP, or a codec FFmpeg lacks)")
        try:
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        except cv2.error:
            pass
        self._cap = cap
        if not self._t0:  # frame times run on from the first connection, across reconnections
            self._t0 = time.monotonic()
        self._next_due = time.monotonic()

    # reading ---------------------------------------------------------------------------------
    def _read(self):
        try:
            return super()._read()
        except SourceError:
            raise SourceError(f"{self.spec}: the stream stopped delivering frames; reconnecting") from None

"""Network cameras: a phone or IP camera serving MJPEG over HTTP, or RTSP.

``payer-app scan http://HOST:PORT/PATH`` (IP Webcam, DroidCam and most IP cameras serve
``multipart/x-mixed-replace`` JPEG frames) is read by our own bounded reader (``MjpegStream``): one
socket with time-outs, each frame within ``READ_TIMEOUT_S`` and ``MAX_FRAME_BYTES``, its JPEG
header's size checked against the pixel cap before ``cv2.imdecode`` sees it. So an endless frame,
garbage, a 30000x30000 frame or a server that stops mid-header or mid-frame ends the read in
bounded time with one message, and ``interrupt()`` (called by ``ScanSession.stop``) ends a read in
flight at once. ``rtsp://`` URLs, and HTTP answers that are not JPEG, go through OpenCV's FFmpeg
backend with open and read time-outs (FFmpeg's own log silenced, see ``sources.quiet_cv2``).

The source is *live*: the scan session's capture thread keeps only the newest frame, exactly as
for a webcam, and when the stream drops (the phone app closes, Wi-Fi goes) the session reopens it
every half second until it is back.

Credentials in the URL (``http://user:password@host/...``), or given apart (``password=``, from
``--camera-password-file`` or ``PAYER_APP_CAMERA_PASSWORD``), are used to connect and never shown:
the source's ``spec`` (what every message, JSON line and report names) is the URL with
``user:pass@`` replaced by ``***@``, and every message that could quote the URL goes through
``mask_credentials``.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
import urllib.parse

from payer_app.core.display_text import visible
from payer_app.scan.limits import MAX_JPEG_SCANS, file_size_text, pixel_cap_problem
from payer_app.scan.sources import CameraSource, CameraStopped, Frame, SourceError

NETWORK_SCHEMES = ("http", "https", "rtsp", "rtsps")
OPEN_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 5.0  # a whole frame (boundary, part headers, JPEG) must arrive within this
MAX_URL_CHARS = 2048
MAX_HEADER_BYTES = 16 * 1024  # the HTTP answer's headers, and each part's headers
MAX_FRAME_BYTES = 16 * 1024 * 1024  # one JPEG frame (a phone's 1080p frame is about 0.3 MB)
_JPEG_TYPES = ("multipart/x-mixed-replace", "image/jpeg", "image/jpg", "image/pjpeg", "video/x-motion-jpeg",
               "video/mjpeg", "video/x-mjpeg")

_URL_START = re.compile(r"(?i)^(?:https?|rtsps?)://")
# scheme://userinfo@ anywhere in a text: userinfo runs up to the last "@" before the host part ends
_USERINFO = re.compile(r"(?i)\b((?:https?|rtsps?|tcp|tls)://)[^\s/?#@]*(?:@[^\s/?#@]*)*@")


def is_network_url(spec: str) -> bool:
    return bool(_URL_START.match(spec.strip()))


def mask_credentials(text: object) -> str:
    """``text`` with every ``scheme://user:pass@`` written as ``scheme://***@``."""
    return _USERINFO.sub(lambda m: m.group(1) + "***@", "" if text is None else str(text))


def has_password(url: str) -> bool:
    """True when the URL itself holds a password (``scheme://user:password@host``)."""
    try:
        return urllib.parse.urlsplit(url.strip()).password is not None
    except ValueError:
        return False


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` in its user part (an empty user name when the URL names none); kept
    in memory only, for the connection."""
    parts = urllib.parse.urlsplit(url.strip())
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = urllib.parse.quote(urllib.parse.unquote(user), safe="") + ":" + urllib.parse.quote(password, safe="")
    return urllib.parse.urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))


def _shown(text: object, max_chars: int = 300) -> str:
    return visible(mask_credentials(text), max_chars)


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) declared by a JPEG's frame header (SOFn), read without decoding; None when
    ``data`` is not a JPEG or has no frame header before its first scan."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if at + 9 > len(data):
                return None
            height = int.from_bytes(data[at + 5:at + 7], "big")
            width = int.from_bytes(data[at + 7:at + 9], "big")
            return width, height
        if marker in (0xDA, 0xD9) or length < 2:
            return None
        at += 2 + length
    return None


class _Interrupted(Exception):
    """The session stopped the source while a read was in flight."""


class MjpegStream:
    """One HTTP connection to a JPEG camera: ``open()`` sends the request and reads the answer's
    headers, ``next_jpeg()`` the next frame's bytes. Every wait is bounded by a deadline; every size
    by a cap. ``interrupt()`` (from another thread) ends a wait at once."""

    def __init__(self, source: NetworkCameraSource):
        self.source = source
        self.spec = source.spec
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._deadline = 0.0
        self._interrupted = False
        self.boundary: bytes | None = None  # None: JPEGs one after another (no multipart)
        self.content_type = ""
        self.status = 0
        self.late = False  # the last wait ran out of time
        self.ended = False  # a bare JPEG answer ended after its picture (a snapshot URL)

    # connection ------------------------------------------------------------------------------
    def open(self, timeout_s: float) -> None:
        src = self.source
        self._deadline = time.monotonic() + timeout_s
        sock = _connect(src, min(3.0, timeout_s))
        self._sock = sock
        if src.scheme == "https":
            self._sock = sock = self._wrap_tls(sock)
        parts = urllib.parse.urlsplit(src.url)
        path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        host = src.host if ":" not in src.host else f"[{src.host}]"
        # HTTP/1.0: the answer cannot come in chunked transfer coding, the body is the stream itself
        lines = [f"GET {path} HTTP/1.0", f"Host: {host}:{src.port}", "User-Agent: payer-app", "Accept: */*",
                 "Connection: close"]
        if src.username is not None or src.password is not None:
            token = f"{src.username or ''}:{src.password or ''}".encode()
            lines.append("Authorization: Basic " + base64.b64encode(token).decode("ascii"))
        try:
            sock.settimeout(max(0.01, self._deadline - time.monotonic()))
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
            head = self._until(b"\r\n\r\n", MAX_HEADER_BYTES, "end of the answer's headers")
        except (_Interrupted, OSError, CameraStopped) as exc:
            self.close()
            if isinstance(exc, (TimeoutError, socket.timeout)) or (isinstance(exc, CameraStopped) and self.late):
                raise CameraStopped(f"{self.spec}: the camera did not answer the request within "
                                    f"{timeout_s:g} s") from None
            if isinstance(exc, CameraStopped):
                raise SourceError(str(exc).removesuffix("; reconnecting")) from None
            raise SourceError(f"{self.spec}: the camera did not answer the request: {_shown(exc)}") from None
        self._read_status(head)

    def _wrap_tls(self, sock: socket.socket) -> socket.socket:
        import ssl  # here: only an https:// camera needs it (the window starts without it)

        context = ssl.create_default_context()
        try:
            sock.settimeout(max(0.01, self._deadline - time.monotonic()))
            return context.wrap_socket(sock, server_hostname=self.source.host)
        except ssl.SSLCertVerificationError:
            sock.close()
            raise SourceError(f"{self.spec}: the camera's HTTPS certificate is not trusted (self-signed?); "
                              "use its http:// address on a network you trust") from None
        except OSError as exc:
            sock.close()
            raise SourceError(f"{self.spec}: the camera did not answer the request: {_shown(exc)}") from None

    def _read_status(self, head: bytes) -> None:
        text = head.decode("iso-8859-1")
        lines = text.split("\r\n")
        match = re.match(r"HTTP/\d(?:\.\d)? (\d{3})(?: (.*))?$", lines[0])
        if not match:
            self.close()
            raise SourceError(f"{self.spec}: the camera's answer is not HTTP ({_shown(lines[0], 60)})")
        status, reason = int(match.group(1)), match.group(2) or ""
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.status = status
        self.content_type = headers.get("content-type", "").lower()
        src = self.source
        if status >= 300:
            self.close()
        if status in (401, 403):
            what = "a user name and password" if src.username is None and src.password is None else "other credentials"
            raise SourceError(f"{self.spec}: the camera wants {what} (HTTP {status} {_shown(reason, 60)})")
        if status == 404:
            raise SourceError(f"{self.spec}: no such path on the camera (HTTP 404); for IP Webcam try /video")
        if status >= 300:
            raise SourceError(f"{self.spec}: the camera answered HTTP {status} {_shown(reason, 60)}")
        if self.content_type.startswith(("text/html", "application/json", "text/plain")):
            self.close()
            raise SourceError(f"{self.spec}: the URL serves {_shown(self.content_type, 60)}, not a video stream "
                              "(the camera app's page, not its video path?)")
        found = re.search(r'boundary="?([^";,]+)"?', headers.get("content-type", ""), re.IGNORECASE)
        if self.content_type.startswith("multipart/"):
            if not found:
                self.close()
                raise SourceError(f"{self.spec}: a multipart answer without a boundary")
            boundary = found.group(1).strip().encode("latin-1", "replace")
            self.boundary = boundary[2:] if boundary.startswith(b"--") else boundary

    @property
    def is_jpeg(self) -> bool:
        return self.content_type.startswith(_JPEG_TYPES)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def interrupt(self) -> None:
        self._interrupted = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # reading ---------------------------------------------------------------------------------
    def _more(self, what: str) -> None:
        """Receive more bytes into the buffer before the deadline, or raise."""
        if self._interrupted or self._sock is None:
            raise _Interrupted()
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise CameraStopped(self._late(what))
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except TimeoutError:
            raise CameraStopped(self._late(what)) from None
        except OSError as exc:
            if self._interrupted:
                raise _Interrupted() from None
            raise CameraStopped(f"{self.spec}: the stream stopped delivering frames ({_shown(exc)}); "
                                "reconnecting") from None
        if self._interrupted:
            raise _Interrupted()
        if not chunk:
            raise CameraStopped(f"{self.spec}: the stream stopped delivering frames (the camera closed "
                                "the connection); reconnecting")
        self._buffer += chunk

    def _late(self, what: str) -> str:
        self.late = True
        got = f", {file_size_text(len(self._buffer))} received" if self._buffer else ""
        return (f"{self.spec}: the stream stopped delivering frames (the {what} did not come within "
                f"{self.source.read_timeout_s:g} s{got}); reconnecting")

    def _until(self, marker: bytes, limit: int, what: str) -> bytes:
        """The buffer up to ``marker`` (removed from the buffer with it), within ``limit`` bytes."""
        searched = 0  # bytes already searched (a frame is not searched again from its start on every chunk)
        while True:
            at = self._buffer.find(marker, searched)
            if 0 <= at <= limit:
                found = bytes(self._buffer[:at])
                del self._buffer[:at + len(marker)]
                return found
            if len(self._buffer) > limit + len(marker):
                raise CameraStopped(f"{self.spec}: camera refused: no {what} within "
                                    f"{file_size_text(limit)} (not an MJPEG stream?); reconnecting")
            searched = max(0, len(self._buffer) - len(marker) + 1)
            self._more(what)

    def next_jpeg(self, timeout_s: float) -> bytes:
        self._deadline = time.monotonic() + timeout_s
        if self.boundary is None:
            return self._next_bare_jpeg()
        self._until(b"--" + self.boundary, MAX_HEADER_BYTES, "part boundary")
        head = self._until(b"\r\n\r\n", MAX_HEADER_BYTES, "end of the part header").decode("iso-8859-1")
        length = None
        for line in head.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                if not value.strip().isdigit():
                    raise CameraStopped(f"{self.spec}: camera refused: a part length that is not a number; "
                                        "reconnecting")
                length = int(value.strip())
        if length is not None:
            if length > MAX_FRAME_BYTES:
                raise CameraStopped(f"{self.spec}: camera refused: a frame of {file_size_text(length)}, over "
                                    f"the {file_size_text(MAX_FRAME_BYTES)} limit; reconnecting")
            while len(self._buffer) < length:
                self._more("frame")
            data = bytes(self._buffer[:length])
            del self._buffer[:length]
            return data
        data = self._until(b"--" + self.boundary, MAX_FRAME_BYTES, "end of the frame")
        self._buffer[:0] = b"--" + self.boundary  # the next part starts here
        return data.rstrip(b"\r\n")

    def _next_bare_jpeg(self) -> bytes:
        """JPEGs one after another (no multipart): from a start marker to the next one or the end."""
        self._until(b"\xff\xd8", MAX_HEADER_BYTES, "JPEG start")
        searched = 0
        while True:
            at = self._buffer.find(b"\xff\xd8", searched)
            if at >= 0:
                data = b"\xff\xd8" + bytes(self._buffer[:at])
                del self._buffer[:at]
                return data
            if len(self._buffer) > MAX_FRAME_BYTES:
                raise CameraStopped(f"{self.spec}: camera refused: a frame run past "
                                    f"{file_size_text(MAX_FRAME_BYTES)}; reconnecting")
            searched = max(0, len(self._buffer) - 1)
            try:
                self._more("frame")
            except CameraStopped:
                if self._buffer.endswith(b"\xff\xd9"):  # a snapshot URL: one picture, then the end
                    data = b"\xff\xd8" + bytes(self._buffer)
                    self._buffer.clear()
                    self.ended = True
                    return data
                raise


def _connect(src: NetworkCameraSource, timeout_s: float) -> socket.socket:
    where = _shown(f"{src.host}:{src.port}")
    try:
        return socket.create_connection((src.host, src.port), timeout=timeout_s)
    except socket.gaierror:
        raise SourceError(f"{src.spec}: unknown host {_shown(src.host)}") from None
    except ConnectionRefusedError:
        raise SourceError(f"{src.spec}: nothing answers at {where} (connection refused); "
                          "is the camera app running and the address right?") from None
    except TimeoutError:
        raise CameraStopped(f"{src.spec}: no answer from {where} within {timeout_s:g} s") from None
    except OSError as exc:
        raise SourceError(f"{src.spec}: cannot reach {where}: {_shown(exc.strerror or exc)}") from None


class NetworkCameraSource(CameraSource):
    """A camera on the network, by URL (http, https, rtsp, rtsps). ``password`` (optional) is used
    instead of one in the URL; it is never part of ``spec``."""

    kind = "network"
    live = True

    def __init__(self, url: str, open_timeout_s: float = OPEN_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S,
                 password: str | None = None):
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
        spec = _shown(url, MAX_URL_CHARS)
        if password is not None:
            url = with_password(url, password)
            parts = urllib.parse.urlsplit(url)
            spec = _shown(url, MAX_URL_CHARS)
        super().__init__(spec, url)
        self.url = url
        self.scheme = scheme
        self.host = parts.hostname or ""  # checked above: the URL names a host
        self.port = port or {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}[scheme]
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self._stream: MjpegStream | None = None
        self._lock = threading.Lock()
        self._stopping = False  # interrupt() was called: the session is ending

    def __repr__(self) -> str:
        return f"<NetworkCameraSource {self.spec!r}>"

    # opening ---------------------------------------------------------------------------------
    def _open(self) -> None:
        if self.scheme in ("http", "https"):
            stream = MjpegStream(self)
            with self._lock:
                if self._stopping:
                    raise CameraStopped(f"{self.spec}: stopped")
                self._stream = stream
            stream.open(self.open_timeout_s)
            if stream.is_jpeg:
                self._started()
                return
            stream.close()  # another kind of video over HTTP: FFmpeg reads it
            with self._lock:
                self._stream = None
        else:
            _connect(self, min(3.0, self.open_timeout_s)).close()
        self._open_capture()

    def _started(self) -> None:
        if not self._t0:  # frame times run on from the first connection, across reconnections
            self._t0 = time.monotonic()

    def _open_capture(self) -> None:
        from payer_app.scan.sources import quiet_cv2

        cv2 = quiet_cv2()
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
        self._started()
        self._next_due = time.monotonic()

    # reading ---------------------------------------------------------------------------------
    def _read(self):
        stream = self._stream
        if stream is not None and stream.ended:  # a snapshot URL: ask again for the next picture
            self._close()
            self._open()
            stream = self._stream
        if stream is None:
            try:
                return super()._read()
            except SourceError:
                raise CameraStopped(f"{self.spec}: the stream stopped delivering frames; reconnecting") from None
        try:
            data = stream.next_jpeg(self.read_timeout_s)
        except _Interrupted:
            raise CameraStopped(f"{self.spec}: stopped") from None
        image = self._decode(data)
        frame = Frame(image, self._index, (time.monotonic() - self._t0) * 1000.0, time.monotonic())
        self._index += 1
        return frame

    def _decode(self, data: bytes):
        """A JPEG frame as a BGR image, its declared size and scan count checked first."""
        import numpy as np

        from payer_app.scan.sources import quiet_cv2

        size = jpeg_size(data)
        if size is None:
            raise CameraStopped(f"{self.spec}: camera refused: a frame that is not a JPEG picture; reconnecting")
        problem = pixel_cap_problem(*size)
        if problem:
            raise CameraStopped(f"{self.spec}: camera refused: a frame of {problem}; reconnecting")
        if data.count(b"\xff\xda") > MAX_JPEG_SCANS:
            raise CameraStopped(f"{self.spec}: camera refused: a JPEG frame with more than {MAX_JPEG_SCANS} "
                                "scans; reconnecting")
        cv2 = quiet_cv2()
        try:
            image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        except (cv2.error, MemoryError):
            image = None
        if image is None or image.size == 0:
            raise CameraStopped(f"{self.spec}: camera refused: a damaged JPEG frame; reconnecting")
        if pixel_cap_problem(image.shape[1], image.shape[0]):
            raise CameraStopped(f"{self.spec}: camera refused: a frame larger than its header said; reconnecting")
        return image

    def interrupt(self) -> None:
        """End a read in flight (from another thread): the session is stopping."""
        with self._lock:
            self._stopping = True
            stream = self._stream
        if stream is not None:
            stream.interrupt()

    def _close(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        super()._close()

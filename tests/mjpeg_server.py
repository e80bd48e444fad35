"""A phone camera app on loopback: an MJPEG-over-HTTP server on 127.0.0.1 (multipart/x-mixed-replace
JPEG frames at /video, optional Basic auth) serving the frames of a generated clip, like IP Webcam.

It can stop like the phone app closing (listening socket and open streams gone) and freeze with the
connection open (a hung app). The sleep between frames paces the stream; it is the device's clock,
not a test waiting for something."""

from __future__ import annotations

import base64
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

USER, PASSWORD = "qa-user", "s3cret-Pw9"


def clip_jpegs(tmp_path: Path, payload: str, seed: int) -> list[bytes]:
    """The frames of a generated clip (640x360, 1 s, handheld), as JPEG files a phone would send."""
    from payer_app.studio.video import ClipSpec, write_clip

    clip = tmp_path / f"clip-{seed}.mp4"
    write_clip(payload, clip, ClipSpec(seconds=1.0, fps=15, size=(640, 360), motion="handheld", seed=seed,
                                       qr_side=220))
    cap = cv2.VideoCapture(str(clip))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    cap.release()
    assert len(out) == 15
    return out


class MjpegServer:
    """multipart/x-mixed-replace JPEG frames on http://127.0.0.1:PORT/video, Basic auth optional."""

    def __init__(self, frames: list[bytes], port: int = 0, auth: tuple[str, str] | None = None, fps: float = 15.0,
                 lengths: bool = True):
        self.frames = frames
        self.stopping = threading.Event()
        self.frozen = threading.Event()  # set: keep the connection open but send nothing (a hung phone app)
        self.connections: list[socket.socket] = []
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests += 1
                server.connections.append(self.connection)
                if auth is not None:
                    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="cam"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                if self.path == "/":
                    body = b"<html><body>camera app</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if self.path == "/shot.jpg":  # a snapshot URL: one picture per request
                    server.snapshot(self)
                    return
                if self.path != "/video":
                    self.send_error(404)
                    return
                server.stream(self, fps, lengths)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self, handler) -> None:
        jpeg = self.frames[self.requests % len(self.frames)]
        handler.send_response(200)
        handler.send_header("Content-Type", "image/jpeg")
        handler.end_headers()
        handler.wfile.write(jpeg)

    def stream(self, handler, fps: float, lengths: bool) -> None:
        """The frames, one part each, at ``fps``, until stop(); silent while frozen."""
        handler.send_response(200)
        handler.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        i = 0
        try:
            while not self.stopping.is_set():
                if self.frozen.is_set():
                    self.stopping.wait(0.05)  # a hung app: the connection stays open, silent
                    continue
                jpeg = self.frames[i % len(self.frames)]
                length = f"Content-Length: {len(jpeg)}\r\n" if lengths else ""  # some apps omit it
                handler.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                    + f"{length}\r\n".encode() + jpeg + b"\r\n")
                handler.wfile.flush()
                i += 1
                self.stopping.wait(1.0 / fps)  # the stream's frame rate
        except OSError:
            pass

    def url(self, path: str = "/video", credentials: bool = True) -> str:
        who = f"{USER}:{PASSWORD}@" if credentials else ""
        return f"http://{who}127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Like the phone app closing: the listening socket and every open stream go away."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        shut_down(self.connections)
        self.thread.join(5)


# ---------------------------------------------------------------------------------------------
# Hostile cameras

HOSTILE_MODES = ("endless-frame", "garbage", "bomb-frame", "hang-http-header", "hang-part-header",
                 "hang-mid-frame")
FFMPEG_MODES = ("bomb-frame-untyped",)  # answers that are not typed as JPEG go to OpenCV's FFmpeg reader
_MULTIPART_HEAD = (b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n"
                   b"Cache-Control: no-cache\r\n\r\n")


def bomb_jpeg(side: int = 30000) -> bytes:
    """A real, small JPEG whose frame header declares side x side pixels (tests/hostile_files.py)."""
    import io

    from PIL import Image

    from tests.hostile_files import _patch_sof

    buf = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buf, "JPEG", quality=50)
    data = bytearray(buf.getvalue())
    assert _patch_sof(data, side, side) == 1
    return bytes(data)


class HostileCamera:
    """A camera on 127.0.0.1 that answers every request on /video with one hostile stream:

    * ``endless-frame``: one JPEG part that starts (SOI, headers) and never ends (no length, no end
      marker, no next boundary; bytes keep coming);
    * ``garbage``: a multipart answer whose body is random bytes, for ever;
    * ``bomb-frame``: well-formed parts, each a small JPEG whose header declares 30000x30000 pixels;
    * ``hang-http-header``: half of the HTTP answer's headers, then silence, the socket held open;
    * ``hang-part-header``: the HTTP headers and half a part header, then silence;
    * ``hang-mid-frame``: a part announcing a 200 kB JPEG, 1 kB of it, then silence;
    * ``bomb-frame-untyped``: the bomb frames as ``application/octet-stream`` (FFmpeg reads them).

    Bytes flow at ``rate`` bytes a second at most (the device's clock, not a test waiting). ``stop``
    closes everything."""

    def __init__(self, mode: str, rate: int = 2_000_000):
        if mode not in HOSTILE_MODES + FFMPEG_MODES:
            raise ValueError(mode)
        self.mode = mode
        self.rate = rate
        self.stopping = threading.Event()
        self.requests = 0
        self.connections: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str = "/video") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            self.requests += 1
            getattr(self, "_" + self.mode.replace("-", "_"))(conn)
        except OSError:
            pass
        finally:
            self.stopping.wait()  # hold the socket open until stop()
            conn.close()

    def _send(self, conn: socket.socket, data: bytes) -> None:
        step = max(1, self.rate // 20)
        for at in range(0, len(data), step):
            if self.stopping.is_set():
                raise OSError("stopping")
            conn.sendall(data[at:at + step])
            self.stopping.wait(0.05)  # the stream's pace

    def _endless_frame(self, conn) -> None:
        jpeg = bomb_jpeg(640)
        self._send(conn, _MULTIPART_HEAD + b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg[:-2])
        filler = bytes(range(0, 255, 2)) * 512  # entropy-coded-like bytes, never FF D9
        while not self.stopping.is_set():
            self._send(conn, filler)

    def _garbage(self, conn) -> None:
        import random

        noise = random.Random(7).randbytes(65536)
        self._send(conn, _MULTIPART_HEAD)
        while not self.stopping.is_set():
            self._send(conn, noise)

    def _bomb_frame(self, conn) -> None:
        jpeg = bomb_jpeg()
        self._send(conn, _MULTIPART_HEAD)
        while not self.stopping.is_set():
            self._send(conn, b"--frame\r\nContent-Type: image/jpeg\r\n"
                       + f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
            self.stopping.wait(1 / 15)

    def _bomb_frame_untyped(self, conn) -> None:
        jpeg = bomb_jpeg()
        self._send(conn, _MULTIPART_HEAD.replace(b"multipart/x-mixed-replace; boundary=frame",
                                                 b"application/octet-stream"))
        while not self.stopping.is_set():
            self._send(conn, b"--frame\r\nContent-Type: image/jpeg\r\n"
                       + f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
            self.stopping.wait(1 / 15)

    def _hang_http_header(self, conn) -> None:
        self._send(conn, _MULTIPART_HEAD[:40])

    def _hang_part_header(self, conn) -> None:
        self._send(conn, _MULTIPART_HEAD + b"--frame\r\nContent-Type: ima")

    def _hang_mid_frame(self, conn) -> None:
        jpeg = bomb_jpeg(640)
        self._send(conn, _MULTIPART_HEAD + b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 200000\r\n\r\n"
                   + (jpeg[:-2] + bytes(1024))[:1024])

    def stop(self) -> None:
        self.stopping.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress (close alone does not)
        except OSError:
            pass
        self.listener.close()
        shut_down(self.connections)
        self.thread.join(5)


def shut_down(connections) -> None:
    """Ends every open connection at once (both directions), as a phone app closing does."""
    for conn in connections:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

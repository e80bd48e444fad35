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

    def __init__(self, frames: list[bytes], port: int = 0, auth: tuple[str, str] | None = None, fps: float = 15.0):
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
                if self.path != "/video":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                i = 0
                try:
                    while not server.stopping.is_set():
                        if server.frozen.is_set():
                            server.stopping.wait(0.05)  # a hung app: the connection stays open, silent
                            continue
                        jpeg = server.frames[i % len(server.frames)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         + f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                        self.wfile.flush()
                        i += 1
                        server.stopping.wait(1.0 / fps)  # the stream's frame rate
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/video", credentials: bool = True) -> str:
        who = f"{USER}:{PASSWORD}@" if credentials else ""
        return f"http://{who}127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Like the phone app closing: the listening socket and every open stream go away."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)

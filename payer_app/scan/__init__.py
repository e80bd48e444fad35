"""Scan engine: frame sources, decoders, confirmation, the threaded session. No Qt here.

- ``sources``: the kinds of source (cameras, videos, images, folders); ``list_cameras()``;
  ``IMAGE_SUFFIXES``; ``SourceError``.
- ``source_specs``: ``open_source(spec)`` (``make_source`` + open) for demo, cameras, network
  cameras, videos, images and folders: the one module that imports every kind.
- ``network_source``: MJPEG / RTSP / HTTP network cameras (URLs checked before opening).
- ``demo_camera``: the synthetic 30 fps camera filming a generated EVN bill.
- ``decoders``: ``Detection`` and the zbar / zxing-cpp / OpenCV decoders.
- ``engine``: ``decode_frame``, ``decode_checked``, ``decode_image_file``, ``Confirmer``, ``ScanSession``.
- ``limits``: the file-size and pixel caps checked before an image is decoded.

May import: ``core``, ``qr_symbol``, ``studio`` (the demo camera's bill, lazily); numpy, OpenCV,
pyzbar, zxing-cpp, Pillow. Results leave by callbacks; the window wraps them in signals.
"""

import os as _os

from payer_app.scan.limits import MAX_IMAGE_PIXELS as _MAX_IMAGE_PIXELS

# Second line of defence behind the header probe in sources.read_image_file: OpenCV refuses to
# decode more pixels than this. OpenCV reads the variable once, when cv2 is imported, so it is set
# here, before any module of this package imports cv2.
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(_MAX_IMAGE_PIXELS))

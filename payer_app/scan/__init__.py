"""Scan engine: frame sources, decoders, confirmation. No Qt widgets here.

- ``sources``: ``open_source(spec)`` for demo, cameras, videos, images and folders; ``list_cameras()``;
  ``SourceError``.
- ``demo_camera``: the synthetic 30 fps camera filming a generated EVN bill.
- ``decoders``: ``Detection`` and the zbar / zxing-cpp / OpenCV decoders.
- ``engine``: ``decode_frame``, ``decode_image_file``, ``Confirmer``, ``ScanSession``.
"""

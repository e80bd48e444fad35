"""Test-QR studio: printable bills, labelled corpora of good and broken QR codes, camera-like videos.

What lives here: ``bill_spec`` / ``bill`` / ``bill_layout`` (a bill from a few options and a seed),
``bill_svg`` and ``bill_pdf`` (vector writers), ``payload_faults`` and ``image_conditions`` (what
can go wrong in a payload or a picture), ``corpus`` (pictures plus ``manifest.json``), ``video``
(clips filmed by the demo camera's renderer), ``fonts``.

May import: ``core``, ``qr_symbol`` (every QR is drawn there), ``scan`` (the demo camera, for
videos); numpy, OpenCV, Pillow, reportlab. Never Qt.
"""

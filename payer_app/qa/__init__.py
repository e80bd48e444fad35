"""QA kit: expectations for batch scans (``--expect``), JUnit XML (``--junit``) and a self-contained
HTML report (``--html``), over what the scan engine decoded and core parsed; a folder's pictures
decoded fast first, thorough when needed, in worker processes (``workers``).

May import: ``core``, ``qr_symbol``, ``scan`` (the decoders, for ``workers``); numpy and OpenCV for
the report's thumbnails. Never Qt, never the command line (``cli`` calls this package, not the other
way round).
"""

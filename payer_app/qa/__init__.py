"""QA kit: expectations for batch scans (``--expect``), JUnit XML (``--junit``) and a self-contained
HTML report (``--html``), over what the scan engine decoded and core parsed.

May import: ``core``, ``qr_symbol``; numpy and OpenCV for the report's thumbnails. Never Qt, never
the command line (``cli`` calls this package, not the other way round).
"""

"""QA kit: expectations for batch scans (``--expect``), JUnit XML (``--junit``), a self-contained
HTML report (``--html``), the ``--summary`` JSON, shards and their merge, over what the scan engine
decoded and core parsed; a folder's pictures decoded fast first, thorough when needed, in worker
processes (``workers``).

May import: ``core``, ``qr_symbol``, ``files`` (atomic report writes), ``scan`` (the decoders, for
``workers``); numpy and OpenCV for the report's thumbnails. Never Qt, never the command line (``cli``
calls this package, not the other way round).
"""

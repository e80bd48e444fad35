"""QA kit: expectations for batch scans (``--expect``), JUnit XML (``--junit``) and a self-contained
HTML report (``--html``). Pure Python apart from the image thumbnails (OpenCV); no Qt."""

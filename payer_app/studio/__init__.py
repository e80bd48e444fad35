"""Test-QR studio: printable bills and labelled corpora of good and broken QR codes."""

"""Payments: the payer's side and a mock acquirer, both over core's request model and signing.

What lives here: ``service`` (``PaymentService``: build, sign, record pending, send, record the
answer; enrol, retry, history: what the window and the CLI both call), ``keystore`` (the payer's
Ed25519 key files, OpenSSH-like rules), ``history`` and ``saved_bills`` (SQLite, through the one
``sqlite_store`` helper), ``acquirer`` / ``acquirer_client`` (the mock acquirer, HTTP or embedded, and
its client), ``enrolment``, ``biller`` (EVN bills), ``merchant_display`` and ``speech``.

May import: ``core``, ``files``, ``paths``, ``studio`` (the biller's bill model); cryptography, httpx,
starlette, uvicorn. Never Qt, never the scan engine.
"""

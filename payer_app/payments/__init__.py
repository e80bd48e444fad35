"""Payments: the payer's side and a mock acquirer, both over core's request model and signing.

What lives here: ``service`` (``PaymentService``: build, sign, record pending, send, record the
answer; enrol, retry, history: what the window and the CLI both call), ``keystore`` (the payer's
Ed25519 key files, OpenSSH-like rules), ``history`` and ``saved_bills``, ``acquirer`` /
``acquirer_client`` (the mock acquirer, HTTP or embedded, its ledger, and its client), ``enrolment``
(signed key messages), ``biller`` (EVN bills), ``merchant_display`` and ``speech``. Every SQLite file
(history, saved bills, the ledger file with the biller's payments and the counter's events) is opened
through ``sqlite_store`` (one connection recipe, ``transaction()``, the schema version check).

May import: ``core``, ``files``, ``paths``, ``studio`` (the biller's bill model); cryptography, httpx,
starlette, uvicorn. Never Qt, never the scan engine.
"""

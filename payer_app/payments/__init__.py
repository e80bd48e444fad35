"""Payments: the payer's side and a mock acquirer, both over core's request model and signing.

What lives here: ``service`` (``PaymentService``: build, sign, record pending, send, record the
answer; enrol, retry, history: what the window and the CLI both call), ``keystore`` (the payer's
Ed25519 key files, OpenSSH-like rules), ``history`` and ``saved_bills``, the ``acquirer`` package
(the mock acquirer: answers, ledger, decisions, HTTP endpoints, server thread) and
``acquirer_client`` (its client, HTTP or embedded), ``enrolment`` (signed key messages), ``biller``
(EVN bills), ``merchant_display``, ``speech`` and ``json_responses``. Every SQLite file
(history, saved bills, the ledger file with the biller's payments and the counter's events) is opened
through ``sqlite_store`` (one connection recipe, ``transaction()``, the schema version check).

May import: ``core``, ``files``, ``paths``, ``studio`` (the biller's bill model); cryptography, httpx,
starlette, uvicorn. Never Qt, never the scan engine.
"""

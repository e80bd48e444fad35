"""The pure core: every payment rule, with one home each, as plain functions over values.

What lives here: payload parsing and building (``payload``, ``builder``, ``findings``, ``field_names``,
``crc``, ``evn``), the bank directory (``bank_directory``), amounts (``amounts``, ``amount_words``), what
the payer chose and the payment request model with its content rules (``choice``, ``request``,
``request_schema``, ``payability``), key objects and signing/verifying over them (``keys``, ``signing``),
and safe handling of untrusted text and JSON (``display_text``, ``safe_json``, ``json_output``,
``report``, ``payee_display``).

What it may import (``tests/test_architecture.py`` enforces it): pure standard-library modules (text,
numbers, dates, hashing, JSON/CSV over text in memory), ``cryptography``'s primitives, and
``payer_app.core`` itself. Never files, Qt, OpenCV, image arrays or the network, and never another
``payer_app`` package: key storage is ``payer_app.payments.keystore``, file helpers ``payer_app.files``.
The one exception is the bundled NAPAS bank list, read as package data through ``importlib.resources``.
Each name is imported from the module that defines it (``payer_app.core.payload.parse_payload``); this
package re-exports nothing, so every name has one import path.
"""

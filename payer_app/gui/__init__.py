"""The payer app window (PySide6 Qt Widgets), a thin layer over the scan engine and the payments.

What lives here: ``app`` (``run_app``: start, first-paint log line, SIGTERM closes cleanly),
``main_window`` (the phone-sized window, kiosk frame), ``navigator`` (the one screen stack; logs
``screen <name>``), ``screens/`` (one module a screen), ``scan_adapter`` (a ``ScanSession`` off the GUI
thread, results by signal), ``payment_runner`` (``PaymentService`` calls on a worker thread),
``settings``, ``kiosk``, ``i18n`` (the catalogues in ``resources/i18n``), ``plain_text`` (the only way
outside text reaches a widget: escaped, plain).

May import: ``core``, ``qr_symbol``, ``files``, ``paths``, ``scan``, ``payments``; PySide6, numpy.
Rules are asked of core, never re-derived here; no test hooks (tests drive the real window).
"""

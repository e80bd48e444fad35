"""The mock acquirer: receives signed payment requests, checks them, answers, keeps a SQLite ledger.

One module per job, each importing only the ones before it (no module imports a later one):

- ``answers``: what it answers (``AcquirerAnswer``, ``ERROR_TABLE``, ``FailureSettings``);
- ``ledger``: the SQLite ledger (``Ledger``, key bindings, ``TrustedKey``, the enrolment code);
- ``decisions``: ``MockAcquirer``, the decisions and their steps, independent of HTTP (the payer
  app's embedded mode calls ``submit`` directly);
- ``pipeline``: ``DecisionPipeline``, payments over HTTP decided off the event loop (verify threads
  with their verifier processes, one writer committing each batch before its answers, listeners
  told after the answers, the ledger's WAL checkpointed by a thread of its own);
- ``endpoints``: the Starlette application (``create_app``), each input capped before the work;
- ``server``: ``AcquirerServer``, uvicorn on a background thread, and ``serve_display``.

Nothing is re-exported here: each name is imported from its module.
"""

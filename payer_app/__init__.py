"""payer_app: a desktop payer simulator for Vietnamese payment QR codes.

The data flows one way: frame -> decode -> payload -> parsed bill -> payment request -> signed
request. ``scan`` finds QR codes in frames, ``core`` (pure) parses payloads and builds and signs
requests, ``payments`` keeps keys and history and plays the acquirer, ``studio`` makes test bills,
``qa`` checks batches; ``gui`` (the window) and ``cli`` (``payer-app``) are thin layers over them.
The map and what each package may import: docs/architecture.md.
"""

__version__ = "0.1.0"

"""payer_app: a desktop payer simulator for Vietnamese payment QR codes."""

__version__ = "0.1.0"

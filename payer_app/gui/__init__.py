"""The Qt (PySide6) payer app."""

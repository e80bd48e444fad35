"""The red scam warning: a QR dressed as an EVN bill that pays someone else (core's finding
``evn-payee-unknown``, see ``core/evn_payees.py``). Payee shows it above the payee card, before any
amount is asked, in kiosk mode too; the Inspector shows it above its tabs.

The message quotes the QR's merchant id: it is shown through ``plain_label`` (literal text, controls
escaped), like every text from a QR.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QVBoxLayout

from payer_app.gui.components import plain_label

SCAM_FINDING = "evn-payee-unknown"


def scam_finding(parsed):
    """The parsed QR's scam-sticker finding, or None."""
    if parsed is None:
        return None
    return next((f for f in parsed.findings if f.code == SCAM_FINDING), None)


class ScamWarning(QFrame):
    """A red box: a title and the finding's message in the window's language; hidden when the QR is
    no scam sticker."""

    def __init__(self, ctx, title_key: str = "scam.title"):
        super().__init__()
        self.ctx = ctx
        self.title_key = title_key
        self.setObjectName("ScamWarning")
        col = QVBoxLayout(self)
        self.title = plain_label("", "section")
        self.title.setObjectName("ScamTitle")
        self.text = plain_label("")
        self.text.setObjectName("ScamText")
        col.addWidget(self.title)
        col.addWidget(self.text)
        self.setVisible(False)

    def show_for(self, parsed) -> None:
        finding = scam_finding(parsed)
        self.setVisible(finding is not None)
        if finding is not None:
            self.title.setText(self.ctx.t(self.title_key))
            self.text.setText(self.ctx.language.pick(finding.message_vi, finding.message))

"""Inspector (for QA): raw payload, field tree with offsets, findings with codes, decode timing and
decoder, and the captured frame.

Every text here comes from the QR: cells, tooltips and the raw view go through ``gui.plain_text``
(literal text, controls escaped). Tree items are created with their parent (``QTreeWidgetItem(parent,
texts)``, via ``plain_text.tree_item``), so Qt owns each item from its first moment.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QScrollArea, QTabWidget, QTreeWidget, QVBoxLayout, QWidget

from payer_app.core.field_names import name_in
from payer_app.gui.components import Page, clear_layout, divider, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.plain_text import shown, tree_item
from payer_app.gui.scam_warning import ScamWarning


class InspectorScreen(Page):
    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, scroll=False)
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.tabs.setObjectName("InspectorTabs")
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("RawPayload")
        self.raw.setReadOnly(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("FieldTree")
        self.tree.setColumnCount(4)
        self.tree.setAlternatingRowColors(True)
        self.tree.setIndentation(12)
        # Findings as word-wrapped labels: a message is read whole at any window width (tree rows
        # cut it off after a few words).
        self.findings = QScrollArea()
        self.findings.setObjectName("FindingList")
        self.findings.setWidgetResizable(True)
        self.findings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        findings_page = QWidget()
        self.finding_rows = QVBoxLayout(findings_page)
        self.findings.setWidget(findings_page)
        decode_page = QWidget()
        col = QVBoxLayout(decode_page)
        self.decode_line = plain_label("", "value")
        self.decode_line.setObjectName("DecodeLine")
        self.frame = QLabel()
        self.frame.setObjectName("CapturedFrame")
        self.frame.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame_caption = plain_label("", "caption")
        col.addWidget(self.decode_line)
        col.addWidget(self.frame_caption)
        col.addWidget(self.frame, 1)
        self.tabs.addTab(self.raw, "")
        self.tabs.addTab(self.tree, "")
        self.tabs.addTab(self.findings, "")
        self.tabs.addTab(decode_page, "")
        self.scam_note = ScamWarning(ctx, "scam.inspector_title")
        self.body.addWidget(self.scam_note)
        self.body.addWidget(self.tabs, 1)
        self.retranslate()

    def on_enter(self) -> None:
        self.refresh()  # the payload of the flow in progress

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("inspector.title"))
        for i, key in enumerate(("inspector.raw", "inspector.fields", "inspector.findings", "inspector.decode")):
            self.tabs.setTabText(i, t(key))
        self.tree.setHeaderLabels([t("inspector.col_id"), t("inspector.col_offset"), t("inspector.col_name"),
                                   t("inspector.col_value")])
        self.frame_caption.setText(t("inspector.frame"))
        self.refresh()

    def refresh(self) -> None:
        flow = self.ctx.flow
        parsed = flow.parsed
        if parsed is None:
            return
        self.raw.setPlainText(shown(parsed.raw))
        self.scam_note.show_for(parsed)
        self.tree.clear()

        def add(parent, fields):
            for f in fields:
                # Id and offset first: they are short, and a phone-wide window still shows them whole.
                item = tree_item(parent, [f.id, str(f.offset), name_in(f.name, self.ctx.lang),
                                          "" if f.children else f.value],
                                 tooltip_columns=(2, 3))
                add(item, f.children)

        add(self.tree, parsed.fields)
        self.tree.expandAll()
        for c in range(4):
            self.tree.resizeColumnToContents(c)
        self.tree.setColumnWidth(2, min(self.tree.columnWidth(2), 120))
        self.tree.setColumnWidth(3, max(self.tree.columnWidth(3), 120))
        self._show_findings(parsed.findings)
        scan = flow.scan
        if scan is not None and scan.decoder not in ("typed", "clipboard"):
            self.decode_line.setText(self.ctx.t("inspector.decoded_by", decoder=scan.decoder,
                                                ms=f"{scan.decode_ms:.1f}"))
        else:
            self.decode_line.setText(self.ctx.t("inspector.typed"))
        if scan is not None and scan.frame is not None and not scan.frame.isNull():
            self.frame.setPixmap(QPixmap.fromImage(scan.frame).scaled(
                340, 340, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        else:
            self.frame.clear()

    def _show_findings(self, findings) -> None:
        """One block a finding: severity, code and where (field path, offset), then the message."""
        clear_layout(self.finding_rows)
        t = self.ctx.t
        if not findings:
            self.finding_rows.addWidget(plain_label(t("inspector.no_findings"), "caption"))
        for i, f in enumerate(findings):
            if i:
                self.finding_rows.addWidget(divider())
            where = (f.path or "") + (f" @{f.offset}" if f.offset is not None else "")
            head = plain_label(" · ".join(part for part in (t(f"inspector.severity_{f.severity}"), f.code, where)
                                          if part), "caption")
            head.setObjectName("FindingHead")
            message = plain_label(self.ctx.language.pick(f.message_vi, f.message) or "", "value")
            message.setObjectName("FindingMessage")
            self.finding_rows.addWidget(head)
            self.finding_rows.addWidget(message)
        self.finding_rows.addStretch(1)

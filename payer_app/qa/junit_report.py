"""JUnit XML for a file-by-file scan: one ``<testcase>`` per file, so a CI system lists every picture.

Shape (the common JUnit schema as CI systems read it): ``<testsuites>`` holding one ``<testsuite
name tests failures errors skipped time timestamp hostname>``, whose ``<testcase classname name
time>`` children carry a ``<failure message type>`` (wrong payload, wrong fields, not found, missing,
no expectation) or an ``<error message type>`` (the file could not be read). ``<system-out>`` holds
what was read. Every string from outside (file names, QR text) goes through ``visible`` first, so the
XML never holds a character XML 1.0 forbids.
"""

from __future__ import annotations

import posixpath
import re
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from payer_app.core.display_text import visible
from payer_app.qa.expectations import UNREADABLE
from payer_app.qa.shards import file_key

_NOT_XML_CHARS = re.compile("[\ufffe\uffff]")


def _text(value: object, max_chars: int | None = 2000) -> str:
    return _NOT_XML_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(value, max_chars))


def _case_name(file: str) -> str:
    return _text(file, 500)


def classname(file: str, base: str | None) -> str:
    """The file's folder as a JUnit class: the scanned folder's name, then the subfolders, with dots
    between them (a dot inside a name becomes ``_``), so a CI page groups the cases by folder."""
    folder = posixpath.dirname(file_key(file, base))
    names = [Path(base).name] if base and Path(base).name not in ("", ".", "..") else []
    names += [part for part in folder.split("/") if part not in ("", ".", "..")]
    return _text(".".join(n.replace(".", "_") for n in names) or "payer_app.scan", 500)


def junit_xml(batch, elapsed_s: float) -> str:
    """The JUnit XML document for a finished ``QaBatch``."""
    failures = errors = 0
    suite = ET.Element("testsuite")
    for record in batch.records:
        case = ET.SubElement(suite, "testcase", {
            "classname": classname(record.file, getattr(batch, "base", None)),
            "name": _case_name(record.file),
            "time": f"{(record.decode_ms or 0.0) / 1000.0:.4f}",
        })
        status = record.status
        if record.failed:
            problems = list(record.outcome.problems) if record.outcome else []
            if not problems:
                problems = [f"cannot read the file: {record.error}"] if record.error else ["no QR code was read"]
            message = _text(f"{status}: {problems[0]}", 500)
            if status == UNREADABLE:
                errors += 1
                tag = "error"
            else:
                failures += 1
                tag = "failure"
            node = ET.SubElement(case, tag, {"message": message, "type": status})
            node.text = "\n".join(_text(p) for p in problems)
        out_lines = [f"{c.decoder}: {_text(c.text)}" for c in record.codes]
        if record.outcome is not None:
            out_lines += [f"note: {_text(n)}" for n in record.outcome.notes]
        if out_lines:
            ET.SubElement(case, "system-out").text = "\n".join(out_lines)
    suite.attrib.update({
        "name": _text(batch.title, 300),
        "tests": str(len(batch.records)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": f"{elapsed_s:.3f}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(batch.started_wall)),
        "hostname": _text(socket.gethostname(), 100),
    })
    root = ET.Element("testsuites", {
        "name": "payer-app", "tests": suite.attrib["tests"], "failures": str(failures), "errors": str(errors),
        "time": suite.attrib["time"],
    })
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

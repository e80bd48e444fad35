"""A self-contained HTML page for a file-by-file scan (``payer-app scan FOLDER --html report.html``).

One file, nothing fetched: pictures are ``data:`` URIs, the style and the little filter script are
inline. A Content-Security-Policy meta tag allows only those (``default-src 'none'``, images from
``data:``, the one style and the one script by their SHA-256 hashes), so even a mistake in the
escaping below could not load anything or run a script a QR brought.

Everything from outside (file names, QR text, parsed fields, finding messages, expectation problems)
is passed through ``visible`` (controls and bidi characters shown as escapes) and ``html.escape``;
no outside text is ever inserted as markup or into an attribute without escaping.

Layout: a PASS or FAIL banner (the run's verdict, as its exit code says it), a summary (counts per
status, decode timings per decoder), a filter bar (one toggle per status, counts), then one card per
file, failures first: its result (``Result: passed`` or ``Result: failed: <reason>``), a thumbnail
with the codes outlined, for a failure a crop of the code, the decoded text, parsed fields and
findings.
"""

from __future__ import annotations

import base64
import hashlib
import html
import time

from payer_app.core.display_text import visible
from payer_app.core.payload import parse_payload
from payer_app.qa.expectations import STATUSES, UNREADABLE
from payer_app.qa.timings import timing_summary

# Order of cards and filter buttons: failures first, then passes.
_STATUS_ORDER = ["unreadable", "missing", "not-found", "unexpected-qr", "wrong-payload", "wrong-fields",
                 "no-expectation", "found", "pass"]
_FAILED_CLASS = {s: ("ok" if s in ("pass", "found") else "bad") for s in _STATUS_ORDER}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111}
header{background:#0b3d6e;color:#fff;padding:12px 20px}
.banner{font-size:22px;font-weight:700;padding:10px 20px;color:#fff;background:#16a34a}
.banner.fail{background:#dc2626}
header h1{font-size:20px;margin:0 0 4px}
main{padding:12px 20px}
.summary{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.box{background:#fff;border-radius:6px;padding:10px 14px;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse}
td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}
.filters{margin:14px 0;display:flex;flex-wrap:wrap;gap:8px}
.filters label{background:#fff;border-radius:14px;padding:4px 10px;box-shadow:0 1px 2px #0002;cursor:pointer}
.cards{display:flex;flex-direction:column;gap:12px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0003;padding:10px 14px;border-left:6px solid #16a34a}
.card.bad{border-left-color:#dc2626}
.card[hidden]{display:none}
.card h2{font-size:15px;margin:0 0 8px;word-break:break-all}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;margin-right:8px;
color:#fff;background:#16a34a}
.bad .badge,.badge.bad{background:#dc2626}
.row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.details{flex:1 1 420px;min-width:0}
.pics{display:flex;gap:10px;align-items:flex-start}
.pics img{border:1px solid #d1d5db;max-width:360px}
.problems li{word-break:break-all}
pre{white-space:pre-wrap;word-break:break-all;background:#f9fafb;padding:6px;margin:4px 0;max-width:720px}
.problems{color:#b91c1c}
.muted{color:#6b7280}
.f-error{color:#b91c1c}.f-warning{color:#b45309}.f-info{color:#374151}
"""

_SCRIPT = """
(function(){
  var boxes=document.querySelectorAll('input[data-filter]');
  function apply(){
    var show={};
    boxes.forEach(function(b){show[b.getAttribute('data-filter')]=b.checked;});
    document.querySelectorAll('.card').forEach(function(c){
      c.hidden=!show[c.getAttribute('data-status')];
    });
    var n=document.querySelectorAll('.card:not([hidden])').length;
    document.getElementById('shown').textContent=String(n);
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  document.getElementById('only-failures').addEventListener('click',function(){
    boxes.forEach(function(b){b.checked=b.getAttribute('data-failed')==='1';});apply();
  });
  document.getElementById('show-all').addEventListener('click',function(){
    boxes.forEach(function(b){b.checked=true;});apply();
  });
  apply();
})();
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def esc(value: object, max_chars: int | None = None) -> str:
    """Outside text, made visible and escaped for HTML text and attribute values."""
    return html.escape(visible(value, max_chars), quote=True)


def _status_sort_key(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)


def html_report(batch, elapsed_s: float) -> str:
    """The whole page for a finished ``QaBatch``."""
    records = sorted(enumerate(batch.records), key=lambda ir: (_status_sort_key(ir[1].status), ir[0]))
    counts = batch.counts()
    csp = (f"default-src 'none'; img-src data:; style-src {_hash(_STYLE)}; script-src {_hash(_SCRIPT)}; "
           "base-uri 'none'; form-action 'none'")
    generated = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(batch.started_wall))
    from payer_app.qa.summary import batch_verdict

    verdict, verdict_line = batch_verdict(batch)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=True)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(batch.title, 200)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<div class="banner {verdict}" id="verdict" role="status">{esc(verdict_line, 300)}</div>',
        f"<header><h1>{esc(batch.title, 300)}</h1>"
        f'<div>{len(batch.records)} file(s), generated {esc(generated)}, {elapsed_s:.1f} s'
        + (f", expectations: {esc(batch.expect_path, 300)}" if batch.expect_path else "")
        + "</div></header>",
        "<main>",
        _summary(batch, counts, elapsed_s),
        _filters(counts),
        '<section class="cards" id="cards">',
    ]
    parts += [_card(r, i) for i, r in records]
    parts += ["</section></main>", f"<script>{_SCRIPT}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _summary(batch, counts: dict[str, int], elapsed_s: float) -> str:
    rows = "".join(
        f'<tr><td><span class="badge {_FAILED_CLASS.get(s, "bad")}">{esc(s)}</span></td>'
        f'<td class="count" data-status="{esc(s)}">{counts[s]}</td></tr>'
        for s in sorted(counts, key=_status_sort_key)
    )
    timing_rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{t['count']}</td><td>{_ms(t['median_ms'])}</td><td>{_ms(t['p95_ms'])}</td>"
        f"<td>{_ms(t['max_ms'])}</td></tr>"
        for name, t in batch.timings_by_decoder().items()
    )
    all_times = [r.decode_ms for r in batch.records if r.decode_ms is not None]
    total = timing_summary(all_times)
    timing_rows += (f"<tr><th>all files</th><th>{total['count']}</th><th>{_ms(total['median_ms'])}</th>"
                    f"<th>{_ms(total['p95_ms'])}</th><th>{_ms(total['max_ms'])}</th></tr>")
    return (
        '<section class="summary">'
        f'<div class="box" id="counts"><h3>Results</h3><table>{rows}'
        f"<tr><th>total</th><th id=\"total\">{len(batch.records)}</th></tr></table></div>"
        '<div class="box" id="timings"><h3>Decode time per file, by the decoder that read it</h3>'
        "<table><tr><th>decoder</th><th>files</th><th>median</th><th>p95</th><th>max</th></tr>"
        f"{timing_rows}</table><div class=\"muted\">scan took {elapsed_s:.2f} s in all</div>"
        + (f'<div class="muted">pictures left out for {batch.pictures_left_out} passing file(s) after the first '
           f"{batch.pass_pictures}, to keep the page small</div>" if batch.pictures_left_out else "")
        + "</div>"
        "</section>"
    )


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _filters(counts: dict[str, int]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" checked data-filter="{esc(s)}" '
        f'data-failed="{"0" if _FAILED_CLASS.get(s) == "ok" else "1"}"> {esc(s)} ({counts[s]})</label>'
        for s in sorted(counts, key=_status_sort_key)
    )
    return (f'<nav class="filters" id="filters">Show: {boxes}'
            '<button type="button" id="only-failures">only failures</button>'
            '<button type="button" id="show-all">all</button>'
            '<span class="muted"><span id="shown">0</span> shown</span></nav>')


def _card(record, index: int) -> str:
    status = record.status
    klass = _FAILED_CLASS.get(status, "bad")
    parts = [f'<article class="card {klass}" data-status="{esc(status)}" id="card-{index}">',
             f'<h2><span class="badge">{esc(status)}</span><span class="file">{esc(record.file, 500)}</span></h2>',
             '<div class="row">']
    pics = []
    if record.thumbnail:
        size = f"{record.image_size[0]}x{record.image_size[1]} px" if record.image_size else "picture"
        pics.append(f'<img class="thumb" alt="the picture, codes outlined ({size})" src="{esc(record.thumbnail)}">')
    if record.crop and record.failed:  # a crop only where one looks closer: the page stays small
        pics.append(f'<img class="crop" alt="the code, cropped" src="{esc(record.crop)}">')
    if pics:
        parts.append('<div class="pics">' + "".join(pics) + "</div>")
    parts.append('<div class="details">')
    parts.append(_result_html(record))
    main = record.main_code()
    if main is not None:
        timing = "" if record.decode_ms is None else f", file decoded in {record.decode_ms:.1f} ms"
        parts.append(f'<div>Read by <b>{esc(main.decoder)}</b>{timing}:</div>'
                     f'<pre class="decoded">{esc(main.text)}</pre>')
        parts.append(_parsed_html(main.text))
        others = [c for c in record.codes if c is not main]
        if others:
            parts.append("<div>Other codes in the picture:</div>")
            parts += [f'<pre class="decoded other">{esc(c.decoder)}: {esc(c.text)}</pre>' for c in others]
    elif record.error is None and status not in ("missing", "not-found"):  # not-found's result says it
        parts.append('<p class="muted">No QR code was read.</p>')
    parts.append("</div></div></article>")
    return "".join(parts)


def _result_html(record) -> str:
    """``Result: passed``, ``Result: failed: <outcome>`` or ``Result: could not be read``, and why."""
    outcome = record.outcome
    if outcome is not None:
        problems, notes = outcome.problems, outcome.notes
    elif record.error is not None:
        problems, notes = [f"cannot read the file: {record.error}"], []
    else:
        problems, notes = ([] if record.codes else ["no QR code was read"]), []
    status = record.status
    if status == UNREADABLE:
        said = "could not be read"
    elif record.failed:
        said = f"failed: {esc(status)}"
    else:
        said = "passed"
    items = "".join(f"<li>{esc(p, 500)}</li>" for p in problems)
    notes_html = "".join(f"<li class=\"muted\">{esc(n)}</li>" for n in notes)
    return (f'<div class="result">Result: <b>{said}</b>'
            + (f'<ul class="problems">{items}</ul>' if items else "")
            + (f"<ul>{notes_html}</ul>" if notes_html else "") + "</div>")


def _parsed_html(text: str) -> str:
    parsed = parse_payload(text)
    if not parsed.is_payment:
        return '<p class="muted">Not a payment QR.</p>'
    rows = [
        ("scheme", parsed.scheme_label or parsed.scheme),
        ("valid", "yes" if parsed.valid else "no"),
        ("initiation", parsed.initiation),
        ("amount", None if parsed.amount is None else f"{parsed.amount:,} {parsed.currency_alpha or ''}".strip()),
        ("merchant", parsed.merchant.name),
        ("city", parsed.merchant.city),
        ("bank", parsed.account.bank_short_name or parsed.account.bank_bin),
        ("account", parsed.account.id),
        ("EVN customer code", parsed.bill.evn_customer_code),
        ("purpose", parsed.bill.purpose),
        ("CRC", f"{parsed.crc.found or '-'} ({'ok' if parsed.crc.ok else 'computed ' + (parsed.crc.computed or '-')})"),
    ]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v, 300)}</td></tr>" for k, v in rows if v is not None)
    findings = "".join(
        f'<li class="f-{esc(f.severity)}">{esc(f.severity)} <code>{esc(f.code)}</code>'
        f'{" at " + esc(f.path) if f.path else ""}: {esc(f.message, 400)}</li>'
        for f in parsed.findings
    )
    return (f'<table class="fields">{table}</table>'
            + (f'<ul class="findings">{findings}</ul>' if findings else '<p class="muted">No findings.</p>'))


__all__ = ["STATUSES", "esc", "html_report"]

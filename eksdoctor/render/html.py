"""The ticket report as one self-contained HTML page: inline CSS, no scripts, no fonts, no links out
(a Content-Security-Policy forbids any fetch), readable offline in any browser.

Formats only; the sections are those of report.py. Every value is escaped.
"""
from __future__ import annotations

from html import escape

from .. import __version__
from ..findings import Status
from .report import collection_errors, environment, evidence_chain
from .text import chain, missing_evidence, target_line

_CSS = """
:root{color-scheme:light;--fail:#b42318;--warn:#b54708;--pass:#067647;--skip:#667085;--err:#7a2e98;--line:#d0d5dd}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#101828;background:#fff;max-width:1100px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:0 0 6px}
.target{color:#475467;margin-bottom:12px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:700;text-transform:uppercase;font-size:13px;margin-right:8px}
.broken,.fail{background:var(--fail)}.healthy,.pass{background:var(--pass)}.unknown,.warn{background:var(--warn)}
.skipped{background:var(--skip)}.error{background:var(--err)}
.card{border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:6px;padding:12px 16px;margin:12px 0}
.card.fail{border-left-color:var(--fail);background:#fff}.card.warn{border-left-color:var(--warn);background:#fff}.card.error{border-left-color:var(--err);background:#fff}
.badge{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;vertical-align:middle}
.sev{color:#475467;font-size:13px}
.detail{white-space:pre-wrap;margin:6px 0}
pre{background:#f2f4f7;border:1px solid var(--line);border-radius:4px;padding:8px 10px;margin:4px 0 10px;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
.fix{margin:8px 0 0}.fix li{margin-bottom:4px}.who{font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}
td.k{width:190px;color:#475467;white-space:nowrap}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
footer{margin-top:32px;color:#667085;font-size:12px}
@media print{details{display:block}body{padding:0}}
"""


def _badge(status: Status) -> str:
    return f'<span class="badge {status.value}">{escape(status.value)}</span>'


def _finding(f, heading: str = "") -> list[str]:
    label = f"{escape(heading)}: " if heading else ""
    out = [f'<div class="card {f.status.value}">',
           f"<h3>{label}{_badge(f.status)} <code>{escape(f.id)}</code> {escape(f.title)} "
           f'<span class="sev">({escape(f.severity.value)}{", " + escape(f.confidence) if f.confidence else ""})</span></h3>']
    if f.detail:
        out.append(f'<div class="detail">{escape(f.detail)}</div>')
    if f.fix:
        out.append('<ol class="fix">')
        for step in f.fix:
            out.append(f'<li><span class="who">as {escape(step.run_as)}</span> — {escape(step.why)}'
                       f"<pre><code>{escape(step.command)}</code></pre></li>")
        out.append("</ol>")
    if f.docs:
        out.append(f'<div class="sev">docs: {escape(f.docs)}</div>')
    out.append("</div>")
    return out


def _table(headers: list[str], rows: list[list[str]], key_first: bool = False) -> list[str]:
    out = ["<table>"]
    if headers:
        out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>")
    for row in rows:
        cells = [f'<td class="k">{row[0]}</td>' if key_first else f"<td>{row[0]}</td>"] + [f"<td>{c}</td>" for c in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return out


def render_report_html(diagnosis, data: dict) -> str:
    title = f"eksdoctor report — {target_line(diagnosis.target)}"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
           "<h1>eksdoctor report</h1>", f'<div class="target">{escape(target_line(diagnosis.target))}</div>',
           f'<p><span class="verdict {escape(diagnosis.verdict)}">{escape(diagnosis.verdict)}</span>{escape(diagnosis.verdict_reason)}</p>']
    root = diagnosis.root_cause
    if root:
        out += ["<h2>Root cause and fix</h2>", *_finding(root, "Root cause")]
    out += ["<h2>Chain of evidence</h2>",
            *_table(["step", "status", "checks"], [[escape(stage), _badge(status), escape(", ".join(ids))]
                                                    for stage, status, ids in chain(diagnosis.findings)])]
    others = [f for f in diagnosis.findings if f is not root and f.status in (Status.FAIL, Status.ERROR, Status.WARN)]
    if others:
        out.append("<h2>Other findings</h2>")
        for f in others:
            out += _finding(f)
    missing = missing_evidence(diagnosis.findings)
    if missing:
        out += ["<h2>Missing evidence</h2>", "<p>Not in the bundle; collect it, add it, and analyse again:</p>", "<ul>"]
        for need, command, ids in missing:
            out.append(f"<li><code>{escape(need)}</code> — needed by {escape(', '.join(ids))}"
                       f"<pre><code>{escape(command or 'no single command: see docs/bundle-v1.md')}</code></pre></li>")
        out.append("</ul>")
    records = evidence_chain(diagnosis, data)
    if records:
        out += ["<h2>Evidence</h2>", "<p>The records each finding rests on, as collected (secrets removed).</p>"]
        for fid, status, pointers in records:
            out.append(f"<details open><summary>{escape(fid)} ({escape(status)})</summary>")
            for pointer, text in pointers:
                out.append(f"<div><code>{escape(pointer)}</code></div><pre><code>{escape(text)}</code></pre>")
            out.append("</details>")
    out += ["<h2>Environment</h2>", *_table([], [[escape(k), escape(v)] for k, v in environment(data)], key_first=True)]
    errors = collection_errors(data)
    out.append("<h2>Collection errors</h2>")
    if errors:
        out += _table(["collector", "code", "message"], [[escape(str(e.get(k) or "")) for k in ("collector", "code", "message")] for e in errors])
    else:
        out.append("<p>None.</p>" if "collection" in data else "<p>Not recorded (the bundle has no collection section).</p>")
    rest = [f for f in diagnosis.findings if f.status in (Status.PASS, Status.SKIPPED)]
    if rest:
        out += [f"<details><summary>Passed and skipped ({len(rest)})</summary>",
                *_table(["check", "status", "detail"], [[f"<code>{escape(f.id)}</code>", _badge(f.status), escape(f.detail or f.title)] for f in rest]),
                "</details>"]
    out += [f"<footer>eksdoctor {escape(__version__)} · self-contained: no scripts, fonts or links to load</footer>",
            "</body></html>", ""]
    return "\n".join(out)

"""Markdown for tickets: verdict, root cause with its fix, the chain, then every other finding."""
from __future__ import annotations

from ..findings import Status
from .text import chain, fence, missing_evidence, target_line

_ICON = {Status.FAIL: "❌ fail", Status.ERROR: "⚠️ error", Status.WARN: "⚠️ warn", Status.PASS: "✅ pass", Status.SKIPPED: "⏭ skipped"}


def render_markdown(diagnosis) -> str:
    out = ["# eksdoctor diagnosis", "", f"**Target:** {target_line(diagnosis.target)}  ",
           f"**Verdict:** {diagnosis.verdict} — {diagnosis.verdict_reason}", ""]
    root = diagnosis.root_cause
    if root:
        out += [f"## Root cause: `{root.id}` ({root.severity.value})", "", f"**{root.title}**", ""]
        if root.detail:
            out += [root.detail, ""]
        out += _fix(root)
    out += ["## Chain of evidence", "", "| step | status | checks |", "|---|---|---|"]
    for stage, status, ids in chain(diagnosis.findings):
        out.append(f"| {stage} | {_ICON[status]} | {', '.join(f'`{i}`' for i in ids)} |")
    out.append("")
    others = [f for f in diagnosis.findings if f is not root and f.status in (Status.FAIL, Status.ERROR, Status.WARN)]
    if others:
        out += ["## Other findings", ""]
        for f in others:
            out += [f"### `{f.id}` — {_ICON[f.status]}, {f.severity.value}", "", f"**{f.title}**", ""]
            if f.detail:
                out += [f.detail, ""]
            out += _fix(f)
    out += missing_section(diagnosis.findings)
    rest = [f for f in diagnosis.findings if f.status in (Status.PASS, Status.SKIPPED)]
    if rest:
        out += ["## Passed and skipped", "", "| check | status | detail |", "|---|---|---|"]
        for f in rest:
            detail = (f.detail or f.title).replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{f.id}` | {_ICON[f.status]} | {detail} |")
        out.append("")
    return "\n".join(out)


def _fix(f) -> list[str]:
    if not f.fix:
        return []
    out = ["**Fix:**", ""]
    for n, step in enumerate(f.fix, 1):
        out += [f"{n}. as **{step.run_as}** — {step.why}", "", *fence(step.command, indent="   "), ""]
    return out


def missing_section(findings) -> list[str]:
    rows = missing_evidence(findings)
    if not rows:
        return []
    out = ["## Missing evidence", "", "Not in the bundle; collect it, add it, and analyse again:", ""]
    for need, command, ids in rows:
        out += [f"- `{need}` — needed by {', '.join(f'`{i}`' for i in ids)}", "",
                *fence(command or "# no single command: see docs/bundle-v1.md", indent="  "), ""]
    return out

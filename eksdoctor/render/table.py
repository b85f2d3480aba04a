"""The human view, read top-down by a stressed person: root cause and its fix first, then the
chain of evidence, then everything else. Colour only on a TTY (rich decides; NO_COLOR honoured).
Fix commands are printed unwrapped so they can be copied whole."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..findings import Status
from .text import chain, missing_evidence, target_line

_STYLE = {Status.FAIL: "bold red", Status.ERROR: "bold magenta", Status.WARN: "yellow", Status.PASS: "green", Status.SKIPPED: "dim"}
_MARK = {Status.FAIL: "✗ fail", Status.ERROR: "! error", Status.WARN: "▲ warn", Status.PASS: "✓ pass", Status.SKIPPED: "- skipped"}
_VERDICT = {"broken": "bold red", "healthy": "bold green", "unknown": "bold yellow"}


def render_table(diagnosis, console: Console, *, verbose: bool = False) -> None:
    console.print(f"[bold]eksdoctor[/bold] — {escape(target_line(diagnosis.target))}")
    console.print(f"[{_VERDICT[diagnosis.verdict]}]{diagnosis.verdict.upper()}[/] {escape(diagnosis.verdict_reason)}")
    console.print()
    root = diagnosis.root_cause
    if root:
        _finding(console, root, heading="ROOT CAUSE")
    console.print("[bold]Chain of evidence[/bold]")
    for stage, status, ids in chain(diagnosis.findings):
        console.print(f"  [{_STYLE[status]}]{_MARK[status]:<10}[/] {stage:<15} [dim]{escape(', '.join(ids))}[/dim]")
    console.print()
    others = [f for f in diagnosis.findings if f is not root and f.status in (Status.FAIL, Status.ERROR, Status.WARN)]
    for f in others:
        _finding(console, f)
    _missing(console, diagnosis.findings)
    rest = [f for f in diagnosis.findings if f.status in (Status.PASS, Status.SKIPPED)]
    if rest and verbose:
        table = Table(title="Passed and skipped", show_lines=False, expand=False)
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        for f in rest:
            table.add_row(f.id, f"[{_STYLE[f.status]}]{f.status.value}[/]", escape(f.detail or f.title))
        console.print(table)
    elif rest:
        passed = sum(1 for f in rest if f.status is Status.PASS)
        console.print(f"[dim]{passed} passed, {len(rest) - passed} skipped (--verbose lists them)[/dim]")


def _finding(console: Console, f, heading: str = "") -> None:
    label = f"{heading}: " if heading else ""
    grade = f"{f.severity.value}, {f.confidence}" if f.confidence else f.severity.value
    console.print(f"[{_STYLE[f.status]}]{label}{_MARK[f.status]}[/] [bold]{escape(f.id)}[/bold] "
                  f"[dim]({grade})[/dim] {escape(f.title)}")
    for line in (f.detail or "").splitlines():
        console.print(f"    {escape(line)}", soft_wrap=True)
    for n, step in enumerate(f.fix, 1):
        console.print(f"  [bold]fix {n}[/bold] [cyan]as {escape(step.run_as)}[/cyan] — {escape(step.why)}", soft_wrap=True)
        console.print(f"    {escape(step.command)}", soft_wrap=True, highlight=False, style="bold")
    if f.docs:
        console.print(f"    [dim]docs: {escape(f.docs)}[/dim]")
    console.print()


def _missing(console: Console, findings) -> None:
    rows = missing_evidence(findings)
    if not rows:
        return
    console.print("[bold]Missing evidence[/bold] (collect it, add it to the bundle, analyse again)")
    for need, command, ids in rows:
        console.print(f"  {escape(need)} [dim]— needed by {escape(', '.join(ids))}[/dim]", soft_wrap=True)
        console.print(f"    {escape(command or 'no single command: see docs/bundle-v1.md')}", soft_wrap=True, highlight=False, style="bold")
    console.print()

"""The human view of `eksdoctor preflight`: one line when every action is allowed; otherwise the
answers, then the diagnosis that explains them (root cause and fix first). Formats only."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from .table import render_table
from .text import target_line

_MARK = {"allowed": "[green]✓ allowed[/]", "denied": "[bold red]✗ denied[/]", "unknown": "[yellow]? unknown[/]"}


def render_preflight_table(result, diagnosis, console: Console) -> None:
    where = target_line(diagnosis.target)
    if result.exit_code == 0:
        console.print(f"preflight OK: {escape(result.reason)} ({escape(where)})", soft_wrap=True)
        return
    console.print(f"[bold]preflight {'FAILED' if result.exit_code == 1 else 'INCONCLUSIVE'}[/bold] "
                  f"({escape(result.verdict)}): {escape(result.reason)}", soft_wrap=True)
    console.print(f"  identity: {escape(result.caller or 'unknown')}"
                  + (f" (the API server calls it {escape(result.username)})" if result.username else ""), soft_wrap=True)
    for a in result.answers:
        console.print(f"  {_MARK[a.verdict]:<10} {escape(a.question)} — {escape(a.reason)}", soft_wrap=True)
    console.print()
    render_table(diagnosis, console)

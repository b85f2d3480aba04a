"""Small helpers shared by the human renderers."""
from __future__ import annotations

from ..check import STAGES
from ..findings import Status

_WORST = [Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIPPED]


def chain(findings) -> list[tuple[str, Status, list[str]]]:
    """Per step of the request's path: the worst status among its checks and the checks that set it."""
    rows = []
    for stage in STAGES:
        here = [f for f in findings if f.stage == stage]
        if not here:
            continue
        worst = min((f.status for f in here), key=_WORST.index)
        rows.append((stage, worst, sorted(f.id for f in here if f.status is worst)))
    return rows


def target_line(target: dict) -> str:
    parts = [f"cluster {target.get('cluster') or '?'}"]
    if target.get("region"):
        parts.append(f"region {target['region']}")
    if target.get("account"):
        parts.append(f"account {target['account']}")
    return ", ".join(parts)


def fence(text: str, indent: str = "") -> list[str]:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [f"{indent}{ticks}sh", *(f"{indent}{line}" for line in text.splitlines()), f"{indent}{ticks}"]


def missing_evidence(findings) -> list[tuple[str, str, list[str]]]:
    """(need, command that collects it, checks waiting for it), one row per command, in rank order."""
    rows: dict[str, tuple[str, str, list[str]]] = {}
    for f in findings:
        for key, command in f.facts:
            if not key.startswith("missing:"):
                continue
            need = key.removeprefix("missing:")
            row = rows.setdefault(command or need, (need, command, []))
            if f.id not in row[2]:
                row[2].append(f.id)
    return list(rows.values())

"""`eksdoctor checks`: the catalog of loaded checks with their metadata and docs."""
from __future__ import annotations

import json


def _checks():
    from .engine import discover, resolve
    checks, _ = discover()
    ordered, _ = resolve(checks)
    return ordered


def catalog_rows() -> list[dict]:
    return check_rows(_checks())


def check_rows(checks) -> list[dict]:
    """Catalog rows for these checks (also the SARIF rules of a run)."""
    return [{
        "id": c.id, "title": c.title, "severity": c.severity.value, "stage": c.stage,
        "needs": list(c.needs), "depends_on": list(c.depends_on), "docs": c.docs,
        "summary": c.summary, "remediation": c.remediation, "origin": c.origin, "catalog": c.catalog,
    } for c in checks]


def catalog_json() -> str:
    return json.dumps({"schema_version": 1, "checks": catalog_rows()}, indent=2, sort_keys=True) + "\n"


def catalog_table() -> str:
    rows = catalog_rows()
    width = max((len(r["id"]) for r in rows), default=10)
    lines = [f"{'ID':<{width}}  {'STAGE':<14} {'SEVERITY':<9} TITLE"]
    lines += [f"{r['id']:<{width}}  {r['stage']:<14} {r['severity']:<9} {r['title']}" for r in rows]
    lines.append(f"\n{len(rows)} checks. `eksdoctor checks show ID` explains one.")
    return "\n".join(lines) + "\n"


def describe(check_id: str) -> str | None:
    row = next((r for r in catalog_rows() if r["id"] == check_id), None)
    if row is None:
        return None
    lines = [f"{row['id']} — {row['title']}", "",
             f"stage:      {row['stage']}", f"severity:   {row['severity']}",
             f"needs:      {', '.join(row['needs']) or '-'}", f"depends on: {', '.join(row['depends_on']) or '-'}",
             f"origin:     {row['origin']}"]
    if row["summary"]:
        lines += ["", row["summary"]]
    if row["remediation"]:
        lines += ["", f"Usual fix: {row['remediation']}"]
    if row["docs"]:
        lines += ["", f"Docs: {row['docs']}"]
    return "\n".join(lines) + "\n"

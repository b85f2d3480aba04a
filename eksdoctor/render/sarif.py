"""SARIF 2.1.0 for code scanning (GitHub and others): one rule per check, one result per fail/warn finding.

Formats only. GitHub shows a result only with a repository-relative `artifactLocation.uri` and a
`region.startLine`, so results point at the bundle file when there is one, else at a logical path
`eks/<region>/<cluster>`; the cluster itself is the result's logical location.
"""
from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from .. import __version__
from ..findings import Severity, Status

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}


def level(status: Status, severity: Severity) -> str:
    """fail: from severity; warn never reads as an error (it does not break access by itself)."""
    found = _LEVEL[severity]
    return "warning" if status is Status.WARN and found == "error" else found


def logical_uri(target: dict) -> str:
    return f"eks/{target.get('region') or 'unknown-region'}/{target.get('cluster') or 'unknown-cluster'}"


def _rule(row: dict) -> dict:
    severity = Severity(row["severity"])
    help_lines = [row.get("summary") or row["title"]]
    if row.get("remediation"):
        help_lines.append(f"Usual fix: {row['remediation']}")
    if row.get("docs"):
        help_lines.append(f"Docs: {row['docs']}")
    return {
        "id": row["id"],
        "name": "".join(part.capitalize() for part in row["id"].split("_")),
        "shortDescription": {"text": row["title"]},
        "fullDescription": {"text": row.get("summary") or row["title"]},
        "help": {"text": "\n\n".join(help_lines)},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"tags": ["eks", "access", row.get("stage") or "evidence"], "precision": "high",
                       "severity": severity.value, "stage": row.get("stage") or "", "docs": row.get("docs") or "",
                       "remediation": row.get("remediation") or ""},
    }


def _message(f) -> str:
    lines = [f.title]
    if f.detail:
        lines += ["", f.detail]
    for n, step in enumerate(f.fix, 1):
        lines += ["", f"Fix {n} (run as {step.run_as}): {step.why}", f"    {step.command}"]
    return "\n".join(lines)


def _fingerprint(f, target: dict) -> str:
    """Stable across runs, distinct per result: a check's id on a cluster, plus the question (preflight)
    or the file and message (lint) when one check reports several results."""
    facts = dict(f.facts)
    subject = facts.get("question") or (f"{facts['file']}|{f.title}" if facts.get("file") else "")
    key = "|".join([f.id, *(str(target.get(k) or "") for k in ("account", "region", "cluster")), *([subject] if subject else [])])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _file_location(f) -> dict | None:
    """A finding about a line of a file (lint) points there."""
    facts = dict(f.facts)
    if not facts.get("file"):
        return None
    return {"physicalLocation": {"artifactLocation": {"uri": quote(facts["file"], safe="/._-~")},
                                 "region": {"startLine": int(facts.get("line") or 1)}}}


def sarif_document(diagnosis, *, rules=(), artifact: str = "", name: str = "") -> dict:
    rows = {r["id"]: r for r in rules}
    for f in diagnosis.findings:  # load problems and synthetic findings have no catalog row
        rows.setdefault(f.id, {"id": f.id, "title": f.title, "severity": f.severity.value, "stage": f.stage,
                               "docs": f.docs, "summary": "", "remediation": ""})
    ids = sorted(rows)
    target = diagnosis.target
    uri = quote(artifact or logical_uri(target), safe="/._-~")
    cluster = target.get("cluster") or "unknown-cluster"
    location = {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
        "logicalLocations": [{"name": cluster, "kind": "resource",
                              "fullyQualifiedName": f"eks://{target.get('region') or ''}/{cluster}"}],
    }
    results = []
    for f in diagnosis.findings:
        if f.status not in (Status.FAIL, Status.WARN):
            continue
        results.append({
            "ruleId": f.id,
            "ruleIndex": ids.index(f.id),
            "level": level(f.status, f.severity),
            "message": {"text": _message(f)},
            "locations": [_file_location(f) or location],
            "partialFingerprints": {"eksdoctorFinding/v1": _fingerprint(f, target)},
            "properties": {"id": f.id, "status": f.status.value, "severity": f.severity.value,
                           "confidence": f.confidence, "stage": f.stage, "evidence": list(f.evidence),
                           "fix": [s.to_dict() for s in f.fix], "fix_commands": [s.command for s in f.fix]},
        })
    notes = [{"level": "error", "message": {"text": f"{f.id}: {f.title}: {f.detail}"},
              "descriptor": {"id": f.id}} for f in diagnosis.findings if f.status is Status.ERROR]
    notes += [{"level": "note", "message": {"text": f"{f.id} skipped: {f.detail}"}, "descriptor": {"id": f.id}}
              for f in diagnosis.findings if f.status is Status.SKIPPED and f.detail.startswith("evidence not collected")]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "eksdoctor", "version": __version__, "semanticVersion": __version__,
                                "rules": [_rule(rows[i]) for i in ids]}},
            "automationDetails": {"id": f"eksdoctor/{name or cluster}/"},
            "invocations": [{"executionSuccessful": not any(f.status is Status.ERROR for f in diagnosis.findings),
                             "toolExecutionNotifications": notes}],
            "results": results,
            "properties": {"verdict": diagnosis.verdict, "verdict_reason": diagnosis.verdict_reason,
                           "target": dict(target)},
        }],
    }


def render_sarif(diagnosis, *, rules=(), artifact: str = "", name: str = "") -> str:
    return json.dumps(sarif_document(diagnosis, rules=rules, artifact=artifact, name=name), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"

"""`eksdoctor lint` results as a Diagnosis, so `--output sarif|junit` show them like any other run.

An adapter, no decisions: model/lint.py judged the files. Each issue becomes a finding of its rule
(error → fail, warning → warn) at its file and line; a rule a file does not break is a passing
finding, and the --against rules are skipped without --against: one testcase per rule and file.
"""
from __future__ import annotations

from functools import lru_cache

from .engine import Diagnosis
from .findings import Finding, Severity, Status
from .model.lint import RULES

AGAINST_RULES = ("node_role_unmapped", "aws_auth_lock_out", "aws_auth_mapping_changed")
README_DOCS = "README.md#explain-and-lint-the-server-side-without-credentials"


@lru_cache(maxsize=None)
def _docs(rule: str) -> str:
    """The check's page when the rule is a catalog check with one, else the README's lint section."""
    from .catalog import catalog_rows
    return next((row.get("docs") for row in catalog_rows() if row["id"] == rule), None) or README_DOCS


def rule_rows() -> list[dict]:
    """One SARIF rule per lint rule, in the catalog rows' shape."""
    return [{"id": rule, "title": title, "severity": "high", "stage": "authentication", "docs": _docs(rule),
             "summary": f"aws-auth lint: {title}.", "remediation": ""} for rule, title in RULES.items()]


def _finding(rule: str, status: Status, severity: Severity, title: str, file: str, line=None, detail: str = "") -> Finding:
    where = f"{file}:{line}" if line else file
    return Finding(id=rule, check=rule, status=status, severity=severity, title=title, detail=detail,
                   evidence=(where,), docs=_docs(rule), stage="authentication",
                   facts=(("file", file), ("line", str(line or 1)), ("subject", where)))


def lint_diagnosis(results: list[tuple[str, dict]], against: bool) -> Diagnosis:
    findings = []
    for name, doc in results:
        hit = set()
        for issue in doc["issues"]:
            hit.add(issue["rule"])
            label = issue["where"] or issue["section"]
            findings.append(_finding(issue["rule"], Status.FAIL if issue["severity"] == "error" else Status.WARN,
                                     Severity.HIGH if issue["severity"] == "error" else Severity.MEDIUM,
                                     f"{label}: {issue['message']}" if label else issue["message"], name, issue["line"]))
        for lock in doc["locked_out"]:
            hit.add(lock["rule"])
            findings.append(_finding(lock["rule"], Status.FAIL, Severity.CRITICAL if lock["kind"] == "node role" else Severity.HIGH,
                                     f"locks out {lock['kind']} {lock['arn']} (was {lock['was']})", name, detail=lock["detail"]))
        for change in doc["changed"]:
            hit.add("aws_auth_mapping_changed")
            findings.append(_finding("aws_auth_mapping_changed", Status.WARN, Severity.MEDIUM, f"changes {change}", name))
        for rule, title in RULES.items():
            if rule in hit:
                continue
            if rule in AGAINST_RULES and not against:
                findings.append(_finding(rule, Status.SKIPPED, Severity.HIGH, title, name,
                                         detail="give --against OLD_FILE (the version in use) to check it"))
            else:
                findings.append(_finding(rule, Status.PASS, Severity.HIGH, title, name))
    order = [Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIPPED]
    findings.sort(key=lambda f: order.index(f.status))  # stable: file and line order within a status
    failed = [f for f in findings if f.status is Status.FAIL]
    reason = f"{len(failed)} error(s) in {len(results)} file(s)" if failed else f"{len(results)} file(s) pass"
    return Diagnosis(tuple(findings), "broken" if failed else "healthy", reason, {})

"""Runs checks over a bundle: discovery by entry point, dependency order, crash → error, ranking.

Pure: the same bundle and the same checks always give the same findings in the same order.
Nothing is dropped: a check that cannot run is `skipped` with its reason, one that crashes is `error`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from typing import Iterable

from .bundle import Bundle, collect_hint, cycle_collector_paused
from .check import STAGES, Check, CheckDefinitionError, Result
from .findings import CONFIDENCES, Finding, Severity, Status
from .model.probe import probe_outcome

GROUP = "eksdoctor.checks"

_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.PASS: 3, Status.SKIPPED: 4}
# A prerequisite that failed (or crashed) blocks its dependents; one that could not be evaluated
# (skipped) does not: the generic check then runs and says what it can.
_BLOCKING = (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    verdict: str  # "broken", "healthy" or "unknown"
    verdict_reason: str
    target: dict

    @property
    def root_cause(self) -> Finding | None:
        return next((f for f in self.findings if f.status is Status.FAIL), None)

    def summary(self) -> dict:
        counts = {s.value: 0 for s in Status}
        for finding in self.findings:
            counts[finding.status.value] += 1
        return {
            "verdict": self.verdict,
            "reason": self.verdict_reason,
            "root_cause": self.root_cause.id if self.root_cause else None,
            "counts": counts,
        }

    def exit_code(self, threshold: Severity | None) -> int:
        if any(f.reaches(threshold) for f in self.findings):
            return 1
        return 3 if self.verdict == "unknown" else 0


@dataclass(frozen=True)
class LoadProblem:
    """A plugin or check that could not be loaded; reported as an `error` finding."""

    id: str
    message: str


def _as_checks(obj, origin: str) -> list[Check]:
    if callable(obj) and not isinstance(obj, Check):
        obj = obj()
    if isinstance(obj, Check):
        obj = [obj]
    checks = list(obj)
    for check in checks:
        if not isinstance(check, Check):
            raise CheckDefinitionError(f"{origin} provided {type(check).__name__}, not an eksdoctor Check")
        object.__setattr__(check, "origin", origin)
    return checks


def discover() -> tuple[list[Check], list[LoadProblem]]:
    """All checks registered under the `eksdoctor.checks` entry-point group, built-ins included."""
    checks: list[Check] = []
    problems: list[LoadProblem] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name != "builtin", e.name)):
        origin = "builtin" if ep.value.startswith("eksdoctor.checks") else f"plugin:{ep.name}"
        try:
            checks.extend(_as_checks(ep.load(), origin))
        except Exception as exc:  # a broken plugin must not end the run
            problems.append(LoadProblem(_plugin_id(ep.name), f"plugin {ep.name!r} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}"))
    if not any(c.origin == "builtin" for c in checks) and not problems:
        problems.append(LoadProblem("eksdoctor_install", "no built-in checks found: eksdoctor is not installed properly (pip install .)"))
    return checks, problems


def _plugin_id(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_") or "unnamed"
    return f"plugin_{cleaned}"[:64]


def resolve(checks: Iterable[Check]) -> tuple[list[Check], list[LoadProblem]]:
    """Drop duplicates and checks with unknown or cyclic dependencies (as problems); order the rest."""
    by_id: dict[str, Check] = {}
    problems: list[LoadProblem] = []
    for check in checks:
        if check.id in by_id:
            problems.append(LoadProblem(check.id, f"duplicate check id {check.id!r} from {check.origin} (first from {by_id[check.id].origin}); the second was not run"))
            continue
        by_id[check.id] = check
    changed = True
    while changed:  # removing a check can orphan its dependents
        changed = False
        for check in list(by_id.values()):
            missing = [d for d in check.depends_on if d not in by_id]
            if missing:
                problems.append(LoadProblem(check.id, f"check {check.id!r} depends on unknown check(s) {', '.join(missing)}"))
                del by_id[check.id]
                changed = True
    ordered = _topological(by_id)
    for cid in sorted(set(by_id) - {c.id for c in ordered}):
        problems.append(LoadProblem(cid, f"check {cid!r} is part of a dependency cycle"))
    return ordered, problems


def _topological(by_id: dict[str, Check]) -> list[Check]:
    remaining = {cid: set(c.depends_on) for cid, c in by_id.items()}
    ordered: list[Check] = []
    while True:
        ready = sorted((cid for cid, deps in remaining.items() if not deps), key=lambda cid: _sort_key(by_id[cid]))
        if not ready:
            return ordered
        for cid in ready:
            ordered.append(by_id[cid])
            del remaining[cid]
        for deps in remaining.values():
            deps.difference_update(ready)


def _sort_key(check: Check) -> tuple:
    return (STAGES.index(check.stage), check.id)


def depths(checks: list[Check]) -> dict[str, int]:
    """Longest chain of prerequisites above each check (0 for a check with none)."""
    depth: dict[str, int] = {}
    for check in checks:  # topological order
        depth[check.id] = max((depth[d] + 1 for d in check.depends_on), default=0)
    return depth


def run_checks(bundle: Bundle, checks: list[Check], problems: Iterable[LoadProblem] = ()) -> Diagnosis:
    ordered, resolve_problems = resolve(checks)
    results: dict[str, Finding] = {}
    with cycle_collector_paused():
        for check in ordered:
            results[check.id] = _run_one(check, bundle, results)
    findings = list(results.values())
    for problem in [*problems, *resolve_problems]:
        findings.append(Finding(
            id=problem.id, check=problem.id, status=Status.ERROR, severity=Severity.MEDIUM,
            title="Check could not be loaded", detail=problem.message, stage="evidence"))
    ranked = rank(findings, depths(ordered))
    verdict, reason = decide_verdict(ranked, bundle)
    return Diagnosis(tuple(ranked), verdict, reason, dict(bundle.target))


def _finding(check: Check, result: Result) -> Finding:
    if result.confidence not in CONFIDENCES:
        raise ValueError(f"confidence {result.confidence!r} is not one of {CONFIDENCES}")
    return Finding(
        id=check.id,
        check=check.id,
        status=result.status,
        severity=result.severity or check.severity,
        title=result.title or check.title,
        detail=result.detail,
        evidence=result.evidence,
        fix=result.fix,
        docs=check.docs,
        stage=check.stage,
        facts=result.facts,
        confidence=result.confidence,
    )


def _run_one(check: Check, bundle: Bundle, done: dict[str, Finding]) -> Finding:
    blockers = [done[d] for d in check.depends_on if done[d].status in _BLOCKING]
    if blockers:
        names = ", ".join(f"{b.id} ({b.status.value})" for b in blockers)
        return _finding(check, Result(Status.SKIPPED, detail=f"blocked by {names}"))
    missing = [n for n in check.needs if not bundle.has(n)]
    if missing:
        hints = [f"{n} (collect with: {collect_hint(n, bundle.target)})" if collect_hint(n, bundle.target) else n for n in missing]
        facts = tuple((f"missing:{n}", collect_hint(n, bundle.target)) for n in missing)  # for "Missing evidence"
        return _finding(check, Result(Status.SKIPPED, detail="evidence not collected: " + "; ".join(hints), facts=facts))
    try:
        result = check.run(bundle)
        if not isinstance(result, Result):
            raise TypeError(f"returned {type(result).__name__}, not a Result")
        return _finding(check, _with_hints(result, bundle.target))
    except Exception as exc:  # Checkov-style: a crash is UNKNOWN, never silence
        return Finding(
            id=check.id, check=check.id, status=Status.ERROR, severity=check.severity,
            title=f"Check crashed: {check.title}", detail=f"{type(exc).__name__}: {exc}",
            docs=check.docs, stage=check.stage)


def _with_hints(result: Result, target: dict) -> Result:
    """A check's own "missing:NEED" facts (check.skipped(missing=…)) get the command that collects NEED."""
    if not any(k.startswith("missing:") and not v for k, v in result.facts):
        return result
    facts = tuple((k, collect_hint(k.removeprefix("missing:"), target)) if k.startswith("missing:") and not v else (k, v)
                  for k, v in result.facts)
    return replace(result, facts=facts)


def rank(findings: list[Finding], depth: dict[str, int]) -> list[Finding]:
    """Failing root causes first (chain order, then dependency depth), then severity; then the rest."""
    def key(f: Finding):
        stage = STAGES.index(f.stage) if f.stage in STAGES else len(STAGES)
        return (_STATUS_ORDER[f.status], stage, depth.get(f.check, 0), -f.severity.rank, f.id)
    return sorted(findings, key=key)


def decide_verdict(findings: list[Finding], bundle: Bundle) -> tuple[str, str]:
    fails = [f for f in findings if f.status is Status.FAIL]
    if fails:
        return "broken", f"{fails[0].id}: {fails[0].title}"
    errors = [f for f in findings if f.status is Status.ERROR]
    if errors:
        return "unknown", f"{len(errors)} check(s) could not run to completion ({', '.join(e.id for e in errors[:3])})"
    probe = probe_outcome(bundle)
    if probe.ok:
        return "healthy", f"the API server accepted the request ({probe.describe()}) and no check failed"
    if probe.kind == "absent":
        return "unknown", "no check failed, but the bundle has no probe of the API server, so access is unconfirmed"
    return "unknown", f"{probe.describe()}, and no check explains it"

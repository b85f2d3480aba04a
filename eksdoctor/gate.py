"""The pipeline gate: which findings trip `--fail-on SEVERITY` / `--fail-on-id ID`, and the exit code.

Pure: a function of a Diagnosis and the options. Unknown ids are refused before any work is done
(fail closed), so a typo can never turn a failing gate into a pass.
"""
from __future__ import annotations

from .findings import Finding, Severity, Status

_GATING = (Status.FAIL, Status.WARN)


def check_ids(ids, known) -> None:
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ValueError(f"unknown check id(s) for --fail-on-id: {', '.join(unknown)} (eksdoctor checks lists them)")


def tripped(diagnosis, threshold: Severity | None, ids=()) -> list[Finding]:
    """Findings that make the run exit 1: at or above the threshold, or named by --fail-on-id."""
    return [f for f in diagnosis.findings
            if f.reaches(threshold) or (f.id in ids and f.status in _GATING)]


def exit_code(diagnosis, threshold: Severity | None, ids=()) -> int:
    return 1 if tripped(diagnosis, threshold, ids) else diagnosis.exit_code(None)

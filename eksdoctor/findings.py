"""Findings, fixes, statuses and severities: the vocabulary every check and renderer shares.

Plain frozen dataclasses, no I/O. A Finding's status means one thing everywhere:
fail = breaks the diagnosed access now; warn = a risk or evidence gap; pass; skipped; error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    FAIL = "fail"
    ERROR = "error"
    WARN = "warn"
    PASS = "pass"
    SKIPPED = "skipped"


class Severity(str, Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]

# Who must run a fix step. Free text is allowed, these are the usual ones.
AFFECTED_USER = "affected user"
CLUSTER_ADMIN = "cluster admin"
CLUSTER_CREATOR = "cluster creator"
IAM_ADMIN = "IAM admin"

CONFIDENCES = ("", "certain", "likely", "possible")

_URL = re.compile(r"^\s*[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class FixStep:
    """One step of a fix: the exact command with real names, who runs it, and why."""

    command: str
    run_as: str
    why: str

    def __post_init__(self) -> None:
        if not self.command.strip():
            raise ValueError("a fix step needs a command")
        if _URL.match(self.command):
            raise ValueError(f"a fix command must be a command, not a URL: {self.command!r}")
        if not self.run_as.strip():
            raise ValueError("a fix step must say who runs it (run_as)")

    def to_dict(self) -> dict:
        return {"command": self.command, "run_as": self.run_as, "why": self.why}


@dataclass(frozen=True)
class Finding:
    id: str
    check: str
    status: Status
    severity: Severity
    title: str
    detail: str = ""
    evidence: tuple[str, ...] = ()
    fix: tuple[FixStep, ...] = ()
    docs: str = ""
    stage: str = ""
    facts: tuple[tuple[str, str], ...] = field(default=())
    confidence: str = ""  # "certain", "likely" or "possible" when a check can say; "" otherwise

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "check": self.check,
            "status": self.status.value,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "stage": self.stage,
            "evidence": list(self.evidence),
            "facts": {k: v for k, v in self.facts},
            "confidence": self.confidence,
            "fix": [step.to_dict() for step in self.fix],
            "docs": self.docs,
        }

    def reaches(self, threshold: Severity | None) -> bool:
        """True when this finding should make the run exit 1 at this --fail-on threshold."""
        if threshold is None or self.status not in (Status.FAIL, Status.WARN):
            return False
        return self.severity.rank >= threshold.rank


def parse_fail_on(value: str) -> Severity | None:
    """`never` disables the gate; anything not a known severity is a usage error (fail closed)."""
    value = value.strip().lower()
    if value == "never":
        return None
    try:
        return Severity(value)
    except ValueError:
        choices = "never, " + ", ".join(s.value for s in _SEVERITY_ORDER)
        raise ValueError(f"unknown severity {value!r} for --fail-on (choose one of: {choices})") from None

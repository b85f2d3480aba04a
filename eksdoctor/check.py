"""What a check is: metadata validated at load, plus a pure function of the bundle.

A check never imports boto3, kubernetes, subprocess or the clock. It returns a Result;
the engine turns it into a Finding and fills in id, severity, docs and stage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .bundle import Bundle
from .findings import FixStep, Severity, Status

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
NEED_PATTERN = re.compile(r"^(aws:[a-z0-9-]+:[A-Za-z0-9]+|kubernetes:[a-z0-9./_-]+|local:[a-z_]+)$")

# The chain a kubectl request goes through, in order; every check sits on one step.
STAGES = (
    "kubeconfig",
    "credentials",
    "token",
    "network",
    "cluster",
    "authentication",
    "authorization",
    "evidence",
)


class CheckDefinitionError(Exception):
    """A check's metadata is invalid; raised at load, never during a diagnosis."""


@dataclass(frozen=True)
class Result:
    """What a check function returns."""

    status: Status
    title: str = ""
    detail: str = ""
    evidence: tuple[str, ...] = ()
    fix: tuple[FixStep, ...] = ()
    severity: Severity | None = None  # overrides the check's default for this result
    facts: tuple[tuple[str, str], ...] = ()
    confidence: str = ""  # "certain" (e.g. confirmed by an authenticator log line), "likely", "possible"


def passed(detail: str = "", *, evidence=(), title: str = "", facts=()) -> Result:
    return Result(Status.PASS, title=title, detail=detail, evidence=tuple(evidence), facts=tuple(facts))


def failed(title: str, detail: str = "", *, evidence=(), fix=(), severity=None, facts=(), confidence="") -> Result:
    return Result(Status.FAIL, title, detail, tuple(evidence), tuple(fix), severity, tuple(facts), confidence)


def warned(title: str, detail: str = "", *, evidence=(), fix=(), severity=None, facts=(), confidence="") -> Result:
    return Result(Status.WARN, title, detail, tuple(evidence), tuple(fix), severity, tuple(facts), confidence)


def skipped(reason: str, *, evidence=()) -> Result:
    return Result(Status.SKIPPED, detail=reason, evidence=tuple(evidence))


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    stage: str
    run: Callable[[Bundle], Result]
    needs: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    docs: str = ""
    summary: str = ""  # one paragraph for `eksdoctor checks show`
    remediation: str = ""  # the usual fix, with placeholders, for the catalog
    catalog: bool = True  # True when id is a failure mode of the project's catalog
    origin: str = field(default="builtin", compare=False)

    def __post_init__(self) -> None:
        # Accept plain strings for convenience in check modules.
        if isinstance(self.severity, str):
            object.__setattr__(self, "severity", _severity(self.severity, self.id))
        object.__setattr__(self, "needs", tuple(self.needs))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))
        self.validate()

    def validate(self) -> None:
        where = f"check {self.id!r}"
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            raise CheckDefinitionError(f"{where}: id must be snake_case, 3-64 characters")
        if not self.title or not isinstance(self.title, str):
            raise CheckDefinitionError(f"{where}: a title is required")
        if self.stage not in STAGES:
            raise CheckDefinitionError(f"{where}: stage {self.stage!r} is not one of {', '.join(STAGES)}")
        if not callable(self.run):
            raise CheckDefinitionError(f"{where}: run must be a function of the bundle")
        for need in self.needs:
            if not isinstance(need, str) or not NEED_PATTERN.match(need):
                raise CheckDefinitionError(f"{where}: need {need!r} is not aws:<service>:<Operation>, kubernetes:<key> or local:<key>")
        if self.id in self.depends_on:
            raise CheckDefinitionError(f"{where}: a check cannot depend on itself")
        if self.remediation and re.match(r"^\s*[a-z][a-z0-9+.-]*://", self.remediation, re.I):
            raise CheckDefinitionError(f"{where}: remediation must be a command, not a URL")


def _severity(value: str, check_id: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise CheckDefinitionError(f"check {check_id!r}: severity {value!r} is not one of {choices}") from None

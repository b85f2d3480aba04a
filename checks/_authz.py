"""Shared by the authorization checks: the caller is authenticated, and is it allowed what it tried
(the symptom's 403, a recorded access review, or the model over access policies and RBAC)?"""
from __future__ import annotations

from typing import Callable

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, passed
from eksdoctor.model.evidence import caller_decision, question, rbac
from eksdoctor.model.identity import Explanation
from eksdoctor.model.rbac import Decision

from ._server import caller, cannot_tell, not_applicable


def caller_denied(bundle: Bundle, applies: Callable[[Explanation], bool], what: str, *,
                  unknown_is_denied: bool = False) -> tuple[Explanation, Decision] | Result:
    """(explanation, decision) when the caller is mapped the way `applies` selects and is denied (or,
    with unknown_is_denied, not known to be allowed); otherwise the passing Result."""
    x = caller(bundle)
    if x is None or not x.authenticated:
        return not_applicable("the caller is not authenticated (an authentication check explains why)")
    if not applies(x):
        return passed(f"the caller is not {what} (it is mapped by {x.matched_by})")
    decision = caller_decision(bundle, question(bundle))
    if decision is None:
        return not_applicable("no authorization evidence")
    if decision.allowed:
        return passed(decision.describe())
    if decision.allowed is None and not unknown_is_denied:
        return cannot_tell(f"cannot tell whether {decision.question.describe()} is allowed: " + "; ".join(decision.notes))
    return x, decision


def authz_confidence(bundle: Bundle, d: Decision) -> str:
    if d.allowed is False and (d.by or any("403" in n or "answered by" in n for n in d.notes)):
        return "certain"
    r = rbac(bundle)
    return "certain" if d.allowed is False and r is not None and r.complete else "likely"

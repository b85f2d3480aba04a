"""`eksdoctor preflight`: can this identity reach the cluster, authenticate, and do each stated action?

Pure: a function of the bundle, the questions and the diagnosis. The API server's own answer
(SelfSubjectAccessReview) decides when it lets the caller in. Without a review, the authorization
model answers from the bundle (`answer_from_model`) when the evidence allows, else the action is
`unknown`. When the caller is not let in, the access problem is the answer (exit 1), explained
by the diagnosis' findings.
Exit codes: 0 all allowed, 1 an action denied or access broken, 3 inconclusive evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

from .bundle import Bundle, Call
from .engine import Diagnosis
from .findings import Finding, Severity, Status
from .model import fixes
from .model.evidence import identity
from .model.probe import probe_outcome

ALLOWED, DENIED, UNKNOWN = "allowed", "denied", "unknown"
CAN_ID, ACCESS_ID = "preflight_can", "preflight_access"


@dataclass(frozen=True)
class Answer:
    question: str  # as the user wrote it
    spec: dict  # the SelfSubjectAccessReview spec it was parsed into
    verdict: str  # allowed, denied or unknown
    reason: str
    source: str = ""  # "SelfSubjectAccessReview", "model" or "" (nobody could answer)
    pointer: str = ""


@dataclass(frozen=True)
class Preflight:
    verdict: str  # allowed, denied, unauthenticated, unreachable, broken, inconclusive
    reason: str
    access: str  # ok, unauthenticated, unreachable, broken (not reached, a check says why), inconclusive
    exit_code: int
    caller: str | None  # the AWS identity kubectl's exec plugin presents
    username: str | None  # who the API server says the caller is
    answers: tuple[Answer, ...]


def answer_from_model(bundle: Bundle, question: str, spec: dict) -> Answer | None:
    """When the API server gave no review: the authorization model (model/rbac.py: access policies ∪
    RBAC, for what the caller is mapped to) answers, if the evidence lets it; else nobody does."""
    from .model.evidence import caller_decision, caller_explanation
    from .model.rbac import Question
    attrs = spec.get("resourceAttributes") or {}
    resource = str(attrs.get("resource") or "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
    q = Question(str(attrs.get("verb") or ""), resource, str(attrs.get("group") or ""), attrs.get("namespace"))
    x = caller_explanation(bundle)
    if x is None or not x.authenticated:
        return None
    decision = caller_decision(bundle, q)
    if decision is None or decision.allowed is None:
        return None
    why = decision.describe() + (f" ({'; '.join(decision.notes)})" if decision.notes else "")
    return Answer(question, spec, ALLOWED if decision.allowed else DENIED, why, "model")


def _review(bundle: Bundle, spec: dict) -> Call | None:
    calls = [c for c in bundle.kube("selfsubjectaccessreviews") if c.request == spec]
    return calls[-1] if calls else None


def _username(bundle: Bundle) -> str | None:
    """Who the API server says the caller is (SelfSubjectReview), else who the model maps it to."""
    from .model.evidence import caller_explanation, kube_user
    user = kube_user(bundle)
    if user:
        return user[0]
    x = caller_explanation(bundle)
    return x.username if x is not None and x.authenticated and x.username else None


def _answer(bundle: Bundle, question: str, spec: dict, username: str | None, why_not_asked: str) -> Answer:
    call = _review(bundle, spec)
    if call is not None and call.ok and isinstance(call.response, dict):
        status = call.response.get("status") if isinstance(call.response.get("status"), dict) else {}
        if status.get("allowed") is True:
            return Answer(question, spec, ALLOWED, status.get("reason") or "allowed", "SelfSubjectAccessReview", call.pointer)
        reason = status.get("reason") or "no RBAC rule or access policy allows it"
        if status.get("evaluationError"):
            reason += f" (evaluation error: {status['evaluationError']})"
        return Answer(question, spec, DENIED, reason, "SelfSubjectAccessReview", call.pointer)
    modelled = answer_from_model(bundle, question, spec)
    if modelled is not None:
        return modelled
    if call is not None:
        return Answer(question, spec, UNKNOWN, f"the review could not be made ({call.error_code}: "
                      f"{(call.error or {}).get('message', '')})", "", call.pointer)
    return Answer(question, spec, UNKNOWN, f"not asked: {why_not_asked}")


def evaluate(bundle: Bundle, questions: list[tuple[str, dict]], diagnosis: Diagnosis) -> Preflight:
    probe = probe_outcome(bundle)
    caller = identity(bundle)
    username = _username(bundle)
    root = diagnosis.root_cause
    if probe.kind in ("ok", "forbidden"):
        access, access_reason = "ok", ""
    elif probe.kind == "unauthorized":
        access, access_reason = "unauthenticated", probe.describe()
    elif probe.kind == "connect":
        access, access_reason = "unreachable", probe.describe()
    elif probe.kind == "absent" and root is not None:
        access, access_reason = "broken", f"the evidence has no answer from the API server, and {root.id}: {root.title}"
    else:
        access, access_reason = "inconclusive", probe.describe()
    answers = tuple(_answer(bundle, text, spec, username, access_reason or "no SelfSubjectAccessReview for it in the evidence")
                    for text, spec in questions)
    denied = [a for a in answers if a.verdict == DENIED]
    unknown = [a for a in answers if a.verdict == UNKNOWN]
    arn = caller.arn if caller else None
    if access in ("unauthenticated", "unreachable", "broken"):
        return Preflight(access, access_reason, access, 1, arn, username, answers)
    if denied:
        reason = "; ".join(f"{a.question}: denied ({a.reason})" for a in denied)
        return Preflight(DENIED, reason, access, 1, arn, username, answers)
    if access == "inconclusive" or unknown:
        reason = access_reason or "; ".join(f"{a.question}: {a.reason}" for a in unknown)
        return Preflight("inconclusive", reason, access, 3, arn, username, answers)
    what = ", ".join(a.question for a in answers) or "authenticate"
    return Preflight(ALLOWED, f"{username or arn or 'the caller'} can {what}", access, 0, arn, username, answers)


def findings(result: Preflight, target: dict) -> list[Finding]:
    """The answers as findings, so every output format (table, SARIF, JUnit) can show them."""
    who = result.username or result.caller or "the caller"
    out = []
    if result.access != "ok":
        status = Status.SKIPPED if result.access == "inconclusive" else Status.FAIL
        out.append(Finding(id=ACCESS_ID, check=ACCESS_ID, status=status, severity=Severity.CRITICAL,
                           title=f"{who} cannot use cluster {target.get('cluster') or '?'}: {result.access}",
                           detail=result.reason, stage="authentication"))
    for a in result.answers:
        status = {ALLOWED: Status.PASS, DENIED: Status.FAIL, UNKNOWN: Status.SKIPPED}[a.verdict]
        verb = {ALLOWED: "can", DENIED: "cannot", UNKNOWN: "may not be able to"}[a.verdict]
        fix = ()
        if a.verdict == DENIED and result.username:
            fix = fixes.grant_rbac(a.spec.get("resourceAttributes") or {}, result.username,
                                   f"lets {result.username} (as the API server names the caller) {a.question}")
        detail = f"{a.reason}" + (f" (answered by {a.source})" if a.source else "")
        if a.verdict == DENIED and not fix:
            detail += "; run `eksdoctor diagnose` for who the API server thinks the caller is"
        out.append(Finding(id=CAN_ID, check=CAN_ID, status=status, severity=Severity.HIGH,
                           title=f"{who} {verb} {a.question}", detail=detail,
                           evidence=(a.pointer,) if a.pointer else (), fix=fix, stage="authorization",
                           facts=(("question", a.question), ("answer", a.verdict))))
    return out


def combined(result: Preflight, diagnosis: Diagnosis) -> Diagnosis:
    """The diagnosis with the answers first, and a verdict that matches the exit code."""
    verdict = {0: "healthy", 1: "broken", 3: "unknown"}[result.exit_code]
    own = findings(result, diagnosis.target)
    # denied actions first, then what the checks say broke access, then the bare access failure
    first = [f for f in own if f.id == CAN_ID and f.status is Status.FAIL]
    first += [f for f in diagnosis.findings if f.status is Status.FAIL]
    first += [f for f in own if f.id == ACCESS_ID and f.status is Status.FAIL]
    rest = [f for f in (*own, *diagnosis.findings) if not any(f is g for g in first)]
    return Diagnosis(tuple(first + rest), verdict, f"preflight {result.verdict}: {result.reason}", diagnosis.target)


def document(result: Preflight, diagnosis: Diagnosis) -> dict:
    from .render.json import diagnosis_document
    return {
        "schema_version": 1,
        "kind": "preflight",
        "verdict": result.verdict,
        "reason": result.reason,
        "exit_code": result.exit_code,
        "caller": result.caller,
        "username": result.username,
        "target": diagnosis.target,
        "questions": [{"question": a.question, "spec": a.spec, "answer": a.verdict, "reason": a.reason,
                       "source": a.source, "evidence": a.pointer} for a in result.answers],
        "diagnosis": diagnosis_document(diagnosis),
    }


def needs_explaining(bundle: Bundle, questions: list[tuple[str, dict]]) -> bool:
    """True unless the evidence so far already says "all allowed" (then no more collection is needed)."""
    return evaluate(bundle, questions, Diagnosis((), "unknown", "", bundle.target)).exit_code != 0


RULES = [
    {"id": CAN_ID, "title": "The pipeline's identity may do each action it needs", "severity": "high",
     "stage": "authorization", "docs": "README.md#preflight-in-ci",
     "summary": "Asked with a SelfSubjectAccessReview as the identity kubectl presents: the API server's own answer "
                "for each --can action.",
     "remediation": "kubectl create role … --verb=VERB --resource=RESOURCE -n NS; kubectl create rolebinding … --user=USERNAME -n NS"},
    {"id": ACCESS_ID, "title": "The pipeline's identity reaches the API server and authenticates", "severity": "critical",
     "stage": "authentication", "docs": "README.md#preflight-in-ci",
     "summary": "The API server must be reachable from where the job runs and must accept the identity's token; "
                "the diagnosis' findings say why it did not.",
     "remediation": "eksdoctor diagnose --cluster NAME (the root cause and its fix)"},
]

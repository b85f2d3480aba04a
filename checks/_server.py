"""Shared by the server-side checks: the diagnosed caller's explanation, whether it is blocked now,
and fixes chosen for the cluster's authentication mode (access entries first where allowed).

Pure helpers over the bundle and eksdoctor.model; no check logic of its own.
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, passed, skipped
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.evidence import caller_explanation, cluster_evidence, kube_user, target
from eksdoctor.model.identity import MASTERS, Explanation, Principal
from eksdoctor.model.logevidence import log_confidence
from eksdoctor.model.probe import probe_outcome
from eksdoctor.model.rbac import DEFAULT_QUESTION, Question, least_cluster_role, least_policy

NODE_GROUPS = ("system:nodes", "system:bootstrappers")


def not_applicable(reason: str, evidence=()) -> Result:
    """A specific cause that does not apply (or cannot be evaluated) must not block the generic
    checks that depend on it, so it passes and says why, instead of being skipped."""
    return passed(reason, evidence=evidence)


def cannot_tell(reason: str, evidence=(), missing=()) -> Result:
    """A check that cannot be evaluated for lack of evidence: skipped, with what is missing (and, for
    the needs in `missing`, the command that collects each)."""
    return skipped(reason, evidence=evidence, missing=missing)


def caller(bundle: Bundle) -> Explanation | None:
    return caller_explanation(bundle)


def blocked(bundle: Bundle, x: Explanation | None) -> bool:
    """The model says the caller is not mapped, and the API server did not say otherwise (it accepted
    the probe, or answered a SelfSubjectReview, the ground truth of who the caller is)."""
    return x is not None and not x.authenticated and not probe_outcome(bundle).ok and kube_user(bundle) is None


def evidence_of(bundle: Bundle, x: Explanation | None = None) -> list[str]:
    ev = cluster_evidence(bundle)
    out = []
    ident = bundle.first_ok("aws", "sts:GetCallerIdentity", as_="exec")
    if ident:
        out.append(ident.pointer)
    if x is not None and x.entry is not None:
        out.extend(x.entry.pointers)
    if ev.aws_auth is not None:
        call = bundle.first_ok("kubernetes", "configmaps/kube-system/aws-auth")
        if call:
            out.append(call.pointer)
    probe = probe_outcome(bundle)
    if probe.pointer:
        out.append(probe.pointer)
    return list(dict.fromkeys(out))


def confidence(bundle: Bundle, x: Explanation) -> str:
    """certain: complete evidence and the API server's 401 agree, or the authenticator's log denied this
    very ARN as not mapped; likely: one of them; possible: neither, or the log granted it since."""
    if not x.authenticated and x.principal.canonical:
        logged, _ = log_confidence(bundle, x.principal.canonical)
        if logged:
            return logged
    probe = probe_outcome(bundle)
    if not x.unknowns and probe.kind == "unauthorized":
        return "certain"
    if not x.unknowns or probe.kind == "unauthorized":
        return "likely"
    return "possible"


def log_lines(bundle: Bundle, x: Explanation | None) -> tuple[list[str], list[str]]:
    """(detail lines, evidence pointers) of the authenticator log lines that confirm or refute that x is
    not mapped; empty when the bundle holds none (eksdoctor.model.logevidence)."""
    if x is None or x.authenticated or not x.principal.canonical:
        return [], []
    logged, lines = log_confidence(bundle, x.principal.canonical)
    if not lines:
        return [], []
    said = "confirms it" if logged == "certain" else "granted this ARN after denying it, so this may already be fixed"
    return [f"The authenticator's log {said}:"] + [f"  {line.show()}" for line in lines], [line.pointer for line in lines]


def cannot_read(bundle: Bundle) -> bool:
    """The affected user could not read access entries or aws-auth (AccessDenied, 401, 403)."""
    ev = cluster_evidence(bundle)
    entries_denied = ev.entries is not None and not ev.entries.readable and "InvalidRequest" not in ev.entries.error
    return entries_denied or ev.aws_auth_state == "unreadable"


def entry_arn(p: Principal, cluster_account: str = "") -> str:
    """The ARN an access entry needs: the full ARN with its path (a shell look-up when unknown; not
    for another account's role, which the cluster account's IAM cannot see)."""
    if p.full_arn:
        return p.full_arn
    kind = arns.principal_type(p.canonical)
    if kind == "ROLE" and (not cluster_account or p.account == cluster_account):
        return fixes.full_arn_expr("role", p.name)
    return p.canonical


def level_for(groups: tuple[str, ...], q: Question) -> tuple[str, str]:
    """(access policy, default ClusterRole) that give what a principal needs."""
    if MASTERS in groups:
        return "AmazonEKSClusterAdminPolicy", "cluster-admin"
    return least_policy(q), least_cluster_role(q)


def grant(bundle: Bundle, p: Principal, why: str, *, groups: tuple[str, ...] = (), username: str | None = None,
          q: Question = DEFAULT_QUESTION, run_as: str = CLUSTER_ADMIN) -> tuple[FixStep, ...]:
    """Give principal P access in the way the cluster's mode allows: an access entry with a policy
    (full ARN), else an aws-auth row (path-less ARN) plus the RBAC binding its group needs."""
    t = target(bundle)
    policy, role = level_for(groups, q)
    namespaces = ()
    steps: list[FixStep] = []
    if uses_entries(t.auth_mode) or t.auth_mode is None:
        arn = entry_arn(p, cluster_evidence(bundle).account)
        if arn == p.canonical and p.is_role and not p.full_arn:
            why += " (if the role has an IAM path, put it in the ARN)"
        # the groups an aws-auth row gave keep their RBAC bindings (access entries cannot carry system:*)
        kept = tuple(g for g in groups if not g.startswith("system:"))
        steps.extend(fixes.grant_with_access_entry(t, arn, policy, why, namespaces, run_as, groups=kept))
    if t.auth_mode in ("CONFIG_MAP", None):
        kept = tuple(g for g in groups if g not in NODE_GROUPS) or ("viewers" if role == "view" else f"{role}s",)
        name = username or (f"{p.name}:{{{{SessionName}}}}" if p.is_role else p.name or p.canonical)
        prefix = "if the cluster is in CONFIG_MAP mode: " if t.auth_mode is None else ""
        for step in fixes.grant_with_aws_auth(t, arns.strip_path(p.canonical), name, kept, prefix + why, run_as):
            steps.append(step)
        if MASTERS not in kept:
            steps.append(FixStep(fixes.bind_group(kept[0], role), run_as,
                                 f"the group {kept[0]} needs an RBAC binding, or the mapping authenticates but is Forbidden"))
    return tuple(steps)


def admin_steps(bundle: Bundle, x: Explanation) -> tuple[FixStep, ...]:
    """When the affected user cannot read the mapping sources: what an admin runs for them."""
    return fixes.admin_read_steps(target(bundle), x.principal.input_arn) if cannot_read(bundle) else ()


def node_like(groups: tuple[str, ...], username: str) -> bool:
    return username.startswith("system:node:") or any(g in NODE_GROUPS for g in groups)

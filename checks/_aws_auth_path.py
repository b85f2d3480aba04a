"""Shared by role_path_in_aws_auth and sso_role_in_aws_auth: mapRoles rows written with an IAM path.

The authenticator compares rolearn with the caller's canonical ARN, which never has a path
(STS drops it), so a pathed rolearn never matches anyone (reference/authenticator.md §3, §6.1).
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.evidence import aws_auth, target

from ._server import blocked, caller, cannot_tell, confidence, evidence_of, log_lines, node_like, not_applicable


def run_path_check(bundle: Bundle, *, sso: bool) -> Result:
    parsed, call = aws_auth(bundle)
    t = target(bundle)
    if t.auth_mode == "API":  # whatever aws-auth holds, and whether or not it could be read
        return not_applicable("the cluster's authentication mode is API: aws-auth is not consulted",
                              evidence=[call.pointer] if call else [])
    if parsed is None:
        reason = f"aws-auth could not be read ({call.error_code})" if call is not None else "aws-auth was not read"
        return cannot_tell(f"nothing to check: {reason}", evidence=[call.pointer] if call else [])
    kind = "IAM Identity Center role" if sso else "role"
    rows = [m for m in parsed.roles if m.valid and arns.has_path(m.arn) and arns.is_sso_role(m.arn) == sso]
    if not rows:
        return passed(f"no mapRoles row names a {kind} with a path", evidence=[call.pointer])
    x = caller(bundle)
    mine = [m for m in rows if x and x.principal.canonical and arns.same_principal(arns.strip_path(m.arn), x.principal.canonical)]
    evidence = evidence_of(bundle, x)
    shown = mine or rows
    lines = [f"{m.where}: rolearn {m.arn} never matches; the caller's canonical ARN is {arns.strip_path(m.arn)}" for m in shown]
    why = "aws-auth matches the path-less role ARN (STS never reports the path)"
    if t.auth_mode == "API_AND_CONFIG_MAP":
        fix = _access_entry_fix(t, shown)
    else:
        fix = fixes.rewrite_aws_auth_arns([(m.arn, arns.strip_path(m.arn)) for m in shown], why)
    facts = [("rolearn", shown[0].arn), ("maps_as", arns.strip_path(shown[0].arn))]
    if x:
        facts.append(("caller", x.principal.input_arn))
    title = f"aws-auth maps the {kind} with its path, so it never matches"
    detail = "\n".join(lines)
    if x is None or (mine and blocked(bundle, x)):
        logged, pointers = log_lines(bundle, x)
        detail = "\n".join([detail, *logged])
        return failed(title, detail, evidence=evidence + pointers, fix=fix, facts=facts,
                      confidence=confidence(bundle, x) if x else "")
    if mine:
        detail += f"\nThe caller gets in anyway ({x.matched_by or 'the API server accepted it'}), so this row is dead, not the cause."
    else:
        detail += f"\nThe diagnosed caller ({x.principal.input_arn}) is not one of these roles, so this is not what blocks it."
    return warned(title, detail, evidence=evidence, fix=fix, severity=Severity.MEDIUM, facts=facts)


def _access_entry_fix(t, rows) -> tuple:
    steps = []
    for m in rows:
        admin = "system:masters" in m.groups
        groups = tuple(g for g in m.groups if not g.startswith("system:"))
        node = node_like(m.groups, m.username)
        steps.append(FixStep(
            fixes.create_access_entry(t, m.arn, groups=() if node else groups, entry_type="EC2_LINUX" if node else None),
            CLUSTER_ADMIN, "access entries take the role's full ARN, path included, and match it by its unique ID"))
        if admin:
            steps.append(FixStep(
                fixes.associate_access_policy(t, m.arn, fixes.CLUSTER_ADMIN_POLICY), CLUSTER_ADMIN,
                "replaces system:masters, which access entries cannot carry"))
    return tuple(steps)

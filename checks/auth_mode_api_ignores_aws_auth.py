"""auth_mode_api_ignores_aws_auth: the cluster is in mode API, where aws-auth is ignored entirely; the
caller (or a node role) is only in aws-auth. The fix is an access entry per aws-auth principal."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import Severity
from eksdoctor.model.awsauth import effective
from eksdoctor.model.evidence import cluster_evidence, explain_for

from ._server import blocked, caller, confidence, evidence_of, grant, node_like, not_applicable


def _orphans(bundle, ev) -> list[str]:
    """aws-auth rows whose principal has no entry: dead since the switch to API."""
    roles, users, _ = effective(ev.aws_auth)
    out = []
    for m in roles + users:
        if not m.arn or ev.entries is None or not ev.entries.readable:
            continue
        x = explain_for(bundle, m.arn)
        if not x.authenticated:
            out.append(f"{m.where} {m.arn}" + (" (a node role: its nodes cannot register)" if node_like(m.groups, m.username) else ""))
    return out


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.mode != "API":
        return not_applicable(f"mode {ev.mode or 'unknown'}: aws-auth is consulted where it applies")
    if ev.aws_auth is None:
        return not_applicable(f"aws-auth is {ev.aws_auth_state}")
    x = caller(bundle)
    orphans = _orphans(bundle, ev)
    near = x.near("mode_ignored") if x else []
    if near and blocked(bundle, x):
        m = near[0].mapping
        lines = [near[0].detail, "Mode API cannot go back to a mode that reads aws-auth: create access entries instead."]
        if orphans:
            lines.append("Other aws-auth rows without an entry: " + "; ".join(orphans))
        return failed(f"Mode API ignores aws-auth, where {x.principal.canonical} is mapped", "\n".join(lines),
                      evidence=evidence_of(bundle, x), fix=grant(bundle, x.principal, "replaces the ignored aws-auth row",
                                                                 groups=m.groups if m else ()),
                      confidence=confidence(bundle, x))
    if orphans:
        return warned("aws-auth rows without an access entry are ignored in mode API", "\n".join(orphans), severity=Severity.MEDIUM)
    return passed("every aws-auth principal also has an access entry")


CHECK = Check(
    id="auth_mode_api_ignores_aws_auth",
    title="Mode API ignores aws-auth",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/auth_mode_api_ignores_aws_auth.md",
    summary=("In authentication mode API only access entries count; aws-auth is ignored and the mode cannot be "
             "changed back. Principals (and node roles) that exist only in aws-auth get Unauthorized."),
    remediation="aws eks create-access-entry for each aws-auth principal (node roles with --type EC2_LINUX/FARGATE_LINUX)",
    run=run,
)

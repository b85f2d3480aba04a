"""system_masters_risk: aws-auth rows (or the creator's hidden mapping) grant system:masters, which
bypasses authorization entirely and cannot be carried over to access entries. Always a warning."""
from eksdoctor.check import Check, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.awsauth import effective
from eksdoctor.model.evidence import cluster_evidence, target

from ._server import cannot_tell


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.mode == "API":
        return passed("mode API: no aws-auth row and no hidden creator mapping grants system:masters")
    if ev.aws_auth is None and ev.creator is None:
        return cannot_tell(f"aws-auth is {ev.aws_auth_state} and the creator is unknown")
    roles, users, _ = effective(ev.aws_auth) if ev.aws_auth else ([], [], {})
    masters = [m for m in roles + users if "system:masters" in m.groups and m.arn]
    lines = [f"{m.where} {m.arn} is in system:masters" for m in masters]
    if ev.creator is not None and ev.mode == "CONFIG_MAP":
        lines.append(f"the cluster creator {ev.creator.arn} is in system:masters through the hidden bootstrap mapping")
    if not lines:
        return passed("no aws-auth row grants system:masters")
    t = target(bundle)
    fix = list(fixes.switch_mode(t)) if not uses_entries(ev.mode) else []
    for m in masters:
        fix.append(FixStep(fixes.create_access_entry(t, m.arn), CLUSTER_ADMIN, f"replaces {m.where}"))
        fix.append(FixStep(fixes.associate_access_policy(t, m.arn, fixes.CLUSTER_ADMIN_POLICY), CLUSTER_ADMIN,
                           "an admin that RBAC and EKS can see and revoke; then remove the aws-auth row"))
    return warned("system:masters is granted outside of RBAC", "\n".join(lines) +
                  "\nsystem:masters bypasses every authorizer and cannot be restricted; access entries cannot carry it.",
                  fix=tuple(fix), severity=None if masters else Severity.INFO)


CHECK = Check(
    id="system_masters_risk",
    title="system:masters granted through aws-auth or the creator",
    severity="low",
    stage="authorization",
    needs=(),
    docs="docs/checks/system_masters_risk.md",
    summary=("Members of system:masters bypass authorization; RBAC cannot restrict or audit them well, and access "
             "entries refuse the group. Named break-glass roles with AmazonEKSClusterAdminPolicy are the replacement."),
    remediation="aws eks create-access-entry … && aws eks associate-access-policy … AmazonEKSClusterAdminPolicy, then drop the row",
    run=run,
)

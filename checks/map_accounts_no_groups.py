"""map_accounts_no_groups: mapAccounts authenticates every principal of an account as its canonical ARN
with no groups; without RBAC for that exact name the caller is Forbidden."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import caller_decision, cluster_evidence, question
from eksdoctor.model.rbac import least_cluster_role

from ._authz import authz_confidence
from ._server import caller, evidence_of, grant, not_applicable


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.aws_auth is None or not ev.aws_auth.accounts:
        return not_applicable("aws-auth has no mapAccounts" if ev.aws_auth else f"aws-auth is {ev.aws_auth_state}")
    x = caller(bundle)
    risk = (f"mapAccounts lists {', '.join(ev.aws_auth.accounts)}: every principal of those accounts authenticates, "
            "named by its ARN, with no groups.")
    if x is None or x.matched_by != "mapAccounts":
        return warned("aws-auth mapAccounts authenticates whole accounts", risk, severity=Severity.LOW)
    d = caller_decision(bundle, question(bundle))
    if d is not None and d.allowed:
        return passed(f"the caller is mapped by mapAccounts and {d.describe()}")
    q = d.question if d else question(bundle)
    role = least_cluster_role(q)
    ns = q.namespace if q.namespace not in (None, "default") else None
    fix = (FixStep(fixes.bind_user(x.username, role, ns), CLUSTER_ADMIN, f"RBAC for the exact username {x.username}"),)
    fix += grant(bundle, x.principal, "or map the principal explicitly, with a group or an access policy")
    return failed(f"{x.username} is authenticated only through mapAccounts, with no groups",
                  risk + f"\nThe caller is user {x.username!r}, and no binding allows {q.describe()}.",
                  evidence=evidence_of(bundle, x), fix=fix, confidence=authz_confidence(bundle, d) if d else "likely",
                  severity=Severity.HIGH)


CHECK = Check(
    id="map_accounts_no_groups",
    title="Caller is mapped only by mapAccounts (no groups)",
    severity="medium",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/map_accounts_no_groups.md",
    summary=("mapAccounts lets every principal of an account in, with username = its canonical ARN and no groups, so "
             "it has only what RBAC grants that exact name — usually nothing (Forbidden)."),
    remediation="kubectl create clusterrolebinding … --user=<ARN>, or map the principal with a group / access entry",
    run=run,
)

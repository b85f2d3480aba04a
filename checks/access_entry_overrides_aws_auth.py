"""access_entry_overrides_aws_auth: in API_AND_CONFIG_MAP an access entry wins over an aws-auth row for
the same principal; an entry with fewer permissions (often none) hides the aws-auth grant."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import caller_decision, question, rbac, target
from eksdoctor.model.rbac import authorize

from ._authz import authz_confidence
from ._entries import delete_entry
from ._server import caller, evidence_of, level_for, not_applicable


def run(bundle):
    x = caller(bundle)
    if x is None or x.matched_by != "access entry" or x.configmap is None or not x.configmap.matched or x.mode == "API":
        return not_applicable("the caller is not in both an access entry and aws-auth (in a mode that reads both)")
    row = x.configmap.mapping
    where = x.configmap.via
    d = caller_decision(bundle, question(bundle))
    q = d.question if d else question(bundle)
    row_groups = row.groups if row else ()
    would = authorize(row.username if row else x.principal.canonical, row_groups, (), rbac(bundle), q)
    detail = (f"The caller is in access entry {x.entry.principal_arn} and in aws-auth {where}; the entry wins, so "
              f"aws-auth's {', '.join(row_groups) or 'mapping'} does not apply.")
    if d is not None and d.allowed is False and would.allowed:
        t = target(bundle)
        policy, _ = level_for(row_groups, q)
        fix = (FixStep(fixes.associate_access_policy(t, x.entry.principal_arn, policy), CLUSTER_ADMIN,
                       f"gives the entry what the aws-auth row gave ({policy})"),
               FixStep(delete_entry(t, x.entry.principal_arn), CLUSTER_ADMIN,
                       "or delete the entry to fall back to the aws-auth row"))
        return failed(f"The access entry hides aws-auth {where}, which allowed {q.describe()}", detail,
                      evidence=evidence_of(bundle, x), fix=fix, confidence=authz_confidence(bundle, d))
    if d is not None and d.allowed:
        return passed(detail + f" The entry allows {q.describe()}.")
    return warned("aws-auth row is shadowed by an access entry", detail, severity=Severity.LOW)


CHECK = Check(
    id="access_entry_overrides_aws_auth",
    title="Access entry overrides the caller's aws-auth row",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/access_entry_overrides_aws_auth.md",
    summary=("In API_AND_CONFIG_MAP, when a principal has both an access entry and an aws-auth row, only the entry "
             "counts. An entry created without a policy (IaC, the console) silently removes a system:masters grant."),
    remediation="associate a policy to the entry, or aws eks delete-access-entry to fall back to aws-auth",
    run=run,
)

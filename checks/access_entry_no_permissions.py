"""access_entry_no_permissions: the caller's STANDARD access entry has no access policy and no
Kubernetes groups, so it authenticates but may do nothing beyond API discovery (403)."""
from eksdoctor.check import Check, Result, failed
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.evidence import target
from eksdoctor.model.rbac import least_policy

from ._authz import authz_confidence, caller_denied
from ._server import evidence_of


def _empty(x) -> bool:
    e = x.entry
    return (x.matched_by == "access entry" and e is not None and e.effective_type == "STANDARD"
            and e.policies is not None and not e.policies and not x.groups)


def run(bundle):
    # Nothing but an RBAC binding for the exact username could allow anything: unknown RBAC still means denied.
    found = caller_denied(bundle, _empty, "an access entry without policies or groups", unknown_is_denied=True)
    if isinstance(found, Result):
        return found
    x, d = found
    t = target(bundle)
    policy = least_policy(d.question)
    namespaces = (d.question.namespace,) if d.question.namespace not in (None, "default") else ()
    fix = (FixStep(fixes.associate_access_policy(t, x.entry.principal_arn, policy, namespaces), CLUSTER_ADMIN,
                   f"{policy} allows {d.question.describe()}"),)
    detail = (f"The access entry {x.entry.principal_arn} authenticates the caller as {x.username} but has no "
              f"associated access policy and no Kubernetes groups, so {d.question.describe()} is Forbidden.")
    return failed(f"The access entry for {x.entry.principal_arn} grants no permissions", detail,
                  evidence=evidence_of(bundle, x), fix=fix, facts=[("entry", x.entry.principal_arn), ("username", x.username or "")],
                  confidence=authz_confidence(bundle, d))


CHECK = Check(
    id="access_entry_no_permissions",
    title="Access entry has no access policy and no groups",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    depends_on=("access_entry_overrides_aws_auth", "session_name_transliteration"),
    docs="docs/checks/access_entry_no_permissions.md",
    summary=("A STANDARD access entry with neither an associated access policy nor kubernetesGroups authenticates the "
             "principal and then allows nothing: every request is Forbidden."),
    remediation=("aws eks associate-access-policy --cluster-name <cluster> --principal-arn <ARN> --policy-arn "
                 "arn:<partition>:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster"),
    run=run,
)

"""access_policy_scope: the caller's access policies would allow the request but are scoped to other
namespaces (or namespace-scoped for a cluster-scoped resource), or cover no such resource at all (CRDs)."""
from eksdoctor.check import Check, Result, failed, passed
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.evidence import target
from eksdoctor.model.rbac import policy_allows

from ._authz import authz_confidence, caller_denied
from ._server import evidence_of


def run(bundle):
    found = caller_denied(bundle, lambda x: x.matched_by == "access entry" and bool(x.policies), "given access policies")
    if isinstance(found, Result):
        return found
    x, d = found
    q, t, arn = d.question, target(bundle), x.entry.principal_arn
    right_kind = [p for p in x.policies if policy_allows(p.name, q)]
    if right_kind:
        p = right_kind[0]
        if q.namespace is None:
            namespaces, scope = (), "type=cluster"
        else:
            namespaces = tuple(dict.fromkeys(p.scope.namespaces + (q.namespace,)))
            scope = "type=namespace,namespaces=" + ",".join(namespaces)
        detail = (f"{p.name} allows {q.verb} on {q.resource}, but it is associated with scope {p.scope.describe()}, "
                  f"which does not cover {'cluster-scoped requests' if q.namespace is None else 'namespace ' + q.namespace}."
                  " EKS does not check namespace names, so a typo or a wildcard that matches nothing is accepted.")
        fix = (FixStep(fixes.associate_access_policy(t, arn, p.name, namespaces), CLUSTER_ADMIN,
                       f"re-associating replaces the scope with {scope}"),)
        return failed(f"{p.name} is scoped away from {q.describe()}", detail, evidence=evidence_of(bundle, x), fix=fix,
                      facts=[("policy", p.name), ("scope", p.scope.describe())], confidence=authz_confidence(bundle, d))
    if any(policy_allows(p.name, q) is None for p in x.policies):
        return passed("a policy with undocumented permissions is associated: cannot tell")
    group = x.groups[0] if x.groups else f"{q.resource.split('/')[0]}-{q.verb}"
    role = f"{q.resource.split('/')[0]}-{q.verb}"
    resource = q.resource + (f".{q.group}" if q.group else "")
    fix = []
    if not x.groups:
        fix.append(FixStep(f"aws eks update-access-entry{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} --principal-arn "
                           f"{fixes.q(arn)} --kubernetes-groups {fixes.q(group)}", CLUSTER_ADMIN,
                           "managed access policies cannot be extended; a group carries RBAC permissions instead"))
    fix.append(FixStep(f"kubectl create clusterrole {fixes.q(role)} --verb={fixes.q(q.verb)} --resource={fixes.q(resource)}",
                       CLUSTER_ADMIN, f"a role that allows exactly {q.verb} on {resource}"))
    fix.append(FixStep(fixes.bind_group(group, role, q.namespace if q.namespace not in (None, "default") else None),
                       CLUSTER_ADMIN, f"binds it to group {group}"))
    names = ", ".join(p.name for p in x.policies)
    return failed(f"No AWS-managed access policy covers {resource}", f"{names} do(es) not include {q.verb} on {resource} "
                  "(managed policies do not cover custom resources), and no RBAC binding grants it.",
                  evidence=evidence_of(bundle, x), fix=tuple(fix), confidence=authz_confidence(bundle, d))


CHECK = Check(
    id="access_policy_scope",
    title="Access policy scope or coverage does not include the request",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/access_policy_scope.md",
    summary=("Access policies apply within their scope: a namespace-scoped association never covers other namespaces "
             "or cluster-scoped resources, and the managed policies do not cover custom resources."),
    remediation="aws eks associate-access-policy … --access-scope type=namespace,namespaces=<ns> (or type=cluster)",
    run=run,
)

"""access_entry_group_unbound: the caller's access entry carries kubernetesGroups that no RBAC
binding references; EKS never checks, so the group grants nothing."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import caller_decision, question, rbac
from eksdoctor.model.rbac import least_cluster_role

from ._authz import authz_confidence
from ._server import caller, cannot_tell, evidence_of, not_applicable


def run(bundle):
    x = caller(bundle)
    if x is None or not x.authenticated or x.matched_by != "access entry" or not x.groups:
        return not_applicable("the caller is not mapped by an access entry with Kubernetes groups")
    r = rbac(bundle)
    if r is None:
        return cannot_tell("RBAC bindings were not collected: cannot tell whether the groups are bound",
                           missing=("kubernetes:clusterrolebindings", "kubernetes:rolebindings"))
    unbound = [g for g in x.groups if not r.group_bound(g)]
    if not unbound:
        return passed(f"every group of the entry is bound: {', '.join(x.groups)}")
    d = caller_decision(bundle, question(bundle))
    q = d.question if d else question(bundle)
    role = least_cluster_role(q)
    ns = q.namespace if q.namespace not in (None, "default") else None
    fix = tuple(FixStep(fixes.bind_group(g, role, ns), CLUSTER_ADMIN, f"gives group {g} the {role} ClusterRole") for g in unbound[:1])
    similar = [f"{k} {n}" for b in r.bindings for k, n in b.subjects for g in unbound if n.casefold() == g.casefold() and (k, n) != ("Group", g)]
    detail = (f"The entry {x.entry.principal_arn} puts the caller in {', '.join(unbound)}, but no RoleBinding or "
              "ClusterRoleBinding has a Group subject by that name (EKS does not check)." +
              (f" Near matches (RBAC names are case-sensitive; the kind must be Group): {', '.join(similar)}." if similar else ""))
    if d is not None and d.allowed is False:
        return failed(f"Group {unbound[0]} of the caller's access entry is bound to nothing", detail, evidence=evidence_of(bundle, x),
                      fix=fix, confidence=authz_confidence(bundle, d))
    return warned(f"Group {unbound[0]} of the caller's access entry is bound to nothing", detail, fix=fix, severity=Severity.LOW)


CHECK = Check(
    id="access_entry_group_unbound",
    title="Access entry group has no RBAC binding",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    depends_on=("session_name_transliteration",),
    docs="docs/checks/access_entry_group_unbound.md",
    summary=("kubernetesGroups on an access entry only mean something when a RoleBinding or ClusterRoleBinding names "
             "the group (kind Group, exact case). EKS never checks that one exists."),
    remediation="kubectl create clusterrolebinding <group>-view --clusterrole=view --group=<group>",
    run=run,
)

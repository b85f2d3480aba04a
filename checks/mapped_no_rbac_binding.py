"""mapped_no_rbac_binding: aws-auth maps the caller to a username and groups, but no RBAC binding
grants them the request, so every call is Forbidden (the 403 names the mapped user)."""
from eksdoctor.check import Check, Result, failed
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.evidence import rbac
from eksdoctor.model.identity import MASTERS
from eksdoctor.model.rbac import least_cluster_role

from ._authz import authz_confidence, caller_denied
from ._server import evidence_of


def run(bundle):
    found = caller_denied(bundle, lambda x: x.matched_by.startswith(("mapRoles", "mapUsers")) and MASTERS not in x.groups,
                          "mapped by an aws-auth row")
    if isinstance(found, Result):
        return found
    x, d = found
    r = rbac(bundle)
    q = d.question
    role = least_cluster_role(q)
    ns = q.namespace if q.namespace not in (None, "default") else None
    who = x.groups[0] if x.groups else x.username
    bound = r.bindings_for(x.username or "", x.groups) if r else []
    lines = [f"aws-auth {x.matched_by} maps the caller to user {x.username!r}"
             + (f" in groups {', '.join(x.groups)}" if x.groups else " with no groups") + "."]
    if r is None:
        lines.append("RBAC bindings were not collected; the API server's answer shows the request is Forbidden.")
    elif bound:
        lines.append(f"Bindings for them exist ({', '.join(b.where for b in bound)}) but none allows {q.describe()}.")
    else:
        lines.append("No RoleBinding or ClusterRoleBinding names that user or those groups.")
        similar = sorted({f"{k} {n}" for b in r.bindings for k, n in b.subjects
                          for g in x.groups if n.casefold() == g.casefold() and (k, n) != ("Group", g)})
        if similar:
            lines.append(f"Near matches (RBAC names are case-sensitive; the kind must be Group): {', '.join(similar)}.")
    step = fixes.bind_group(who, role, ns) if x.groups else fixes.bind_user(who, role, ns)
    fix = (FixStep(step, CLUSTER_ADMIN, f"allows {q.describe()} ({role})"),)
    return failed(f"{x.username} is mapped but no RBAC binding allows {q.describe()}", "\n".join(lines),
                  evidence=evidence_of(bundle, x), fix=fix, facts=[("username", x.username or ""), ("groups", ",".join(x.groups))],
                  confidence=authz_confidence(bundle, d))


CHECK = Check(
    id="mapped_no_rbac_binding",
    title="aws-auth mapping has no RBAC binding",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    depends_on=("session_name_transliteration", "duplicate_mapping_shadowed"),
    docs="docs/checks/mapped_no_rbac_binding.md",
    summary=("aws-auth only authenticates: the mapped username and groups still need a RoleBinding or "
             "ClusterRoleBinding. Without one (or with a Group spelled differently) every request is Forbidden."),
    remediation="kubectl create clusterrolebinding <group>-view --clusterrole=view --group=<group>",
    run=run,
)

"""impersonation_disables_policies: the kubeconfig impersonates (as/as-groups), so EKS access policies do not apply."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes

from ._client import view


def run(bundle):
    v = view(bundle)
    if v.sel is None:
        return skipped("the kubeconfig was not collected", missing=("local:kubeconfig",))
    who = v.sel.impersonation
    if not who:
        return passed("the kubeconfig does not impersonate anyone")
    shown = ", ".join(filter(None, [f"as {who['user']}" if who.get("user") else "",
                                    f"as-groups {', '.join(who['groups'])}" if who.get("groups") else ""]))
    # kubectl config's property names are the internal ones: act-as, not the file's as (which unset ignores)
    steps = [FixStep(fixes.unset_kubeconfig(f"users.{v.user}.act-{key}"), AFFECTED_USER, f"stop impersonating ({key})")
             for key in ("as", "as-groups", "as-uid", "as-user-extra") if (v.sel.user or {}).get(key)]
    if who.get("user"):
        steps.append(FixStep(f"kubectl create clusterrolebinding {fixes.q(who['user'].replace(':', '-') + '-view')} "
                             f"--clusterrole=view --user={fixes.q(who['user'])}", CLUSTER_ADMIN,
                             "or give the impersonated user RBAC (access policies never apply to impersonated requests)"))
    detail = (f"The kubeconfig user {v.user} impersonates ({shown}): kubectl adds Impersonate-* headers, the request is "
              "authorized as the impersonated identity with Kubernetes RBAC only, and EKS access policies associated "
              "with your IAM principal do not apply. `kubectl auth can-i --list` does not show access-policy grants either.")
    if v.probe.kind == "forbidden":
        return failed(f"kubectl impersonates ({shown}), so your EKS access policies do not apply", f"{detail}\n{v.reach}",
                      evidence=["local.kubeconfig", v.probe.pointer], fix=tuple(steps), facts=[("impersonate", shown)],
                      confidence="likely")
    note = "401 comes before impersonation is even considered" if v.probe.kind == "unauthorized" else v.probe.describe()
    return warned(f"kubectl impersonates ({shown})", f"{detail}\n({note})", evidence=["local.kubeconfig"],
                  fix=tuple(steps), severity=Severity.MEDIUM, facts=[("impersonate", shown)])


CHECK = Check(
    id="impersonation_disables_policies",
    title="The kubeconfig impersonates, so EKS access policies do not apply",
    severity="high",
    stage="kubeconfig",
    depends_on=("wrong_context",),
    docs="docs/checks/impersonation_disables_policies.md",
    summary=("With as/as-groups in the kubeconfig (or kubectl --as), requests are authorized as the "
             "impersonated identity by RBAC alone; access policies associated with the IAM principal are "
             "ignored, and the IAM principal itself needs RBAC permission to impersonate."),
    remediation="kubectl config unset users.<user>.as  (or RBAC for the impersonated identity)",
    run=run,
)

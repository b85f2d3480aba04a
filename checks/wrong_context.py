"""wrong_context: kubectl's context is missing, broken, or points at another cluster than the one diagnosed."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model.fixes import q, use_context

from ._client import view


def _fix(v, wanted: str | None) -> tuple:
    merged = kcm.view(v.bundle).get("merged") or {}
    endpoint = (v.cluster.raw.get("endpoint") if v.cluster else None) or None
    matches = kcm.contexts_for(merged, wanted, endpoint, v.target.region) if wanted else []
    steps = []
    if matches:
        steps.append(FixStep(use_context(matches[0]), AFFECTED_USER,
                             f"context {matches[0]} already points at cluster {wanted}"))
    if wanted:
        steps.append(FixStep(v.update_kubeconfig(alias=None, profile=None, role_arn=None), AFFECTED_USER,
                             f"writes (or refreshes) a context for cluster {wanted} and makes it current"))
    else:
        steps.append(FixStep("aws eks list-clusters --output table", AFFECTED_USER,
                             "find the cluster's name, then aws eks update-kubeconfig --region <region> --name <name> "
                             "writes its context (or run eksdoctor diagnose --cluster <name>)"))
    return tuple(steps)


def run(bundle):
    v = view(bundle)
    if v.sel is None:
        return skipped("the kubeconfig was not collected")
    kc = kcm.view(bundle)
    wanted = bundle.target.get("cluster")
    evidence = ["local.kubeconfig"]
    if kc.get("fatal"):
        files = kc.get("files") or []
        steps = [FixStep(f"kubectl config view --kubeconfig {q(f)} >/dev/null", AFFECTED_USER,
                         "shows the error with its line; fix or move the file aside") for f in files[:1]]
        return failed("kubectl cannot load the kubeconfig", f"kubectl prints: error: {kc['fatal']}\n"
                      "kubectl never sends the request: it stops while reading its configuration.",
                      evidence=evidence, fix=tuple(steps) + _fix(v, wanted), facts=[("files", ", ".join(files))])
    if v.sel.problem:
        detail = v.sel.problem + "."
        if not v.sel.context_name or not v.sel.context:
            detail += ("\nkubectl prints: The connection to the server localhost:8080 was refused - did you specify the right host or port?"
                       if not v.sel.context_name else f'\nkubectl prints: error: context "{v.sel.context_name}" does not exist')
        detail += "\nkubectl never sends the request to the EKS API server."
        calls = bundle.aws("eks:DescribeCluster")
        if calls and calls[-1].error_code == "ResourceNotFoundException":
            return warned("kubectl has no usable context for this cluster", detail +
                          f"\nThere is no cluster {wanted} in {bundle.target.get('region')} either: see cluster_not_found_region.",
                          evidence=evidence, severity=Severity.MEDIUM)
        return failed("kubectl has no usable context" if not v.sel.context else "The context is incomplete",
                      detail, evidence=evidence, fix=_fix(v, wanted), facts=[("context", v.sel.context_name or "")])
    named = kcm.eks_cluster(v.sel)
    asked = (bundle.local.get("options") or {}).get("cluster")
    endpoint = v.cluster.raw.get("endpoint") if v.cluster else None
    other = asked and ((named.name and named.name != asked) or
                       (not named.name and endpoint and not kcm.same_server(v.sel.server, endpoint)))
    if other:
        points = named.name or v.sel.server
        return failed(f"The context points at {points}, not at cluster {asked}",
                      f'kubectl uses context "{v.sel.context_name}" ({v.sel.server}), which is cluster {points}; '
                      f"you asked about {asked}.\n{v.reach} That answer is about {points}.",
                      evidence=evidence, fix=_fix(v, asked),
                      facts=[("context", v.sel.context_name), ("context_cluster", points), ("asked", asked)])
    shadowed = [s for s in kc.get("shadowed") or [] if
                (s.get("section"), s.get("name")) in {("contexts", v.sel.context_name), ("clusters", v.sel.cluster_name), ("users", v.sel.user_name)}]
    if shadowed:
        lines = [f"{s['section']} {s['name']!r} is defined differently in {s['file']}; kubectl uses the one in {s['used_from']}"
                 for s in shadowed]
        return warned("KUBECONFIG lists several files and an earlier one wins", "\n".join(lines)
                      + "\nkubectl merges KUBECONFIG files so that the first file defining a name wins.",
                      evidence=evidence, severity=Severity.MEDIUM, fix=_fix(v, wanted))
    return passed(f'context "{v.sel.context_name}" → cluster {named.name or v.sel.cluster_name} ({v.sel.server})',
                  evidence=evidence)


CHECK = Check(
    id="wrong_context",
    title="kubectl's context is missing or points at another cluster",
    severity="high",
    stage="kubeconfig",
    docs="docs/checks/wrong_context.md",
    summary=("kubectl uses --context or current-context, merged from every KUBECONFIG file with the first "
             "file winning. No context means localhost:8080; a context for another cluster gives that "
             "cluster's answer (often 401) for a cluster you do have access to."),
    remediation="kubectl config use-context arn:aws:eks:<region>:<account>:cluster/<name>  (or aws eks update-kubeconfig --region <region> --name <name>)",
    run=run,
)

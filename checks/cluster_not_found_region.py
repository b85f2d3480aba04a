"""cluster_not_found_region: DescribeCluster finds no such cluster here (other region, name case), or it is not ACTIVE."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import Target

from ._client import view

USABLE = ("ACTIVE", "UPDATING")


def run(bundle):
    result = _judge(bundle)
    v = view(bundle)
    if result.status.value == "fail" and v.probe.ok:  # kubectl itself works: only lookups by name are affected
        return warned(result.title, result.detail + "\nkubectl is not affected; aws eks commands that name the cluster are.",
                      evidence=result.evidence, fix=result.fix, facts=result.facts, severity=Severity.MEDIUM)
    return result


def _judge(bundle):
    v = view(bundle)
    calls = bundle.aws("eks:DescribeCluster")
    if not calls:
        return skipped("eks:DescribeCluster was not collected")
    t = v.target
    if v.cluster is not None:
        status = v.cluster.raw.get("status")
        if status and status not in USABLE:
            fix = (FixStep(f"aws eks wait cluster-active{' --region ' + fixes.q(t.region) if t.region else ''} --name {fixes.q(t.cluster)}",
                           AFFECTED_USER, "wait until the cluster is ACTIVE"),) if status == "CREATING" else ()
            return failed(f"Cluster {t.cluster} is {status}, not ACTIVE", f"Cluster status is {status}.\n{v.reach}",
                          evidence=[v.cluster.pointer], fix=fix, facts=[("status", status)], confidence="certain")
        return passed(f"cluster {t.cluster} is {status or 'found'} in {t.region}", evidence=[v.cluster.pointer])
    last = calls[-1]
    if last.error_code != "ResourceNotFoundException":
        return skipped(f"eks:DescribeCluster failed ({last.error_code}); whether the cluster exists is unknown")
    name = t.cluster
    exact, similar, searched = [], [], 0
    for call in bundle.aws("eks:ListClusters"):
        if not call.ok:
            continue
        searched += 1
        region = call.region or bundle.target.get("region") or ""
        for other in (call.response or {}).get("clusters", []):
            if other == name:
                exact.append(region)
            elif str(other).lower() == name.lower():
                similar.append((region, other))
    here = bundle.target.get("region")
    account = bundle.target.get("account") or "this account"
    reach = ("kubectl has no context for this cluster, so it never sends the request."
             if v.probe.kind == "absent" and (v.sel is None or v.sel.problem) else v.reach)
    text = f"An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: {name}."
    if exact:
        right = Target(name, exact[0], t.account, t.partition, None)
        return failed(f"Cluster {name} is in {', '.join(exact)}, not in {here}", f"{text}\n{name} exists in {', '.join(exact)}.\n{reach}",
                      evidence=[last.pointer], fix=(FixStep(fixes.update_kubeconfig(right, alias=v.alias()), AFFECTED_USER,
                                                            f"point the kubeconfig at {exact[0]}"),),
                      facts=[("region", exact[0])], confidence="certain")
    if similar:
        region, other = similar[0]
        right = Target(other, region, t.account, t.partition, None)
        return failed(f"No cluster named {name}; there is {other} (cluster names are case-sensitive)", f"{text}\n{reach}",
                      evidence=[last.pointer], fix=(FixStep(fixes.update_kubeconfig(right, alias=v.alias()), AFFECTED_USER,
                                                            f"use the exact name {other}"),),
                      facts=[("cluster", other), ("region", region)], confidence="likely")
    fix = (FixStep(f"aws eks list-clusters{' --region ' + fixes.q(here) if here else ''} --output table", AFFECTED_USER,
                   "lists the clusters this identity can see here; a wrong account or profile shows as an empty list"),)
    return failed(f"No cluster named {name} in {account}", text + f"\nNot found in any of the {searched} regions searched.\n{reach}",
                  evidence=[last.pointer], fix=fix, confidence="likely")


CHECK = Check(
    id="cluster_not_found_region",
    title="The cluster is not found in this region or account, or is not ACTIVE",
    severity="high",
    stage="cluster",
    docs="docs/checks/cluster_not_found_region.md",
    summary=("DescribeCluster answers ResourceNotFoundException when the region or account is wrong or the "
             "name differs (names are case-sensitive); eksdoctor lists clusters in every region to say where it is."),
    remediation="aws eks update-kubeconfig --region <right region> --name <name>",
    run=run,
)

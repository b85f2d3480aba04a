"""stale_kubeconfig_recreated_cluster: the kubeconfig's server or CA is not the cluster's (deleted and recreated)."""
from __future__ import annotations

import base64
import binascii

from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model.fixes import use_context

from ._client import view


def _pem(data) -> bytes | None:
    try:
        return base64.b64decode(str(data), validate=False).strip()
    except (binascii.Error, ValueError):
        return None


def run(bundle):
    v = view(bundle)
    if v.sel is None or v.sel.cluster is None:
        return skipped("the kubeconfig context has no cluster to compare", missing=() if v.sel else ("local:kubeconfig",))
    calls = bundle.aws("eks:DescribeCluster")
    if v.cluster is None:
        code = calls[-1].error_code if calls else ""
        return skipped(f"eks:DescribeCluster {'failed (' + code + ')' if code else 'was not collected'}: nothing to compare the kubeconfig with",
                       missing=("aws:eks:DescribeCluster",))
    endpoint = str(v.cluster.raw.get("endpoint") or "")
    problems, facts = [], []
    if endpoint and not kcm.same_server(v.sel.server, endpoint):
        problems.append(f"the kubeconfig's server is {v.sel.server}, the cluster's endpoint is {endpoint}")
        facts += [("kubeconfig_server", v.sel.server), ("cluster_endpoint", endpoint)]
    mine = v.sel.cluster.get("certificate-authority-data")
    theirs = (v.cluster.raw.get("certificateAuthority") or {}).get("data")
    if mine and theirs and _pem(mine) != _pem(theirs):
        problems.append("the kubeconfig's certificate-authority-data is not the cluster's CA "
                        "(kubectl fails with x509: certificate signed by unknown authority)")
    if not problems:
        return passed(f"the kubeconfig's server and CA match the cluster ({endpoint or v.sel.server})",
                      evidence=["local.kubeconfig", v.cluster.pointer])
    net = bundle.local.get("endpoint") or {}
    if net.get("dns_error"):
        problems.append(f"DNS: {net['dns_error']} (kubectl: Unable to connect to the server: dial tcp: lookup … no such host)")
    steps = [FixStep(v.update_kubeconfig(), AFFECTED_USER,
                     f"rewrites the entry for {v.target.cluster} with its current endpoint and CA")]
    merged = kcm.view(bundle).get("merged") or {}
    good = [c for c in kcm.contexts_for(merged, "", endpoint) if c != v.sel.context_name]
    if good:
        steps.insert(0, FixStep(use_context(good[0]), AFFECTED_USER, f"context {good[0]} already has the current endpoint"))
    return failed(f"The kubeconfig still points at an older {v.target.cluster} (recreated cluster)",
                  "\n".join(problems) + f"\n{v.reach}", evidence=["local.kubeconfig", v.cluster.pointer],
                  fix=tuple(steps), facts=facts, confidence="certain")


CHECK = Check(
    id="stale_kubeconfig_recreated_cluster",
    title="The kubeconfig's server or CA is not the cluster's",
    severity="high",
    stage="kubeconfig",
    depends_on=("wrong_context",),
    docs="docs/checks/stale_kubeconfig_recreated_cluster.md",
    summary=("A cluster deleted and recreated with the same name gets a new endpoint and a new CA. A "
             "kubeconfig written before still has the old ones: DNS 'no such host' or x509 errors, "
             "never an HTTP answer."),
    remediation="aws eks update-kubeconfig --region <region> --name <name>",
    run=run,
)

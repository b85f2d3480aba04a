"""wrong_cluster_name_in_token: the token is signed for another cluster name than the cluster's (x-k8s-aws-id)."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.findings import AFFECTED_USER, FixStep

from ._client import exec_check


@exec_check
def run(v):
    bundle = v.bundle
    if v.cluster is None:
        return skipped("eks:DescribeCluster did not succeed: the cluster's real name is unknown")
    raw = v.cluster.raw
    outposts = bool(raw.get("outpostConfig"))
    real = str(raw.get("id") if outposts and raw.get("id") else raw.get("name") or v.target.cluster)
    signed_for = v.args.cluster if v.args else None
    token = v.run.get("token") or {}
    replay = next((c for c in bundle.aws("sts:GetCallerIdentity", as_="token") if c.request.get("x-k8s-aws-id") == real), None)
    sts_says = replay is not None and replay.error_code == "SignatureDoesNotMatch" and "Signature expired" not in str(replay.error)
    fix = (FixStep(v.update_kubeconfig(), AFFECTED_USER, f"writes the exact {'cluster ID' if outposts else 'name'} {real} into the exec args"),)
    if token and "x-k8s-aws-id" not in [h.lower() for h in token.get("signed_headers") or []]:
        return failed("The token does not sign the x-k8s-aws-id header",
                      "The authenticator rejects it: input token was not properly formatted: client did not sign the "
                      f"x-k8s-aws-id header in the pre-signed URL\n{v.reach}", evidence=["local.exec"], fix=fix, confidence="certain")
    if signed_for and signed_for != real:
        lines = [f"The exec plugin signs x-k8s-aws-id: {signed_for}; the cluster's {'ID' if outposts else 'name'} is {real}.",
                 "The authenticator replays the token to STS with its own cluster name, the signature no longer matches, "
                 "and STS answers 403 SignatureDoesNotMatch: the API server says 401 Unauthorized."]
        if signed_for.lower() == real.lower():
            lines.append("The names differ only in case; the comparison is exact.")
        if sts_says:
            lines.append(f"Confirmed: replaying the token with x-k8s-aws-id: {real}, STS answered {replay.error_code}.")
        lines.append(v.reach)
        return failed(f"The token is signed for cluster {signed_for!r}, not {real!r}", "\n".join(lines),
                      evidence=["local.kubeconfig", v.cluster.pointer] + ([replay.pointer] if replay else []), fix=fix,
                      facts=[("signed_for", signed_for), ("cluster", real)], confidence="certain" if sts_says else "likely")
    if outposts and v.args and v.args.cluster_name and not v.args.cluster_id:
        return failed("This Outposts local cluster needs --cluster-id, not --cluster-name",
                      f"Local clusters on Outposts sign x-k8s-aws-id with the cluster ID ({real}).\n{v.reach}",
                      evidence=[v.cluster.pointer], fix=fix, confidence="likely")
    if replay is not None and replay.ok:
        return passed(f"STS accepts the token with x-k8s-aws-id: {real}", evidence=[replay.pointer])
    return passed(f"the token is signed for {signed_for or real}, the cluster's name")


CHECK = Check(
    id="wrong_cluster_name_in_token",
    title="The token is signed for another cluster name",
    severity="critical",
    stage="token",
    depends_on=("wrong_context", "cluster_not_found_region"),
    docs="docs/checks/wrong_cluster_name_in_token.md",
    summary=("--cluster-name (or -i) is signed into the token as the x-k8s-aws-id header. The authenticator "
             "replays it with the real cluster name; an alias, a typo, a case difference or a kubeconfig "
             "copied from another cluster gives STS SignatureDoesNotMatch and 401 Unauthorized."),
    remediation="aws eks update-kubeconfig --region <region> --name <exact name>",
    run=run,
)

"""sts_endpoint_problem: the token is presigned for an STS endpoint the authenticator refuses or STS rejects."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model import token as tokens

from ._client import view

# Regions that must be enabled per account; global-endpoint (v1) tokens are not valid there.
OPT_IN = {"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
          "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
          "me-south-1", "mx-central-1"}
ENDPOINT_VARS = ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")


def _endpoint_fix(v) -> tuple:
    exec_env = (v.run.get("env") or {})
    in_exec = [n for n in ENDPOINT_VARS if n in exec_env]
    args = v.exec_arg_list
    if "--endpoint-url" in " ".join(args) or in_exec:
        cleaned, skip = [], False
        for a in args:
            if skip:
                skip = False
                continue
            if a == "--endpoint-url":
                skip = True
                continue
            if not a.startswith("--endpoint-url="):
                cleaned.append(a)
        return (FixStep(fixes.set_exec_credentials(v.user, v.command, cleaned, api_version=v.api_version, env_unset=tuple(in_exec)),
                        AFFECTED_USER, "let the plugin presign for real STS"),)
    return (FixStep(fixes.unset_env(ENDPOINT_VARS), AFFECTED_USER, "let the plugin presign for real STS"),)


def run(bundle):
    v = view(bundle)
    if v.sel is None:
        return skipped("the kubeconfig was not collected", missing=("local:kubeconfig",))
    token = v.run.get("token") or kcm.view(bundle).get("static_token") or {}
    if not token.get("host"):
        return passed("no EKS token to judge")
    partition = v.cluster.partition if v.cluster else (kcm.eks_cluster(v.sel).partition or "aws")
    host, scheme = token["host"], token.get("scheme") or "https"
    where = ["local.exec" if v.run.get("token") else "local.kubeconfig"]
    problem = (f'unexpected scheme "{scheme}" in pre-signed URL' if scheme != "https" else tokens.host_problem(host, partition))
    endpoint = v.how.get("endpoint_url")
    if problem:
        said = f"input token was not properly formatted: {problem}"
        detail = f"The token is presigned for {scheme}://{host}; the authenticator of this {partition} cluster says: {said}"
        if endpoint:
            detail += f"\nThe plugin presigns against the configured endpoint {endpoint} (AWS_ENDPOINT_URL / --endpoint-url)."
            fix = _endpoint_fix(v)
        elif host == "sts.amazonaws.com":
            fix = (FixStep(v.update_kubeconfig(), AFFECTED_USER, "update-kubeconfig puts --region in the exec args, so the token uses the regional STS host"),
                   FixStep("export AWS_STS_REGIONAL_ENDPOINTS=regional", AFFECTED_USER, "and make the AWS CLI prefer regional endpoints"))
        else:
            fix = (FixStep(v.update_kubeconfig(), AFFECTED_USER, f"presign for STS in the cluster's region {v.target.region}"),)
        return failed(f"The token names an STS host the authenticator refuses ({host})", detail + f"\n{v.reach}",
                      evidence=where, fix=fix, facts=[("host", host), ("partition", partition)], confidence="certain")
    replay = next((c for c in bundle.aws("sts:GetCallerIdentity", as_="token") if c.error), None)
    message = str((replay.error or {}).get("message", "")) if replay else ""
    if replay and (replay.error_code == "RegionDisabledException" or "not activated in this region" in message):
        region = host.split(".")[1] if host.count(".") >= 2 else host
        args = [a if a != region else "us-east-1" for a in v.exec_arg_list]
        return failed(f"STS is not activated in {region} for this account",
                      f"STS answered {replay.error_code}: {message}\nThe API server answers 401 Unauthorized.\n{v.reach}",
                      evidence=[replay.pointer], confidence="certain",
                      fix=(FixStep(fixes.set_exec_credentials(v.user, v.command, args, api_version=v.api_version), AFFECTED_USER,
                                   "presign for STS in us-east-1, which is always active (or ask the account admin to "
                                   f"activate STS for {region} in IAM account settings)"),))
    if host == "sts.amazonaws.com" and v.target.region in OPT_IN:
        return warned(f"The token uses the global STS endpoint for a cluster in opt-in region {v.target.region}",
                      "Global-endpoint (v1) session tokens are not valid in opt-in regions.", evidence=where,
                      severity=Severity.MEDIUM,
                      fix=(FixStep("aws iam set-security-token-service-preferences --global-endpoint-token-version v2Token",
                                   "account admin", "make global-endpoint tokens valid in every region"),
                           FixStep(v.update_kubeconfig(), AFFECTED_USER, "or presign for the regional endpoint")))
    return passed(f"the token is presigned for {host}, an STS host of partition {partition}", evidence=where)


CHECK = Check(
    id="sts_endpoint_problem",
    title="The token's STS endpoint is refused",
    severity="high",
    stage="token",
    docs="docs/checks/sts_endpoint_problem.md",
    summary=("The token is a presigned STS URL; the authenticator accepts only STS hosts of the cluster's "
             "partition (no global endpoint outside aws, no custom endpoints) and replays it there. "
             "AWS_ENDPOINT_URL, a wrong partition, or a deactivated regional STS give 401 Unauthorized."),
    remediation="aws eks update-kubeconfig --region <region> --name <name>  (regional STS host)",
    run=run,
)

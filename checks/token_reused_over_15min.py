"""token_reused_over_15min: a fixed or cached EKS token older than the 15 minutes the server accepts."""
from __future__ import annotations

from datetime import timedelta

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model import token as tokens

from ._client import view


def _age(minutes: timedelta) -> str:
    total = int(minutes.total_seconds())
    return f"{total // 3600}h {total % 3600 // 60}m" if total >= 3600 else f"{total // 60}m {total % 60}s"


def run(bundle):
    v = view(bundle)
    if v.sel is None:
        return skipped("the kubeconfig was not collected", missing=("local:kubeconfig",))
    static = kcm.view(bundle).get("static_token") if v.sel.auth_kind in ("token", "token_file") else None
    token, where = (static, "local.kubeconfig") if static else (v.run.get("token"), "local.exec")
    if not token:
        return passed("no EKS token to judge" if not v.uses_exec else "the exec plugin returned no token to judge")
    if not token.get("x_amz_date"):
        return passed("the kubeconfig's token is not an EKS token" if static else "the token carries no X-Amz-Date")
    age = tokens.age(token["x_amz_date"], bundle.collected_at)
    expired = tokens.expiry_problem(token["x_amz_date"], bundle.collected_at)
    holder = (f"The kubeconfig holds a fixed token ({static.get('source') or 'token'}:)" if static
              else "The exec plugin handed out a cached token")
    fix = (FixStep(v.update_kubeconfig(), AFFECTED_USER,
                   "replace the fixed token with the exec plugin (aws eks get-token), which makes a fresh token for each use; "
                   "in Terraform use an exec block instead of aws_eks_cluster_auth's token"),)
    facts = [("x_amz_date", token["x_amz_date"]), ("age", _age(age) if age else "")]
    if expired and age is not None:
        detail = (f"{holder}, signed {_age(age)} "
                  f"before collection (X-Amz-Date {token['x_amz_date']}).\nThe authenticator says: {expired}\n{v.reach}")
        return failed(f"The EKS token is {_age(age)} old; the server accepts tokens for 15 minutes", detail,
                      evidence=[where], fix=fix, facts=facts, confidence="certain")
    if static:
        left = tokens.VALID_FOR - (age or timedelta(0))
        return warned("The kubeconfig holds a fixed EKS token", f"It stops working in {_age(left)} "
                      f"(15 minutes after X-Amz-Date {token['x_amz_date']}).", evidence=[where], fix=fix,
                      facts=facts, severity=Severity.MEDIUM)
    return passed(f"the exec plugin's token is fresh (signed {_age(age) if age and age > timedelta(0) else '0m 0s'} before collection)")


CHECK = Check(
    id="token_reused_over_15min",
    title="An EKS token is reused after its 15 minutes",
    severity="high",
    stage="token",
    docs="docs/checks/token_reused_over_15min.md",
    summary=("The API server accepts an EKS token for 15 minutes after X-Amz-Date. A token pasted into the "
             "kubeconfig (token:), a Terraform aws_eks_cluster_auth token reused across plan and apply, or a "
             "caching wrapper gives 401 Unauthorized once that time has passed."),
    remediation="aws eks update-kubeconfig --region <region> --name <name>  (exec plugin instead of a fixed token)",
    run=run,
)

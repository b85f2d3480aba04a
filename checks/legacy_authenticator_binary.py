"""legacy_authenticator_binary: the kubeconfig runs aws-iam-authenticator (or heptio-authenticator-aws)."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model.execargs import AUTHENTICATOR, LEGACY_AUTHENTICATOR

from ._client import exec_check


def _fix(v) -> tuple:
    steps = []
    if not (v.local.get("tools") or {}).get("aws"):
        steps.append(FixStep(v.install_aws_cli(),
                             AFFECTED_USER, "aws eks get-token replaces the separate authenticator binary"))
    steps.append(FixStep(v.update_kubeconfig(), AFFECTED_USER, "switches the user entry to aws eks get-token"))
    return tuple(steps)


@exec_check
def run(v):
    if not v.args or v.args.tool not in (AUTHENTICATOR, LEGACY_AUTHENTICATOR):
        return passed(f"the exec plugin is {v.command!r}, not the legacy authenticator")
    if not v.run:
        return skipped("the exec plugin was not run (local.exec not collected)")
    if not v.run.get("resolved_path"):
        return failed(f"The kubeconfig runs {v.args.tool}, which is not installed",
                      f"kubectl prints: Unable to connect to the server: getting credentials: {v.run.get('error')}\n"
                      "Old kubeconfigs (older eksctl, early EKS docs) use this separate binary; the AWS CLI's "
                      "`aws eks get-token` does the same job.\nkubectl never sends the request.",
                      evidence=["local.exec"], fix=_fix(v), confidence="certain", facts=[("command", v.command)])
    if v.args.tool == LEGACY_AUTHENTICATOR:
        return warned(f"The kubeconfig runs {LEGACY_AUTHENTICATOR}, the authenticator's name before 2018",
                      f"It is found at {v.run['resolved_path']} but no longer maintained.", evidence=["local.exec"], fix=_fix(v))
    return passed(f"{v.args.tool} is installed at {v.run['resolved_path']}", evidence=["local.exec"])


CHECK = Check(
    id="legacy_authenticator_binary",
    title="The kubeconfig needs the legacy aws-iam-authenticator binary",
    severity="high",
    stage="credentials",
    depends_on=("exec_api_v1alpha1",),
    docs="docs/checks/legacy_authenticator_binary.md",
    summary=("Kubeconfigs from older eksctl versions and early EKS docs run aws-iam-authenticator (or "
             "heptio-authenticator-aws). When it is not installed kubectl cannot get a token."),
    remediation="aws eks update-kubeconfig --region <region> --name <name>",
    run=run,
)

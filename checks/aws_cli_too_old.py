"""aws_cli_too_old: the AWS CLI kubectl runs has no `eks get-token`, or is old enough to matter."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import tools
from eksdoctor.model.execargs import AWS_CLI

from ._client import exec_check, stderr_has


@exec_check
def run(v):
    if not v.args or v.args.tool != AWS_CLI:
        return passed(f"the exec plugin is {v.command!r}, not the AWS CLI")
    text = v.aws_cli_version_text
    version = tools.aws_cli_version(text)
    invalid = stderr_has(v, "Invalid choice", "argument operation")
    fix = (FixStep(v.install_aws_cli(),
                   AFFECTED_USER, "install the current AWS CLI v2 (distribution packages lag behind)"),
           FixStep(v.update_kubeconfig(), AFFECTED_USER, "then rewrite the kubeconfig entry with the new CLI"))
    where = f" ({v.run.get('resolved_path')})" if v.run.get("resolved_path") else ""
    facts = [("aws_cli", tools.dotted(version) if version else str(text))]
    if invalid or (version and tools.older_than(version, tools.GET_TOKEN_SINCE)):
        detail = (f"AWS CLI {facts[0][1]}{where} has no `eks get-token` (it arrived in 1.16.156).\n"
                  f"The plugin says: {invalid or 'aws: error: argument operation: Invalid choice'}\n"
                  f"kubectl prints: getting credentials: exec: executable aws failed with exit code {v.run.get('exit_code', 2)}\n"
                  "kubectl never sends the request.")
        return failed("The AWS CLI kubectl runs is too old for `aws eks get-token`", detail,
                      evidence=["local.exec", "local.tools"], fix=fix, facts=facts, confidence="certain" if invalid else "likely")
    if version is None:
        if not v.run.get("resolved_path"):
            return skipped("the AWS CLI was not found, so its version is unknown")
        return passed(f"the AWS CLI's version could not be read ({text!r})")
    if tools.older_than(version, tools.V1BETA1_SINCE):
        return warned(f"AWS CLI {tools.dotted(version)} predates client.authentication.k8s.io/v1beta1 support",
                      "CLIs before about May 2022 (v1 < 1.24, v2 < 2.7) write v1alpha1 kubeconfigs, which kubectl 1.24+ rejects.",
                      evidence=["local.exec", "local.tools"], fix=fix, facts=facts, severity=Severity.MEDIUM)
    if tools.older_than(version, tools.ACCESS_ENTRIES_SINCE):
        return warned(f"AWS CLI {tools.dotted(version)} has no access-entry commands",
                      "aws eks create-access-entry and associate-access-policy need v2.12.3 / v1.27.160 or later; "
                      "fixes that use them will fail with this CLI.",
                      evidence=["local.tools"], fix=fix[:1], facts=facts, severity=Severity.LOW)
    return passed(f"AWS CLI {tools.dotted(version)}{where}", evidence=["local.exec", "local.tools"])


CHECK = Check(
    id="aws_cli_too_old",
    title="The AWS CLI is too old",
    severity="high",
    stage="credentials",
    depends_on=("aws_binary_missing",),
    docs="docs/checks/aws_cli_too_old.md",
    summary=("AWS CLI versions before 1.16.156 have no `eks get-token`; CLIs from before May 2022 still write "
             "v1alpha1 kubeconfigs; access-entry commands need 2.12.3 / 1.27.160."),
    remediation="install the current AWS CLI v2, then aws eks update-kubeconfig --region <region> --name <name>",
    run=run,
)

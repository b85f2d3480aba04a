"""aws_binary_missing: the exec plugin's `aws` is not on the PATH kubectl searches."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.execargs import AWS_CLI

from ._client import exec_check


@exec_check
def run(v):
    if not v.args or v.args.tool != AWS_CLI or v.args.wrapper:
        return passed(f"the exec plugin is {v.command!r}, not the AWS CLI")
    if not v.run:
        return skipped("the exec plugin was not run (local.exec not collected)")
    if v.run.get("resolved_path"):
        return passed(f"kubectl finds the AWS CLI at {v.run['resolved_path']}", evidence=["local.exec"])
    process = v.local.get("process") or {}
    lines = [f"kubectl prints: Unable to connect to the server: getting credentials: {v.run.get('error') or 'exec: executable aws not found'}",
             "It looks like you are trying to use a client-go credential plugin that is not installed."]
    if "/" in v.command:
        lines.append(f"The kubeconfig names {v.command}, which does not exist (relative commands are resolved "
                     "against the kubeconfig file's folder).")
    elif process.get("path") is not None:
        lines.append("PATH searched: " + (":".join(process["path"]) or "(empty)"))
    if v.run.get("relative_hit"):
        lines.append(f"Found {v.run['relative_hit']} through a relative PATH entry, which kubectl refuses to run.")
    elsewhere = v.run.get("found_elsewhere") or []
    if elsewhere:
        lines.append(f"The AWS CLI is installed at {elsewhere[0]}, but that folder is not on this PATH "
                     "(sudo's secure_path, a GUI app or an IDE starts kubectl with a shorter PATH).")
    if process.get("sudo_user"):
        lines.append(f"This ran under sudo (SUDO_USER={process['sudo_user']}): sudo resets PATH and HOME.")
    lines.append("kubectl never sends the request: it stops while getting credentials.")
    if elsewhere:
        fix = (FixStep(fixes.set_exec_credentials(v.user, elsewhere[0], v.exec_arg_list, api_version=v.api_version),
                       AFFECTED_USER, "make the kubeconfig run the AWS CLI by its absolute path"),)
    else:
        fix = (FixStep(fixes.install_aws_cli(v.local.get("platform"), process.get("machine")), AFFECTED_USER,
                       "install AWS CLI v2 (it puts aws in /usr/local/bin)"),)
    return failed("kubectl cannot find the AWS CLI (aws) to get a token", "\n".join(lines),
                  evidence=["local.exec", "local.process"], fix=fix, confidence="certain",
                  facts=[("command", v.command)] + ([("found_at", elsewhere[0])] if elsewhere else []))


CHECK = Check(
    id="aws_binary_missing",
    title="The AWS CLI is not on kubectl's PATH",
    severity="critical",
    stage="credentials",
    depends_on=("exec_api_v1alpha1",),
    docs="docs/checks/aws_binary_missing.md",
    summary=("kubectl runs `aws eks get-token` from its own PATH. CI images, IDEs, GUI apps and sudo often "
             "have a PATH without the AWS CLI, so kubectl stops with 'executable aws not found'."),
    remediation="install AWS CLI v2, or kubectl config set-credentials <user> --exec-command=<absolute path to aws>",
    run=run,
)

"""exec_api_v1alpha1: the exec plugin's apiVersion is one kubectl rejects, or the plugin answers another."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import fixes, tools
from eksdoctor.model.execargs import AWS_CLI

from ._client import V1, V1ALPHA1, V1BETA1, exec_check, stderr_has


def _fixes(v) -> tuple:
    steps = []
    version = tools.aws_cli_version(v.aws_cli_version_text)
    if v.args and v.args.tool == AWS_CLI and version and tools.older_than(version, tools.V1BETA1_SINCE):
        steps.append(FixStep(v.install_aws_cli(),
                             AFFECTED_USER, f"AWS CLI {tools.dotted(version)} still speaks v1alpha1; newer ones answer what kubectl asks"))
    steps.append(FixStep(v.update_kubeconfig(), AFFECTED_USER, f"rewrites the user entry with apiVersion {V1BETA1}"))
    steps.append(FixStep(fixes.set_exec_credentials(v.user, v.command, v.exec_arg_list, api_version=V1BETA1), AFFECTED_USER,
                         "or change only the apiVersion of the existing entry"))
    return tuple(steps)


@exec_check
def run(v):
    api = v.api_version
    kubectl = tools.kubectl_version(((v.local.get("tools") or {}).get("kubectl") or {}).get("version"))
    warning = stderr_has(v, "deprecated API version")
    evidence = ["local.kubeconfig"] + (["local.exec"] if v.run else [])
    facts = [("configured_api_version", str(api)), ("kubectl", ".".join(map(str, kubectl)) if kubectl else "unknown")]
    if api == V1ALPHA1:
        if kubectl and kubectl < tools.KUBECTL_NO_V1ALPHA1:
            return warned(f"The exec plugin uses {V1ALPHA1}; kubectl 1.24 and later reject it",
                          f"This kubectl ({facts[1][1]}) still accepts it; an upgrade will break it.",
                          evidence=evidence, fix=_fixes(v), facts=facts)
        detail = (f'kubectl prints: error: exec plugin: invalid apiVersion "{V1ALPHA1}" (kubectl 1.24 and later).\n'
                  "kubectl never sends the request: it rejects the kubeconfig before running the plugin.")
        if warning:
            detail += f"\nThe plugin itself warns: {warning}"
        if v.probe.reached_server:
            detail += f"\n(eksdoctor sent the plugin's token itself: {v.probe.describe()}.)"
        return failed(f"The exec plugin uses {V1ALPHA1}, which kubectl no longer accepts", detail,
                      evidence=evidence, fix=_fixes(v), facts=facts, confidence="certain")
    if api not in (V1BETA1, V1):
        return failed(f"The exec plugin's apiVersion {api!r} is not one kubectl knows",
                      f'kubectl prints: error: exec plugin: invalid apiVersion "{api or ""}"\nkubectl never sends the request.',
                      evidence=evidence, fix=_fixes(v), facts=facts, confidence="certain")
    answered = v.run.get("stdout_api_version")
    if answered and answered != api:
        return failed("The exec plugin answers with another apiVersion than the kubeconfig asks for",
                      f"kubectl prints: getting credentials: exec plugin is configured to use API version {api}, "
                      f"plugin returned version {answered}\nkubectl never sends the request.",
                      evidence=evidence, fix=_fixes(v), facts=facts + [("plugin_api_version", answered)], confidence="certain")
    return passed(f"the exec plugin uses {api}" + (f" and answers {answered}" if answered else ""), evidence=evidence)


CHECK = Check(
    id="exec_api_v1alpha1",
    title="The exec plugin's apiVersion is rejected by kubectl",
    severity="high",
    stage="kubeconfig",
    depends_on=("wrong_context",),
    docs="docs/checks/exec_api_v1alpha1.md",
    summary=("kubectl 1.24 dropped client.authentication.k8s.io/v1alpha1. Kubeconfigs written by old AWS CLI "
             "or eksctl versions still name it, and old plugins may answer a different version than asked."),
    remediation="upgrade the AWS CLI, then aws eks update-kubeconfig --region <region> --name <name>",
    run=run,
)

"""aws_auth_overwritten: aws-auth parses but none of the node and Fargate roles EKS wrote into it is
there any more — the signature of IaC (Terraform, CDK, Pulumi) replacing the whole ConfigMap."""
from eksdoctor.check import Check, passed, skipped, warned
from eksdoctor.model.evidence import cluster_evidence

from ._nodes import describe, evaluable, explained_elsewhere, node_status, remap


def overwritten(bundle) -> list:
    """The missing managed roles when none of them is left in aws-auth; [] otherwise."""
    ev = cluster_evidence(bundle)
    if ev.mode == "API" or ev.aws_auth is None or explained_elsewhere(bundle) or evaluable(bundle):
        return []
    roles = node_status(bundle)
    missing = [r for r in roles if not r.mapped and r.x.matched_by != "access entry"]
    if not roles or any(r.in_aws_auth for r in roles) or not missing:
        return []
    return missing


def run(bundle):
    if evaluable(bundle):
        return skipped(f"cannot tell: {evaluable(bundle)}")
    missing = overwritten(bundle)
    if not missing:
        return passed("aws-auth still holds the node and Fargate roles, or they have access entries")
    lines = [describe(r) for r in missing]
    lines.append("aws-auth holds none of the roles EKS added for managed node groups and Fargate profiles: it was "
                 "replaced as a whole (IaC such as a Terraform kubernetes_config_map, CDK or Pulumi). Nodes cannot "
                 "register (NotReady) and Fargate pods stay Pending. Make the IaC include these rows.")
    return warned(f"aws-auth was overwritten without the node roles ({len(missing)} missing)", "\n".join(lines),
                  evidence=[r.pointer for r in missing], fix=remap(bundle, missing))


CHECK = Check(
    id="aws_auth_overwritten",
    title="aws-auth was overwritten without the node and Fargate roles",
    severity="critical",
    stage="authentication",
    needs=("aws:eks:ListNodegroups",),
    docs="docs/checks/aws_auth_overwritten.md",
    summary=("EKS adds managed node group and Fargate roles to aws-auth itself. When IaC rewrites the ConfigMap from "
             "its own list, those rows disappear and every node drops out."),
    remediation="eksctl create iamidentitymapping --arn NODE_ROLE --username 'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers --group system:nodes",
    run=run,
)

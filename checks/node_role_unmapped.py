"""node_role_unmapped: a node group's role is not mapped as a node (missing, wrong groups, Windows
without eks:kube-proxy-windows), or aws-auth names an instance profile instead of the role."""
from eksdoctor.check import Check, passed, skipped, warned
from eksdoctor.model.evidence import cluster_evidence

from ._nodes import describe, evaluable, explained_elsewhere, node_status, remap
from .aws_auth_overwritten import overwritten


def run(bundle):
    ev = cluster_evidence(bundle)
    profiles = [f"{m.where} {m.arn} is an instance profile ARN: the role's ARN is needed"
                for m in (ev.aws_auth.roles if ev.aws_auth else ()) if ":instance-profile/" in m.arn]
    if evaluable(bundle):
        return skipped(f"cannot tell: {evaluable(bundle)}")
    elsewhere = explained_elsewhere(bundle) or ("aws-auth was overwritten (aws_auth_overwritten)" if overwritten(bundle) else "")
    bad = [r for r in node_status(bundle) if not r.fargate and not r.mapped]
    if elsewhere and bad:
        return passed(f"node roles are missing because {elsewhere}")
    if not bad and not profiles:
        return passed("every node group role authenticates as a node")
    lines = [describe(r) for r in bad] + profiles
    return warned(f"{len(bad) + len(profiles)} node role mapping(s) are missing or wrong", "\n".join(lines),
                  evidence=[r.pointer for r in bad], fix=remap(bundle, bad))


CHECK = Check(
    id="node_role_unmapped",
    title="Node role is not mapped as a node",
    severity="high",
    stage="authentication",
    needs=("aws:eks:DescribeNodegroup",),
    docs="docs/checks/node_role_unmapped.md",
    summary=("A node role must map to system:node:{{EC2PrivateDNSName}} in system:bootstrappers and system:nodes (plus "
             "eks:kube-proxy-windows on Windows), or have an EC2_LINUX/EC2_WINDOWS access entry; otherwise kubelet "
             "gets Unauthorized and the node never becomes Ready."),
    remediation="aws eks create-access-entry --principal-arn NODE_ROLE_ARN --type EC2_LINUX (or the aws-auth row)",
    run=run,
)

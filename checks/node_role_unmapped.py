"""node_role_unmapped: a node group's role is not mapped as a node (missing, wrong groups, Windows
without eks:kube-proxy-windows), or aws-auth names an instance profile instead of the role."""
from eksdoctor.check import Check

from ._nodes import report
from .aws_auth_overwritten import overwritten

CHECK = Check(
    id="node_role_unmapped",
    title="Node role is not mapped as a node",
    severity="high",
    stage="authentication",
    needs=("aws:eks:ListNodegroups",),
    docs="docs/checks/node_role_unmapped.md",
    summary=("A node role must map to system:node:{{EC2PrivateDNSName}} in system:bootstrappers and system:nodes (plus "
             "eks:kube-proxy-windows on Windows), or have an EC2_LINUX/EC2_WINDOWS access entry; otherwise kubelet "
             "gets Unauthorized and the node never becomes Ready."),
    remediation="aws eks create-access-entry --principal-arn NODE_ROLE_ARN --type EC2_LINUX (or the aws-auth row)",
    run=lambda bundle: report(bundle, fargate=False, overwritten=bool(overwritten(bundle))),
)

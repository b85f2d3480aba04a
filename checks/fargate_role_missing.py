"""fargate_role_missing: a Fargate profile's pod execution role is not mapped, so Fargate pods stay
Pending ("Pod execution role is not found in auth config")."""
from eksdoctor.check import Check

from ._nodes import report
from .aws_auth_overwritten import overwritten

CHECK = Check(
    id="fargate_role_missing",
    title="Fargate pod execution role is not mapped",
    severity="high",
    stage="authentication",
    needs=("aws:eks:ListFargateProfiles",),
    docs="docs/checks/fargate_role_missing.md",
    summary=("Fargate nodes authenticate with the profile's pod execution role, mapped as system:node:{{SessionName}} in "
             "system:bootstrappers, system:nodes and system:node-proxier (or a FARGATE_LINUX access entry)."),
    remediation="aws eks create-access-entry --principal-arn POD_EXECUTION_ROLE_ARN --type FARGATE_LINUX",
    run=lambda bundle: report(bundle, fargate=True, overwritten=bool(overwritten(bundle))),
)

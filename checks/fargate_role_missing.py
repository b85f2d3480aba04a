"""fargate_role_missing: a Fargate profile's pod execution role is not mapped, so Fargate pods stay
Pending ("Pod execution role is not found in auth config")."""
from eksdoctor.check import Check, passed, skipped, warned

from ._nodes import describe, evaluable, explained_elsewhere, node_status, remap
from .aws_auth_overwritten import overwritten


def run(bundle):
    if evaluable(bundle):
        return skipped(f"cannot tell: {evaluable(bundle)}")
    bad = [r for r in node_status(bundle) if r.fargate and not r.mapped]
    elsewhere = explained_elsewhere(bundle) or ("aws-auth was overwritten (aws_auth_overwritten)" if overwritten(bundle) else "")
    if elsewhere and bad:
        return passed(f"Fargate roles are missing because {elsewhere}")
    if not bad:
        return passed("every Fargate pod execution role is mapped")
    return warned(f"{len(bad)} Fargate pod execution role(s) are not mapped", "\n".join(map(describe, bad)) +
                  "\nFargate reports: Pod execution role is not found in auth config.",
                  evidence=[r.pointer for r in bad], fix=remap(bundle, bad))


CHECK = Check(
    id="fargate_role_missing",
    title="Fargate pod execution role is not mapped",
    severity="high",
    stage="authentication",
    needs=("aws:eks:DescribeFargateProfile",),
    docs="docs/checks/fargate_role_missing.md",
    summary=("Fargate nodes authenticate with the profile's pod execution role, mapped as system:node:{{SessionName}} in "
             "system:bootstrappers, system:nodes and system:node-proxier (or a FARGATE_LINUX access entry)."),
    remediation="aws eks create-access-entry --principal-arn POD_EXECUTION_ROLE_ARN --type FARGATE_LINUX",
    run=run,
)

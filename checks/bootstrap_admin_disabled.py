"""bootstrap_admin_disabled: the cluster was created with bootstrapClusterCreatorAdminPermissions=false,
so not even the creator got an access entry (terraform-aws-eks v20 default, Pulumi)."""
from eksdoctor.check import Check, failed, passed
from eksdoctor.model.evidence import cluster_evidence, target

from ._creator import break_glass, human_grants
from ._server import blocked, caller, cannot_tell, confidence, evidence_of, not_applicable


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.bootstrap is not False:
        return not_applicable("the creator got admin at creation") if ev.bootstrap else cannot_tell("accessConfig was not read", missing=("aws:eks:DescribeCluster",))
    x = caller(bundle)
    if x is None or not blocked(bundle, x):
        return passed("bootstrapClusterCreatorAdminPermissions is false, and the caller is mapped")
    others, complete = human_grants(ev)
    if not x.is_creator and (others or not complete):
        return passed("bootstrapClusterCreatorAdminPermissions is false; the caller is not the creator and others are mapped")
    who = "the caller created the cluster" if x.is_creator else "no STANDARD access entry exists at all"
    lines = [f"The cluster was created with bootstrapClusterCreatorAdminPermissions=false and {who}, so nobody "
             "got admin at creation (terraform-aws-eks v20: enable_cluster_creator_admin_permissions = true).",
             "Anyone with IAM permission for eks:CreateAccessEntry can add the entry."]
    return failed("The cluster was created without an admin entry for its creator", "\n".join(lines),
                  evidence=evidence_of(bundle, x), fix=break_glass(target(bundle), x.principal),
                  confidence=confidence(bundle, x) if x.is_creator else "likely")


CHECK = Check(
    id="bootstrap_admin_disabled",
    title="Cluster created without the creator admin entry",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/bootstrap_admin_disabled.md",
    summary=("bootstrapClusterCreatorAdminPermissions=false (the terraform-aws-eks v20 default) creates the cluster "
             "without any admin entry, so even the creator gets Unauthorized until someone creates one."),
    remediation="aws eks create-access-entry … && aws eks associate-access-policy … AmazonEKSClusterAdminPolicy --access-scope type=cluster",
    run=run,
)

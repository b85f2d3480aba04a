"""arn_typo_account_partition: the caller's mapping has the wrong account, a region, stray quotes, or one
character off, so the string comparison never matches (failure-modes.md §1D). A wrong partition alone
is reported by partition_arn_format."""
from eksdoctor.check import Check, Result, passed
from eksdoctor.model.evidence import cluster_evidence

from ._nearmiss import caller_near_misses, near_failure

KINDS = ("account", "region", "quoted", "typo")  # a wrong partition is partition_arn_format


def run(bundle):
    found = caller_near_misses(bundle, KINDS)
    if isinstance(found, Result):
        return found
    x, near = found
    ev = cluster_evidence(bundle)
    if ev.account and x.principal.account != ev.account:
        # A caller from another account, a row naming the cluster's: that is cross_account_principal.
        near = [n for n in near if not (n.kind == "account" and n.arn.split(":")[4:5] == [ev.account])]
        if not near:
            return passed("the row names the cluster's account while the caller comes from another (cross_account_principal)")
    return near_failure(bundle, x, near, f"A mapping meant for {x.principal.canonical} has a typo in its ARN",
                        f"writes the caller's exact canonical ARN {x.principal.canonical}")


CHECK = Check(
    id="arn_typo_account_partition",
    title="Mapped ARN has a wrong account, partition, region or a typo",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/arn_typo_account_partition.md",
    summary=("aws-auth and access entries compare ARNs as strings (case-insensitively for aws-auth). A different "
             "account id, arn:aws: in China or GovCloud, a region inside an IAM ARN, quotes or one wrong character "
             "mean the row never matches the caller."),
    remediation="rewrite the ARN to the caller's canonical ARN (aws-auth) or create the entry for the right ARN",
    run=run,
)

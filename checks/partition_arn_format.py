"""partition_arn_format: the kubeconfig's role (or an access entry) is written for another partition than
the cluster's (arn:aws: for a China or GovCloud cluster). aws-auth rows are arn_typo_account_partition's."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model import kubeconfig as kcm

from ._client import view


def in_partition(text: str, partition: str) -> str:
    parsed = arns.parse(text)
    return str(arns.Arn(partition, parsed.service, parsed.region, parsed.account, parsed.resource))


def run(bundle):
    v = view(bundle)
    partition = v.cluster.partition if v.cluster else (kcm.eks_cluster(v.sel).partition if v.sel else None)
    if not partition:
        return passed("the cluster's partition is unknown (no DescribeCluster, no ARN-named context): nothing to compare")
    role = v.args.role_arn if v.args else None
    if role and arns.partition_of(role) not in (None, partition):
        right = in_partition(role, partition)
        calls = [c.pointer for c in bundle.aws("sts:AssumeRole", as_="exec") if c.error]
        return failed(f"The kubeconfig's role is written for partition {arns.partition_of(role)}; the cluster is in {partition}",
                      f"The exec plugin assumes {role}, but this cluster and its roles live in partition {partition}: "
                      f"the role is {right}.\nNo token is made with it (sts:AssumeRole fails), so kubectl never sends the request.",
                      evidence=["local.kubeconfig"] + calls + ([v.cluster.pointer] if v.cluster else []),
                      fix=(FixStep(v.update_kubeconfig(role_arn=right), AFFECTED_USER, f"name the role in partition {partition}"),),
                      facts=[("partition", partition), ("role", role)], confidence="certain")
    entries = bundle.first_ok("aws", "eks:ListAccessEntries")
    wrong = [str(e) for e in (entries.response or {}).get("accessEntries", []) if arns.partition_of(str(e)) not in (None, partition)] if entries else []
    if wrong:
        fix = tuple(FixStep(fixes.create_access_entry(v.target, in_partition(e, partition)), CLUSTER_ADMIN,
                            f"an entry for the {partition} ARN (the other one matches nobody)") for e in wrong)
        return warned(f"Access entries written for another partition than the cluster's ({partition})",
                      "\n".join(f"{e} never matches a principal of partition {partition}" for e in wrong),
                      evidence=[entries.pointer], fix=fix, severity=Severity.MEDIUM, facts=[("partition", partition)])
    return passed(f"the kubeconfig's role and the access entries use partition {partition}")


CHECK = Check(
    id="partition_arn_format",
    title="ARNs written for the wrong partition",
    severity="high",
    stage="cluster",
    docs="docs/checks/partition_arn_format.md",
    summary=("China (aws-cn) and GovCloud (aws-us-gov) clusters need arn:aws-cn: / arn:aws-us-gov: ARNs. A "
             "kubeconfig --role-arn written as arn:aws: cannot be assumed there; an access entry with it "
             "matches nobody. (aws-auth rows: arn_typo_account_partition.)"),
    remediation="aws eks update-kubeconfig --region <region> --name <name> --role-arn arn:<partition>:iam::<account>:role/<name>",
    run=run,
)

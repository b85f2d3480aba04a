"""partition_arn_format: ARNs written with another partition than the cluster's (arn:aws: in China or GovCloud)."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model.evidence import aws_auth
from eksdoctor.model.mapped import presented_identity

from ._client import view


def _fixed(text: str, partition: str) -> str:
    parsed = arns.parse(text)
    return str(arns.Arn(partition, parsed.service, parsed.region, parsed.account, parsed.resource))


def run(bundle):
    v = view(bundle)
    partition = v.cluster.partition if v.cluster else (kcm.eks_cluster(v.sel).partition if v.sel else None)
    if not partition:
        return skipped("the cluster's partition is unknown (no DescribeCluster and no ARN-named context)",
                       missing=("aws:eks:DescribeCluster",))
    caller = presented_identity(bundle)
    mine = arns.try_parse(caller.canonical) if caller and caller.canonical else None
    wrong = []  # (where, arn, is the caller's own)
    role = v.args.role_arn if v.args else None
    if role and arns.partition_of(role) not in (None, partition):
        wrong.append(("the kubeconfig's --role-arn", role, True))
    parsed, call = aws_auth(bundle)
    for row in parsed.mappings if parsed else ():
        p = arns.try_parse(row.arn)
        if p and p.partition != partition:
            own = bool(mine and p.account == mine.account and p.name == mine.name)
            wrong.append((f"aws-auth {row.where}", row.arn, own))
    entries = bundle.first_ok("aws", "eks:ListAccessEntries")
    for entry in (entries.response or {}).get("accessEntries", []) if entries else []:
        if arns.partition_of(str(entry)) not in (None, partition):
            wrong.append(("access entry", str(entry), False))
    if not wrong:
        return passed(f"every ARN in the kubeconfig and mappings uses partition {partition}")
    lines = [f"{where}: {arn} uses partition {arns.partition_of(arn)}; this cluster is in {partition}, so it never matches"
             for where, arn, _ in wrong]
    steps = []
    rows = [(arn, _fixed(arn, partition)) for where, arn, _ in wrong if where.startswith("aws-auth")]
    if rows:
        steps += list(fixes.rewrite_aws_auth_arns(rows, f"write the ARNs in partition {partition}"))
    if role and any(where.startswith("the kubeconfig") for where, _, _ in wrong):
        steps.insert(0, FixStep(v.update_kubeconfig(role_arn=_fixed(role, partition)), AFFECTED_USER,
                                f"the role lives in partition {partition}"))
    for where, arn, _ in wrong:
        if where == "access entry":
            steps.append(FixStep(fixes.create_access_entry(v.target, _fixed(arn, partition)), CLUSTER_ADMIN,
                                 f"an entry for the {partition} ARN (the {arns.partition_of(arn)} one matches nobody)"))
    evidence = ([call.pointer] if parsed else []) + ([v.cluster.pointer] if v.cluster else [])
    facts = [("partition", partition)]
    if any(own for _, _, own in wrong):
        return failed(f"Your ARN is written for partition {arns.partition_of(next(a for _, a, o in wrong if o))}, the cluster is in {partition}",
                      "\n".join(lines) + f"\n{v.reach}", evidence=evidence, fix=tuple(steps), facts=facts, confidence="certain")
    return warned(f"Some ARNs use another partition than the cluster's ({partition})", "\n".join(lines),
                  evidence=evidence, fix=tuple(steps), facts=facts, severity=Severity.MEDIUM)


CHECK = Check(
    id="partition_arn_format",
    title="ARNs written for the wrong partition",
    severity="high",
    stage="cluster",
    docs="docs/checks/partition_arn_format.md",
    summary=("China (aws-cn) and GovCloud (aws-us-gov) clusters need arn:aws-cn: / arn:aws-us-gov: ARNs. An "
             "arn:aws: principal in aws-auth, an access entry or --role-arn never matches there."),
    remediation="rewrite the ARN with the cluster's partition, e.g. arn:aws-cn:iam::<account>:role/<name>",
    run=run,
)

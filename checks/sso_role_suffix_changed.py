"""sso_role_suffix_changed: IAM Identity Center re-created the permission set's role with a new random
suffix; aws-auth or the access entry still names the old AWSReservedSSO_<set>_<hex> role."""
from eksdoctor.check import Check, Result, failed
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.evidence import cluster_evidence, target
from eksdoctor.model.identity import sso_parts

from ._nearmiss import caller_near_misses
from ._server import confidence, evidence_of, grant


def run(bundle):
    found = caller_near_misses(bundle, ("sso_suffix",))
    if isinstance(found, Result):
        return found
    x, near = found
    t = target(bundle)
    ev = cluster_evidence(bundle)
    p = x.principal
    gone = [n for n in near if (ev.iam_for(n.arn) is not None and not ev.iam_for(n.arn).exists)]
    steps: list[FixStep] = []
    new_full = p.full_arn or _with_path_of(near[0].arn, p.name)
    for n in near:
        if n.entry is not None:
            policy = n.entry.policies[0].name if n.entry.policies else fixes.VIEW_POLICY
            steps.extend(fixes.grant_with_access_entry(t, new_full, policy, "an entry for the permission set's current role"))
            steps.append(FixStep(f"aws eks delete-access-entry{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} "
                                 f"--principal-arn {fixes.q(n.entry.principal_arn)}", CLUSTER_ADMIN,
                                 "removes the entry of the deleted role"))
    rows = [n for n in near if n.mapping is not None]
    if rows and uses_entries(t.auth_mode):
        steps.extend(grant(bundle, p, "an entry for the permission set's current role", groups=rows[0].mapping.groups))
    elif rows:
        steps.extend(fixes.rewrite_aws_auth_arns([(n.arn, p.canonical) for n in rows], "points the row at the current role"))
    detail = [n.detail for n in near]
    if gone:
        detail.append(f"iam:GetRole says {', '.join(arns.try_parse(n.arn).name for n in gone)} no longer exists.")
    detail.append("Mapping by permission set rather than by role name is not supported by EKS (the authenticator's "
                  "sso: matcher is an alpha feature, off by default), so update the ARN each time the role is re-created.")
    conf = "certain" if gone and confidence(bundle, x) != "possible" else confidence(bundle, x)
    return failed(f"The mapping names an old role of permission set {(sso_parts(p.name) or (p.name,))[0]}",
                  "\n".join(detail), evidence=evidence_of(bundle, x), fix=tuple(steps),
                  facts=[("current_role", p.canonical), ("mapped_role", near[0].arn)], confidence=conf)


def _with_path_of(old_arn: str, new_name: str) -> str:
    parsed = arns.try_parse(old_arn)
    if parsed is None or not arns.has_path(old_arn):
        return fixes.full_arn_expr("role", new_name)
    return f"arn:{parsed.partition}:iam::{parsed.account}:role{parsed.path}{new_name}"


CHECK = Check(
    id="sso_role_suffix_changed",
    title="IAM Identity Center role was re-created with a new suffix",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/sso_role_suffix_changed.md",
    summary=("Unassigning and re-assigning a permission set re-creates its IAM role as AWSReservedSSO_<set>_<new hex>. "
             "aws-auth rows and access entries that name the old role stop matching the whole team."),
    remediation="update the aws-auth rolearn / create an entry for the new role and delete the stale one",
    run=run,
)

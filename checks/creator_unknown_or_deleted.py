"""creator_unknown_or_deleted: the creator principal is deleted (or cannot be found) and nobody mapped can
grant access; the way back is the break-glass access entry (after the one-way mode switch)."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import IAM_ADMIN, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import cluster_evidence, target
from eksdoctor.model.fixes import q

from ._creator import admins, break_glass, human_grants
from ._server import blocked, caller, evidence_of, not_applicable


def run(bundle):
    x = caller(bundle)
    ev = cluster_evidence(bundle)
    t = target(bundle)
    iam = ev.iam_for(ev.creator.arn) if ev.creator else None
    deleted = iam is not None and not iam.exists
    unknown = ev.creator is None and ev.creator_note.startswith("CloudTrail has no")
    if not deleted and not unknown:
        return not_applicable(f"the creator is {ev.creator.arn}" if ev.creator else f"the creator is unknown: {ev.creator_note}")
    others, complete = human_grants(ev)
    known_admins = admins(ev)
    who = f"The creator {ev.creator.arn} no longer exists (iam: NoSuchEntity)." if deleted else ev.creator_note + "."
    lines = [who]
    if known_admins:
        lines.append(f"Mapped admins that could grant access instead: {', '.join(known_admins)}.")
    if x is None or not blocked(bundle, x):
        return (warned("The cluster creator is gone: its break-glass access is lost", "\n".join(lines), severity=Severity.MEDIUM)
                if deleted else passed("the creator is unknown, but the caller is mapped"))
    if known_admins or (unknown and (others or not complete)):
        return passed("\n".join(lines) + " Someone else may still grant access.")
    steps = list(break_glass(t, x.principal))
    if deleted and ev.mode == "CONFIG_MAP" and ev.creator:
        parsed = arns.try_parse(ev.creator.arn)
        kind = "user" if arns.principal_type(ev.creator.arn) == "USER" else "role"
        steps.append(FixStep(f"aws iam create-{kind} --{kind}-name {q(parsed.name)} --path {q(parsed.path)}"
                             + (" --assume-role-policy-document file://trust-policy.json" if kind == "role" else ""),
                             IAM_ADMIN, "legacy alternative: re-creating the creator with the identical name and path "
                             "restores the hidden CONFIG_MAP mapping (put the role's trust policy in trust-policy.json "
                             "first; an access entry would not come back, it is tied to the old principal ID)"))
    lines.append("Nobody mapped can grant access. Break-glass: switch to API_AND_CONFIG_MAP (one-way) and give yourself an "
                 "access entry with AmazonEKSClusterAdminPolicy; that needs IAM permissions only.")
    return failed("The cluster creator is " + ("deleted" if deleted else "unknown") + " and nobody else can grant access",
                  "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(steps),
                  confidence="likely" if complete else "possible")


CHECK = Check(
    id="creator_unknown_or_deleted",
    title="Cluster creator is deleted or unknown",
    severity="critical",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/creator_unknown_or_deleted.md",
    summary=("The creator's hidden admin mapping is the usual way back in. When that principal is deleted (or older than "
             "CloudTrail's 90 days and forgotten) and nobody else is admin, the break-glass path is an access entry."),
    remediation=("aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP; aws eks "
                 "create-access-entry …; aws eks associate-access-policy … AmazonEKSClusterAdminPolicy --access-scope type=cluster"),
    run=run,
)

"""creator_only_access: only the cluster creator has access (a fresh cluster nobody shared); the caller
is someone else. The creator — named from CloudTrail or its access entry — grants the others."""
from eksdoctor.check import Check, failed, passed
from eksdoctor.findings import CLUSTER_CREATOR
from eksdoctor.model.evidence import cluster_evidence

from ._creator import human_grants
from ._server import blocked, caller, cannot_tell, confidence, evidence_of, grant, not_applicable


def run(bundle):
    x = caller(bundle)
    ev = cluster_evidence(bundle)
    if x is None or not blocked(bundle, x):
        return not_applicable("the caller is mapped") if x else cannot_tell("the caller's identity was not read", missing=("aws:sts:GetCallerIdentity",))
    if ev.creator is None:
        return cannot_tell(f"the creator is unknown ({ev.creator_note})",
                           missing=() if bundle.has("aws:cloudtrail:LookupEvents") else ("aws:cloudtrail:LookupEvents",))
    if x.is_creator:
        return not_applicable("the caller is the creator")
    iam = ev.iam_for(ev.creator.arn)
    if iam is not None and not iam.exists:
        return not_applicable("the creator no longer exists (creator_unknown_or_deleted)")
    if ev.mode != "API" and (ev.aws_auth_state == "absent" or (ev.aws_auth and ev.aws_auth.errors)):
        return not_applicable("aws-auth is deleted or broken (aws_auth_deleted, aws_auth_yaml_broken), not merely unshared")
    others, complete = human_grants(ev)
    if others or not complete:
        return passed(f"other principals are mapped too ({len(others)})" if others else "cannot tell who else is mapped")
    lines = [f"The cluster was created by {ev.creator.describe()}.",
             "Nobody else is mapped (aws-auth holds only node roles, no other access entry), so only the creator gets in."]
    return failed(f"Only the cluster creator has access; {x.principal.canonical} was never added", "\n".join(lines),
                  evidence=evidence_of(bundle, x) + [p for p in (ev.creator.pointer,) if p],
                  fix=grant(bundle, x.principal, f"run as the creator {ev.creator.arn}: maps {x.principal.canonical}",
                            run_as=CLUSTER_CREATOR),
                  facts=[("creator", ev.creator.arn)], confidence=confidence(bundle, x))


CHECK = Check(
    id="creator_only_access",
    title="Only the cluster creator has access",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/creator_only_access.md",
    summary=("On a new cluster only its creator is admin (the hidden mapping in CONFIG_MAP, an access entry in the API "
             "modes). Everybody else gets Unauthorized until the creator adds them."),
    remediation="as the creator: aws eks create-access-entry … && aws eks associate-access-policy … (or eksctl create iamidentitymapping)",
    run=run,
)

"""wrong_section_or_arn_kind: an sts ARN (assumed-role/… or sts:…:role/…) used as rolearn never matches;
a user under mapRoles or a role under mapUsers still matches (the lookup ignores the section) but misleads."""
from eksdoctor.check import Check, Result, warned
from eksdoctor.findings import Severity
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import cluster_evidence

from ._nearmiss import caller_near_misses, near_failure


def _misfiled(ev) -> list[str]:
    out = []
    for m in ev.aws_auth.mappings if ev.aws_auth else ():
        kind = arns.principal_type(m.arn)
        if m.section == "mapRoles" and kind == "USER" or m.section == "mapUsers" and kind == "ROLE":
            out.append(f"{m.where} holds {m.arn}, a {kind.lower()} ARN under {m.section}: it still matches (the "
                       "authenticator does not check the section), but tools such as eksctl treat it as the wrong kind")
        elif m.arn and arns.try_parse(m.arn) and arns.try_parse(m.arn).service == "sts":
            out.append(f"{m.where} holds the sts ARN {m.arn}: it never matches; write the IAM role ARN")
    return out


def run(bundle):
    found = caller_near_misses(bundle, ("sts_form",))
    if isinstance(found, Result):
        others = _misfiled(cluster_evidence(bundle))
        if others and found.status.value == "pass":
            return warned("aws-auth has rows in the wrong section or with sts ARNs", "\n".join(others), severity=Severity.LOW)
        return found
    x, near = found
    return near_failure(bundle, x, near, f"aws-auth maps {x.principal.canonical} with an sts ARN, which never matches",
                        f"aws-auth needs the IAM role ARN {x.principal.canonical}, not a session ARN")


CHECK = Check(
    id="wrong_section_or_arn_kind",
    title="aws-auth row uses an sts ARN or the wrong section",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/wrong_section_or_arn_kind.md",
    summary=("aws-auth does not canonicalise the ARNs it holds: a rolearn written as arn:aws:sts::A:assumed-role/R/s "
             "or arn:aws:sts::A:role/R never matches. A user ARN under mapRoles (or a role under mapUsers) still "
             "matches, because the lookup ignores the section, but it misleads people and tools."),
    remediation="rewrite rolearn as arn:<partition>:iam::<account>:role/<name>; move users to mapUsers",
    run=run,
)

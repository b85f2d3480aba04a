"""access_entry_path_stripped: an access entry needs the role's full ARN with its path (the opposite of
aws-auth); with the path stripped EKS rejects it ("invalid principal") or the entry names nobody."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.evidence import cluster_evidence, target

from ._entries import replace_entry
from ._server import blocked, caller, confidence, entry_arn, evidence_of, not_applicable

INVALID = "The specified principalArn is invalid: invalid principal"


def requested_principal(bundle) -> str:
    """The --principal-arn of the create-access-entry command the symptom shows."""
    words = str(bundle.symptom.get("command") or "").split()
    for i, word in enumerate(words):
        if word.startswith("--principal-arn="):
            return word.split("=", 1)[1].strip("'\"")
        if word == "--principal-arn" and i + 1 < len(words):
            return words[i + 1].strip("'\"")
    return ""


def run(bundle):
    ev = cluster_evidence(bundle)
    x = caller(bundle)
    t = target(bundle)
    if INVALID in str(bundle.symptom.get("output") or ""):
        asked = requested_principal(bundle) or (x.principal.canonical if x else "")
        iam = ev.iam_for(asked) if asked else None
        parsed = arns.try_parse(asked)
        if iam is not None and iam.exists and iam.arn:
            full, sure = iam.arn, True
        elif parsed is not None:
            full, sure = fixes.full_arn_expr("user" if parsed.resource_type == "user" else "role", parsed.name), False
        else:
            return not_applicable("the refused create-access-entry names no principal ARN")
        lines = [f"create-access-entry for {asked} was refused: {INVALID}.",
                 "Access entries want the principal's full ARN, path included (aws-auth wants roles without it)."]
        if sure:
            lines.append(f"iam:GetRole gives the full ARN {full}." if full != asked else
                         f"iam:GetRole shows {asked} exists as written: check the account and the principal type.")
        return failed("The access entry was requested without the role's path", "\n".join(lines),
                      evidence=evidence_of(bundle, x) + ([iam.pointer] if iam and iam.pointer else []),
                      confidence="certain" if sure and full != asked else "likely",
                      fix=fixes.grant_with_access_entry(t, full, fixes.VIEW_POLICY, "the full ARN, path included"))
    if ev.entries is None or not ev.entries.readable:
        return not_applicable(ev.entries_note or "no access entries")
    near = x.near("entry_path") if x else []
    if near and blocked(bundle, x):
        old = near[0].entry
        return failed(f"The access entry {old.principal_arn} lacks the role's path", near[0].detail,
                      evidence=evidence_of(bundle, x) + list(old.pointers),
                      fix=replace_entry(t, old, entry_arn(x.principal), "the entry names a principal that is not the role"),
                      confidence=confidence(bundle, x))
    wrong, fix = [], []
    for e in ev.entries.entries:
        iam = ev.iam_for(e.principal_arn)
        if iam and iam.exists and iam.arn and iam.arn.casefold() != e.principal_arn.casefold():
            wrong.append(f"{e.principal_arn}: the {iam.kind} is {iam.arn}")
            fix.extend(replace_entry(t, e, iam.arn, "the entry names the role without its real path"))
    if wrong:
        return warned("Access entries name roles without their real path", "\n".join(wrong), severity=Severity.MEDIUM,
                      fix=tuple(fix))
    return passed("entries name their principals with the full ARN")


CHECK = Check(
    id="access_entry_path_stripped",
    title="Access entry ARN lacks the role's path",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/access_entry_path_stripped.md",
    summary=("aws-auth needs role ARNs without their path; access entries need the opposite, the full ARN. Stripping "
             "the path out of habit makes create-access-entry fail with 'invalid principal', or names nobody."),
    remediation='aws eks create-access-entry --principal-arn "$(aws iam get-role --role-name NAME --query Role.Arn --output text)"',
    run=run,
)

"""access_entry_stale_principal_id: the role/user was deleted and re-created with the same ARN; the
entry is tied to the old principal ID, so it shows the exact ARN yet matches nobody."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import Severity
from eksdoctor.model.evidence import cluster_evidence, target

from ._entries import replace_entry
from ._server import blocked, caller, confidence, entry_arn, evidence_of, not_applicable


def _stale_others(ev) -> list[str]:
    out = []
    for e in ev.entries.entries if ev.entries else ():
        iam = ev.iam_for(e.principal_arn)
        if iam and iam.created and e.created_at and e.created_at < iam.created:
            out.append(f"{e.principal_arn}: entry created {e.created_at:%Y-%m-%d}, the {iam.kind} re-created {iam.created:%Y-%m-%d}")
    return out


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.entries is None or not ev.entries.readable:
        return not_applicable(ev.entries_note or "no access entries")
    x = caller(bundle)
    near = x.near("entry_stale") if x else []
    if near and blocked(bundle, x):
        old = near[0].entry
        t = target(bundle)
        return failed(f"The access entry for {old.principal_arn} belongs to a deleted principal with the same name",
                      near[0].detail + "\nEntries are not removed with their principal and cannot be re-pointed.",
                      evidence=evidence_of(bundle, x) + list(old.pointers),
                      fix=replace_entry(t, old, entry_arn(x.principal), "removes the entry bound to the old principal ID"),
                      facts=[("entry", old.principal_arn)], confidence=confidence(bundle, x))
    others = _stale_others(ev)
    if others:
        return warned("Access entries outlived their principals (re-created with the same name)", "\n".join(others),
                      severity=Severity.MEDIUM)
    return passed("no entry predates its principal (as far as iam:GetRole/GetUser was read)")


CHECK = Check(
    id="access_entry_stale_principal_id",
    title="Access entry is bound to a re-created principal's old ID",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/access_entry_stale_principal_id.md",
    summary=("Access entries match the principal's unique ID (AROA…/AIDA…). A role deleted and re-created with the "
             "same name has a new ID: the entry still lists the exact ARN but no longer matches. iam:GetRole's "
             "CreateDate later than the entry's createdAt shows it."),
    remediation="aws eks delete-access-entry … && aws eks create-access-entry … && aws eks associate-access-policy …",
    run=run,
)

"""cross_account_principal: the caller is a principal of another account than the cluster's and is not
mapped; often a wrong profile or role chain, sometimes a cross-account team that needs a STANDARD entry."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.evidence import cluster_evidence, target

from ._server import blocked, caller, cannot_tell, confidence, evidence_of, grant


def run(bundle):
    x = caller(bundle)
    ev = cluster_evidence(bundle)
    if x is None or not ev.account:
        return cannot_tell("the caller's or the cluster's account is unknown")
    foreign = [e for e in (ev.entries.entries if ev.entries else ()) if e.effective_type != "STANDARD"
               and arns.account_of(e.principal_arn) not in (None, ev.account)]
    if x.principal.account == ev.account or not blocked(bundle, x):
        if foreign:
            return warned("Non-STANDARD access entries name principals of another account",
                          "\n".join(f"{e.principal_arn} ({e.effective_type}) must be in the cluster's account {ev.account}"
                                    for e in foreign), severity=Severity.MEDIUM)
        return passed(f"the caller is in the cluster's account ({ev.account}) or mapped" if x.principal.account == ev.account
                      else f"the caller from account {x.principal.account} is mapped by {x.matched_by or 'the API server'}")
    t = target(bundle)
    p = x.principal
    same_name = [n.arn for n in x.near("account") if arns.account_of(n.arn) == ev.account]
    lines = [f"The caller {p.input_arn} is in account {p.account}; the cluster {t.cluster} is in account {ev.account}."]
    steps = []
    if same_name:
        lines.append(f"The cluster maps {same_name[0]}, the same name in its own account: probably the wrong profile or role.")
        steps.append(FixStep(fixes.update_kubeconfig(t, role_arn=arns.strip_path(same_name[0])), AFFECTED_USER,
                             "signs the token as the cluster account's role, which is mapped"))
    steps.extend(grant(bundle, p, f"maps the {p.account} principal itself (a STANDARD entry may be cross-account)"))
    return failed(f"The caller is from account {p.account}, the cluster from {ev.account}, and it is not mapped",
                  "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(steps),
                  facts=[("caller_account", p.account), ("cluster_account", ev.account)], confidence=confidence(bundle, x))


CHECK = Check(
    id="cross_account_principal",
    title="Caller is a principal of another AWS account",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/cross_account_principal.md",
    summary=("The token is signed by a principal of another account than the cluster's. Either kubectl uses the "
             "wrong profile or role chain, or the cross-account principal needs its own STANDARD access entry "
             "(non-STANDARD entries must be in the cluster's account)."),
    remediation="aws eks update-kubeconfig --role-arn <cluster-account role>, or create a STANDARD entry for the caller's ARN",
    run=run,
)

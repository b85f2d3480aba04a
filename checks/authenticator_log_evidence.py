"""authenticator_log_evidence: what the authenticator's own log lines say about the diagnosed caller.

Thin: eksdoctor.model.logevidence decides, checks/_from_logs.py phrases. Always reported under this
id; the check that owns the cause the lines point at reports it too (with the fix) when it reads the
logs itself (logevidence.REPORTED_BY_OWNER); otherwise, if the logs alone show it, the fix is here.
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Check, Result, failed, passed, skipped, warned
from eksdoctor.findings import Severity
from eksdoctor.model.evidence import target
from eksdoctor.model.logevidence import read

from ._from_logs import detail, fix_for, title

LOG_ACTIONS = "logs:StartQuery, logs:GetQueryResults, logs:FilterLogEvents"


def run(bundle: Bundle) -> Result:
    r = read(bundle)
    if r.outcome in ("not_collected", "logging_off"):
        return skipped(r.headline)
    if r.outcome == "refused":
        t = target(bundle)
        return warned("The authenticator logs could not be read", "\n".join([
            r.headline + ".",
            f"The identity eksdoctor used needs {LOG_ACTIONS} on arn:{t.partition}:logs:{t.region}:{t.account}:"
            f"log-group:/aws/eks/{t.cluster}/cluster:*; run with a profile that has them (--profile)."]),
            severity=Severity.LOW)
    text = detail(r, own=False)
    evidence = [line.pointer for line in r.lines]
    facts = list(r.facts) + ([("points_at", r.catalog_id)] if r.catalog_id else [])
    if r.outcome in ("granted", "nothing"):
        return passed(text, evidence=evidence, facts=facts, title=title(r))
    gives_fix = r.only_evidence or not r.catalog_id  # else the owning check gives it
    kw = dict(evidence=evidence, facts=facts, confidence=r.confidence, fix=fix_for(bundle, r) if gives_fix else ())
    if r.breaks_access:
        return failed(title(r), text, **kw)
    return warned(title(r), text, severity=Severity.MEDIUM, **kw)


CHECK = Check(
    id="authenticator_log_evidence",
    title="What the authenticator logs say about the caller",
    severity="high",
    stage="evidence",
    catalog=False,
    docs="docs/checks/authenticator_log_evidence.md",
    summary=("Reads the cluster's authenticator log lines (CloudWatch Logs, /aws/eks/<cluster>/cluster) and says "
             "which cause they confirm for the diagnosed caller: an `access denied … not mapped` line for its ARN "
             "(certain), token or credential errors logged before any identity was known (tied by the token's "
             "date or by time), an aws-auth parse error, or no line at all while the API server answered 401 (look "
             "at the token and credential side). Shows the lines that decided it."),
    remediation="depends on the cause the lines confirm; see the finding",
    run=run,
)

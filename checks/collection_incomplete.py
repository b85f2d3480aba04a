"""collection_incomplete: some evidence could not be collected for a reason that says nothing about access
(throttled after retries, a 5xx, a timeout, no connection, an answer that would not parse, a collector
abandoned at --timeout or crashed). An evidence gap, so `warn`; denials are read_permission_denied's.
"""
from eksdoctor.bundle import Bundle
from eksdoctor.check import Check, Result, passed, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import target
from eksdoctor.model.failures import collection_errors, describe, unavailable_calls

MAX_LINES = 12


def run(bundle: Bundle) -> Result:
    calls = unavailable_calls(bundle)
    errors = collection_errors(bundle)
    if not calls and not errors:
        return passed("every read eksdoctor made was answered")
    lines = []
    for call in calls:
        lines.append(f"{call.key} as {call.as_}: {describe(call)}")
    for e in errors:
        lines.append(f"collector {e.get('collector')}: {e.get('code')}: {e.get('message')}")
    shown = lines[:MAX_LINES] + ([f"… and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
    traces = [str(e["traceback"]) for e in errors if e.get("traceback")]   # only recorded with --debug
    detail = "\n".join(["Evidence is missing, so the checks that need it are skipped or less certain:", *shown,
                        "These failures say nothing about your access: run eksdoctor again when the service answers"
                        + (" (or with a longer --timeout)." if errors else "."), *traces])
    t = target(bundle)
    rerun = "eksdoctor diagnose" + (f" --cluster {fixes.q(t.cluster)}" if t.cluster and not t.cluster.startswith("<") else "")
    abandoned = any(e.get("code") == "Timeout" for e in errors)
    services = sorted({c.key.split(":")[0] if c.source == "aws" else "kubernetes" for c in calls}
                      | {f"collector {e.get('collector')}" for e in errors})
    return warned(f"Some evidence could not be collected: {', '.join(services[:6])}", detail,
                  evidence=[c.pointer for c in calls] + (["collection.errors"] if errors else []),
                  fix=(FixStep(rerun + (" --timeout 120" if abandoned else ""), AFFECTED_USER,
                               "collect again once the service answers"),),
                  severity=Severity.MEDIUM, facts=[("unavailable", " ".join(sorted({c.key for c in calls})))])


CHECK = Check(
    id="collection_incomplete",
    title="Some evidence could not be collected",
    severity="medium",
    stage="evidence",
    docs="docs/checks/collection_incomplete.md",
    summary=("A read eksdoctor needs was throttled after its retries, answered 5xx, timed out, found no server, "
             "or got an answer that would not parse; or a collector was abandoned at --timeout. The evidence is "
             "missing, so the checks that need it are skipped: an evidence gap, reported as a warning."),
    remediation="eksdoctor diagnose --timeout 120 (once the service answers)",
    catalog=False,
    run=run,
)

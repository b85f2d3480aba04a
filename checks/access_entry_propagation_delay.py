"""access_entry_propagation_delay: the evidence shows the caller mapped by an entry (or policy) created
or changed seconds before, yet the API server refused it: access entries are eventually consistent."""
from eksdoctor.check import Check, failed, passed
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model.evidence import caller_decision, question
from eksdoctor.model.probe import probe_outcome

from ._server import caller, cannot_tell, evidence_of, not_applicable

WINDOW_SECONDS = 120


def run(bundle):
    x = caller(bundle)
    if x is None or x.entry is None or not x.authenticated:
        return not_applicable("the caller is not mapped by an access entry")
    changed = x.entry.newest_change
    if changed is None:
        return cannot_tell("the entry's createdAt/modifiedAt were not read")
    age = (bundle.collected_at - changed).total_seconds()
    probe = probe_outcome(bundle)
    decision = caller_decision(bundle, question(bundle)) if probe.kind == "forbidden" else None
    refused = probe.kind == "unauthorized" or bool(decision and decision.allowed)
    if not refused or age > WINDOW_SECONDS or age < -5:
        return passed(f"the entry last changed {int(age)} s before collection; the API server's answer agrees with it"
                      if not refused else f"the entry last changed {int(age)} s before collection, long enough to have propagated")
    return failed("The access entry changed seconds ago and has not reached the API server yet",
                  f"The entry {x.entry.principal_arn} (or a policy on it) changed {int(age)} s before the evidence was collected, "
                  f"and the API server answered {probe.status}. Access entries are eventually consistent.",
                  evidence=evidence_of(bundle, x),
                  fix=(FixStep("sleep 30 && kubectl auth whoami", AFFECTED_USER, "retry after the change has propagated"),),
                  confidence="likely")


CHECK = Check(
    id="access_entry_propagation_delay",
    title="Access entry change has not propagated yet",
    severity="low",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/access_entry_propagation_delay.md",
    summary=("Creating an access entry or associating a policy takes a few seconds to reach the API server. A 401 or "
             "403 right after the change, while the entry looks right, is that delay."),
    remediation="wait a few seconds and retry",
    run=run,
)

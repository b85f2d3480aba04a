"""clock_skew: the local clock is far enough from AWS's that tokens look expired or not yet valid."""
from __future__ import annotations

from datetime import timedelta

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import clock, fixes

from ._client import view
from ._from_logs import from_logs

LIMIT = timedelta(minutes=15)


def run(bundle):
    v = view(bundle)
    process = v.local.get("process") or {}
    fix = (FixStep(fixes.clock_sync(v.local.get("platform"), bool(process.get("wsl"))), AFFECTED_USER,
                   "set the clock from the network (WSL2 loses time after sleep; paused VMs too)"),)
    verdict = clock.sts_verdict(bundle)
    if verdict:
        message, pointer, skew = verdict
        return failed(f"The local clock is {clock.describe(skew)} AWS's", f"STS says: {message}\n{v.reach}",
                      evidence=[pointer], fix=fix, facts=[("skew_seconds", str(int(skew.total_seconds())))], confidence="certain")
    samples = clock.samples(bundle)
    if not samples:
        return from_logs(bundle, "clock_skew", fix) or \
            skipped("no server time was recorded (no probe or STS answer with a Date header)")
    sample = samples[0]
    skew = sample.skew
    facts = [("skew_seconds", str(int(skew.total_seconds()))), ("source", sample.source)]
    if abs(skew) > LIMIT:
        detail = (f"{sample.source} is {clock.describe(skew)} the local clock by more than 15 minutes. "
                  + ("A token signed now already looks older than 15 minutes to the server (X-Amz-Date parameter is expired)."
                     if skew > timedelta(0) else "A token signed now looks more than 15 minutes in the future to STS "
                     "(Signature not yet current).") + f"\n{v.reach}")
        return failed(f"The local clock is {clock.describe(skew)} the server's", detail, evidence=[sample.pointer],
                      fix=fix, facts=facts, confidence="certain" if v.probe.kind in ("unauthorized", "absent") else "likely")
    if skew > timedelta(minutes=1) or skew < -timedelta(minutes=5):
        return warned(f"The local clock is {clock.describe(skew)} the server's",
                      "Tokens are cached for 14 minutes and accepted for 15 after signing by the server's clock; "
                      "a skew this size makes cached tokens fail early.", evidence=[sample.pointer], fix=fix,
                      facts=facts, severity=Severity.LOW)
    return passed(f"the local clock is within {int(abs(skew.total_seconds()))}s of {sample.source}", evidence=[sample.pointer])


CHECK = Check(
    id="clock_skew",
    title="The local clock is off",
    severity="high",
    stage="token",
    docs="docs/checks/clock_skew.md",
    summary=("The token carries the local time it was signed (X-Amz-Date). A clock more than 15 minutes "
             "behind makes fresh tokens look expired; ahead, STS answers 'Signature not yet current'."),
    remediation="sync the clock: sudo timedatectl set-ntp true (WSL2: sudo hwclock -s)",
    run=run,
)

"""The fault matrix (issue 10), shared by test_faults_aws.py and test_faults_cluster.py (two files, so
xdist runs the halves on two workers): for each remote dependency in turn, each fault kind, one real
`eksdoctor diagnose` in the lab, and what a user must see.

The world is the healthy scenario with authenticator logs on (so CloudWatch Logs is read too); every
fault comes from the lab's servers (faults.Switch) or the endpoint configuration (World.fault_env),
never from patched eksdoctor code.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import time

from .faults import KINDS
from .scenario import SCENARIOS
from .world import World, run_eksdoctor

SCENARIO = dataclasses.replace(SCENARIOS["healthy"], name="healthy_logged", authenticator_logs=True)
SHORT, LONG = 8.0, 30.0  # --timeout for faults that cost retries (botocore's) or hang, and for the rest
SLACK = 4.0  # interpreter start and exit on a loaded 2-core machine; the run itself stops within --timeout
EXIT = {"healthy": 0, "broken": 1, "unknown": 3}

# Where a fault in each target shows, besides the service's name: the collectors that read it.
COLLECTORS = {
    "sts": ("exec_credentials", "identity_exec", "identity_shell", "token_identity"),
    "eks": ("cluster", "access_entries", "access_entry_details", "nodegroups"),
    "iam": ("iam_principals", "console"),
    "cloudtrail": ("creator",),
    "logs": ("logs",),
}


def start(tmp_path_factory) -> World:
    return World(SCENARIO, tmp_path_factory.mktemp("faults")).start()


def diagnose(world: World, target: str, kind: str) -> tuple:
    """(run, elapsed seconds, --timeout given, saved bundle) with `kind` injected into `target`."""
    world.switch.clear()
    if target == "sts":  # the exec plugin then assumes its role again, through the fault
        shutil.rmtree(world.home / ".aws" / "cli" / "cache", ignore_errors=True)
    env = world.fault_env(target, kind) if kind in ("refused", "dns") else {}
    if kind not in ("refused", "dns"):
        world.switch.set(target, kind)
    waits = kind == "timeout" or (kind in ("throttle", "5xx") and target != "kubernetes")  # kubectl's client does not retry
    timeout = SHORT if waits else LONG
    bundle = world.tmp / f"{target}-{kind}.json"
    started = time.monotonic()
    try:
        run = run_eksdoctor(world, "diagnose", "-o", "json", "--timeout", str(timeout), "--save-bundle", str(bundle),
                            env=env, timeout=timeout + 60)
    finally:
        world.switch.clear()
    return run, time.monotonic() - started, timeout, bundle


def secrets(world: World) -> set[str]:
    """What must never be shown or saved: every secret key and session token the lab's STS and IAM issued,
    and every bearer token the stand-in received."""
    with world.front.lock:
        issued = {v for c in world.front.credentials.values() for v in (c["secret"], c["token"]) if v}
    return issued | set(world.switch.tokens)


def text_of(finding: dict) -> str:
    return " ".join(str(finding.get(k) or "") for k in ("title", "detail"))


def explains(doc: dict, target: str, kind: str) -> list[str]:
    """The findings (not passed) that tell the user about this fault."""
    findings = [f for f in doc["findings"] if f["status"] != "pass"]
    if kind == "denied" and target != "kubernetes":
        return [f["id"] for f in findings if f["id"] == "read_permission_denied" and f"{target}:" in f["title"]]
    if target == "kubernetes":
        wanted = {
            "refused": ("private_endpoint_unreachable", "stale_kubeconfig_recreated_cluster"),
            "dns": ("private_endpoint_unreachable", "stale_kubeconfig_recreated_cluster"),
            "timeout": ("private_endpoint_unreachable",),
        }.get(kind)
        if wanted:
            found = [f["id"] for f in findings if f["id"] in wanted and f["status"] == "fail"]
            if kind == "timeout":  # or the probe itself was abandoned when --timeout ran out
                found += [f["id"] for f in findings if f["id"] == "collection_incomplete" and "collector probe:" in text_of(f)]
            return found
        if kind == "denied":  # every request Forbidden: the authorization checks or an unknown verdict say 403
            said = [f["id"] for f in findings if "403" in text_of(f) or "Forbidden" in text_of(f) or "forbidden" in text_of(f)]
            return said or (["verdict"] if "403" in doc["summary"]["reason"] else [])
        return [f["id"] for f in findings if f["id"] == "collection_incomplete" and "kubernetes" in text_of(f)]
    names = (f"{target}:",) + tuple(f"collector {c}:" for c in COLLECTORS[target])
    found = [f["id"] for f in findings if f["id"] == "collection_incomplete" and any(n in text_of(f) for n in names)]
    if target == "logs":  # the log check says it could not read them, too
        found += [f["id"] for f in findings if f["id"] == "authenticator_log_evidence" and "could not be read" in f["title"]]
    return found


def check(world: World, target: str, kind: str) -> dict:
    """Run the fault and assert what every fault must give; return the JSON document."""
    assert kind in KINDS
    run, elapsed, timeout, bundle = diagnose(world, target, kind)
    shown = run.out + run.err
    assert "Traceback" not in shown, run.err
    assert run.code in (0, 1, 3), (run.code, run.err)
    assert elapsed <= timeout + SLACK, f"{target}/{kind}: {elapsed:.1f}s with --timeout {timeout:g}"
    doc = run.json()
    verdict = doc["summary"]["verdict"]
    assert run.code == EXIT[verdict], (verdict, run.code)
    assert explains(doc, target, kind), (f"{target}/{kind}: nothing says why",
                                         [(f["id"], f["status"], f["title"]) for f in doc["findings"] if f["status"] != "pass"])
    saved = bundle.read_text()
    json.loads(saved)
    leaked = [s[:6] for s in secrets(world) if s in shown or s in saved]
    assert leaked == [], f"{target}/{kind}: secrets shown or saved (first characters: {leaked})"
    return doc

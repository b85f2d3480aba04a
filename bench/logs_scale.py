"""Scale benchmark: `eksdoctor analyze` on a bundle holding N authenticator log events.

Generates a realistic hour of authenticator lines (grants, STS responses, not-mapped denials,
token errors, configmap errors, other lines, JSON-format lines and garbage) as Logs Insights
results split into 10,000-row queries, the way the collector stores them; runs the real CLI;
reports wall time and peak memory (the child's max RSS). Run by hand or as a CI smoke run:

    .venv/bin/python bench/logs_scale.py [--events 100000] [--repeat 3] [--keep bundle.json]

The last line is for scripts: `logs_scale events=100000 seconds=1.23 cpu_seconds=1.20 peak_mb=140 ...`
(seconds: best wall time; cpu_seconds: user+system of the best run, the wall time an idle machine gives,
which matters on a shared one; load: the 1-minute load average during the runs).
Goal: seconds <= 2 and peak_mb <= 300 on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

ACCOUNT = "111122223333"
CLUSTER = "payments"
COLLECTED = datetime(2026, 11, 23, 1, 2, 3, tzinfo=timezone.utc)
CALLER_ROLE = "deployer"
ROWS_PER_QUERY = 10_000
STREAMS = ["authenticator-3a1f0c2d9e8b7a6f5e4d3c2b1a0f9e8d", "authenticator-9c8b7a6f5e4d3c2b1a0f9e8d3a1f0c2d"]


def logfmt(t: datetime, level: str, msg: str, **fields: str) -> str:
    """A line exactly as logrus' text formatter writes it: time, level, msg, then sorted keys."""
    def value(v: str) -> str:
        bare = v and all(c.isalnum() or c in "-._/@^+" for c in v)
        return v if bare else json.dumps(v)  # Go's %q and JSON agree for these ASCII values
    parts = [f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}"', f"level={level}", f"msg={value(msg)}"]
    parts += [f"{k}={value(v)}" for k, v in sorted(fields.items())]
    return " ".join(parts)


def sts_error(code: str, message: str) -> str:
    body = json.dumps({"Error": {"Code": code, "Message": message, "Type": "Sender"},
                       "RequestId": "0d6c6e4b-1111-2222-3333-444455556666"}, separators=(",", ":"))
    return f"sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-east-1 endpoint. Body: {body}"


def make_line(rng: random.Random, t: datetime) -> str:
    port = f"127.0.0.1:{rng.randint(30000, 65000)}"
    common = {"client": port, "method": "POST", "path": "/authenticate"}
    pick = rng.random()
    role = f"role-{rng.randint(0, 2999)}"
    if 0.66 <= pick < 0.80 and rng.random() < 0.02:
        role = CALLER_ROLE  # the diagnosed caller: denied (never granted), among 3,000 other principals
    if pick < 0.34:
        return logfmt(t, "info", "access granted", arn=f"arn:aws:iam::{ACCOUNT}:role/{role}", groups="[system:bootstrappers system:nodes]",
                      stsendpoint="sts.us-east-1.amazonaws.com", uid=f"aws-iam-authenticator:{ACCOUNT}:AROA{rng.randint(10**9, 10**10)}",
                      username=f"system:node:ip-10-0-{rng.randint(0, 255)}-{rng.randint(0, 255)}.ec2.internal", **common)
    if pick < 0.36:
        return logfmt(t, "info", "access granted", arn=f"arn:aws:iam::{ACCOUNT}:user/platform-admin", groups="[system:masters]",
                      stsendpoint="sts.us-east-1.amazonaws.com", uid=f"aws-iam-authenticator:{ACCOUNT}:AIDAEXAMPLEADMIN",
                      username="kubernetes-admin", **common)
    if pick < 0.66:
        return logfmt(t, "info", "STS response", accesskeyid=f"ASIA{rng.randint(10**11, 10**12)}", accountid=ACCOUNT,
                      arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/i-0{rng.randint(10**15, 10**16):x}",
                      session=f"i-0{rng.randint(10**15, 10**16):x}", stsendpoint="sts.us-east-1.amazonaws.com",
                      userid=f"AROA{rng.randint(10**9, 10**10)}", **common)
    if pick < 0.80:
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        return logfmt(t, "warning", "access denied", arn=arn, error=f"ARN is not mapped: {arn.lower()}", **common)
    if pick < 0.90:
        error = rng.choice([
            sts_error("ExpiredToken", "The security token included in the request is expired"),
            sts_error("InvalidClientTokenId", "The security token included in the request is invalid."),
            sts_error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."),
            "input token was not properly formatted: X-Amz-Date parameter is expired (15 minute expiration) "
            + (t - timedelta(minutes=rng.randint(16, 90))).strftime("%Y-%m-%d %H:%M:%S +0000 UTC"),
            "input token was not properly formatted: client did not sign the x-k8s-aws-id header in the pre-signed URL",
        ])
        return logfmt(t, "warning", "access denied", error=error, **common)
    if pick < 0.905:
        return logfmt(t, "warning", "Errors parsing configmap: [yaml: line 7: did not find expected key]")
    if pick < 0.95:
        return logfmt(t, "info", rng.choice(["mapping IAM role", "Starting the h.ec2Provider.startEc2DescribeBatchProcessing",
                                             "listening on https://127.0.0.1:21362/authenticate"]), **common)
    if pick < 0.97:
        return json.dumps({"level": "info", "msg": "access granted", "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                           "groups": ["devs"], "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "username": role, **common})
    return rng.choice(["I1123 00:40:00.000000       1 main.go:123] starting \x00\x7f \"unterminated",
                       "panic: runtime error: invalid memory address or nil pointer dereference", "", "=====",
                       'msg="unterminated \\"escape', "{not json", "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXhhbXBsZQ"])


def make_bundle(n: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    start = COLLECTED - timedelta(hours=1)
    times = sorted(start + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(n))
    starts, results = [], []
    for q, first in enumerate(range(0, n, ROWS_PER_QUERY)):
        chunk = times[first:first + ROWS_PER_QUERY]
        rows = [[{"field": "@timestamp", "value": t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"},
                 {"field": "@message", "value": make_line(rng, t)},
                 {"field": "@logStream", "value": rng.choice(STREAMS)},
                 {"field": "@ptr", "value": f"CmQKKwonMTExMTIyMjIzMzMzOi9hd3MvZWtzL3BheW1lbnRzL2NsdXN0ZXIQABI1Ghg{q:02d}{j:06d}"}]
                for j, t in enumerate(chunk)]
        query_id = f"00000000-0000-0000-0000-{q:012d}"
        starts.append({"as": "exec", "request": {
            "logGroupName": f"/aws/eks/{CLUSTER}/cluster", "startTime": int(chunk[0].timestamp()),
            "endTime": int(chunk[-1].timestamp()) + 1, "limit": ROWS_PER_QUERY,
            "queryString": "fields @timestamp, @message, @logStream | filter @logStream like /^authenticator/ "
                           "| sort @timestamp asc | limit 10000"}, "response": {"queryId": query_id}})
        results.append({"as": "exec", "request": {"queryId": query_id}, "response": {
            "results": rows, "status": "Complete",
            "statistics": {"recordsMatched": float(len(rows)), "recordsScanned": float(len(rows)), "bytesScanned": 0.0}}})
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{CALLER_ROLE}/ci-run-42"
    return {
        "kind": "EksdoctorBundle", "version": 1, "collected_at": COLLECTED.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collector": {"name": "bench/logs_scale.py"},
        "target": {"cluster": CLUSTER, "region": "us-east-1", "account": ACCOUNT},
        "aws": {
            "sts:GetCallerIdentity": [{"as": "exec", "request": {}, "response": {
                "UserId": "AROAEXAMPLEDEPLOY:ci-run-42", "Account": ACCOUNT, "Arn": caller}}],
            "eks:DescribeCluster": [{"as": "exec", "request": {"name": CLUSTER}, "response": {"cluster": {
                "name": CLUSTER, "arn": f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{CLUSTER}", "status": "ACTIVE",
                "accessConfig": {"authenticationMode": "CONFIG_MAP"},
                "logging": {"clusterLogging": [{"types": ["authenticator"], "enabled": True}]}}}}],
            "logs:StartQuery": starts,
            "logs:GetQueryResults": results,
        },
        "kubernetes": {"probe": [{"as": "exec", "request": {"method": "GET", "path": "/api"}, "response": {
            "status": 401, "headers": {}, "body": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401}}}]},
    }


def measure(args: list[str]) -> tuple[float, float, float, int, bytes]:
    """Wall seconds, peak MB, CPU seconds, exit code and stdout of one eksdoctor command in a fresh
    process (run from a small wrapper so the child's max RSS is the command's own). CPU seconds (user +
    system) are what the wall time would be on an idle machine."""
    code = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run([sys.executable, '-m', 'eksdoctor', *sys.argv[1:]], capture_output=True)\n"
            "dt = time.perf_counter() - t\n"
            "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "sys.stdout.buffer.write(f'{dt} {use.ru_maxrss / 1024} {use.ru_utime + use.ru_stime} {p.returncode}\\n'.encode() + p.stdout)\n")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=True).stdout
    head, _, stdout = out.partition(b"\n")
    seconds, peak, cpu, rc = head.split()
    return float(seconds), float(peak), float(cpu), int(rc), stdout


def run_once(path: str) -> tuple[float, float, float, dict]:
    """Wall seconds, peak MB and CPU seconds of one `eksdoctor analyze`, and its JSON (with its exit code)."""
    seconds, peak, cpu, rc, doc = measure(["analyze", path, "-o", "json"])
    result = json.loads(doc) if doc.strip() else {}
    result["exit_code"] = rc
    return seconds, peak, cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", help="also write the generated bundle here")
    args = parser.parse_args()

    bundle = make_bundle(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "bundle.json")
        with open(path, "w") as handle:
            json.dump(bundle, handle)
        size_mb = os.path.getsize(path) / 1e6
        del bundle
        runs = [run_once(path) for _ in range(max(1, args.repeat))]
    seconds = [r[0] for r in runs]
    peaks = [r[1] for r in runs]
    cpus = [r[2] for r in runs]
    doc = runs[-1][3]
    first = (doc.get("findings") or [{}])[0]
    caller = f"arn:aws:iam::{ACCOUNT}:role/{CALLER_ROLE}"
    ok = first.get("status") == "fail" and caller in first.get("title", "")  # the caller's denial, among 3,000 principals
    load = os.getloadavg()[0]
    print(f"bundle: {size_mb:.1f} MB, {args.events} events in {(args.events + ROWS_PER_QUERY - 1) // ROWS_PER_QUERY} queries")
    print(f"runs: wall s {', '.join(f'{s:.2f}' for s in seconds)}; cpu s {', '.join(f'{c:.2f}' for c in cpus)}; "
          f"peak MB {', '.join(f'{p:.0f}' for p in peaks)}; load average {load:.2f} on {os.cpu_count()} CPUs")
    print(f"first finding: {first.get('id')} ({first.get('confidence')}), exit {doc.get('exit_code')}")
    print(f"logs_scale events={args.events} seconds={min(seconds):.2f} median_seconds={statistics.median(seconds):.2f} "
          f"cpu_seconds={min(cpus):.2f} peak_mb={max(peaks):.0f} bundle_mb={size_mb:.0f} load={load:.1f} "
          f"correct={'yes' if ok else 'no'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

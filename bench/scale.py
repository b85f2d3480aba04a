"""Scale benchmark: `eksdoctor analyze` on a generated bundle with 10,000 aws-auth rows, 5,000 access
entries (each described, with its policies) and 100,000 authenticator log events, and `eksdoctor lint`
of a 10,000-row aws-auth ConfigMap. Each command runs as the real CLI in a fresh process; peak memory
is its max RSS (resource.getrusage of the child). Goals on a 2-core machine: analyze <= 2 s and
<= 300 MB; lint <= 0.5 s. Run by hand or as a CI smoke run:

    .venv/bin/python bench/scale.py [--rows 10000] [--entries 5000] [--events 100000] [--repeat 3]

The last line is for scripts: `scale rows=… entries=… events=… analyze_s=… analyze_cpu_s=… analyze_peak_mb=…
lint_s=… lint_cpu_s=… lint_peak_mb=…` (seconds: best of --repeat; cpu: user+system of that run, which is what
an idle machine's wall time would be: on a shared machine, read it with the load average printed above).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from logs_scale import ACCOUNT, CALLER_ROLE, CLUSTER, make_bundle, measure  # noqa: E402

POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def aws_auth_data(rows: int) -> dict:
    """mapRoles (three quarters) and mapUsers rows as people write them: node roles, SSO roles with
    their path, templated usernames, several groups; the diagnosed caller is not among them."""
    roles, users = [], []
    for i in range(rows):
        if i % 4 == 3:
            users.append(f"- userarn: arn:aws:iam::{ACCOUNT}:user/user-{i}\n  username: user-{i}\n"
                         f"  groups:\n    - team-{i % 50}\n")
        elif i % 10 == 0:
            roles.append(f"- rolearn: arn:aws:iam::{ACCOUNT}:role/nodes-{i}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n"
                         "  groups:\n    - system:bootstrappers\n    - system:nodes\n")
        elif i % 10 == 1:
            roles.append(f"- rolearn: arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Team{i}_0123456789abcdef\n"
                         f"  username: sso-{i}:{{{{SessionName}}}}\n  groups:\n    - team-{i % 50}\n    - viewers\n")
        else:
            roles.append(f"- rolearn: arn:aws:iam::{ACCOUNT}:role/app-{i}\n  username: app-{i}:{{{{SessionName}}}}\n"
                         f"  groups:\n    - team-{i % 50}\n")
    return {"mapRoles": "".join(roles), "mapUsers": "".join(users)}


def access_entries(n: int) -> dict:
    arns = [f"arn:aws:iam::{ACCOUNT}:role/entry-{i}" for i in range(n)]
    request = lambda arn: {"clusterName": CLUSTER, "principalArn": arn}  # noqa: E731
    return {
        "eks:ListAccessEntries": [{"as": "exec", "request": {"clusterName": CLUSTER}, "response": {"accessEntries": arns}}],
        "eks:DescribeAccessEntry": [{"as": "exec", "request": request(arn), "response": {"accessEntry": {
            "clusterName": CLUSTER, "principalArn": arn, "kubernetesGroups": [f"team-{i % 50}"] if i % 3 else [],
            "accessEntryArn": f"arn:aws:eks:us-east-1:{ACCOUNT}:access-entry/{CLUSTER}/role/{ACCOUNT}/entry-{i}/{i:x}",
            "createdAt": "2026-01-10T10:00:00Z", "modifiedAt": "2026-01-10T10:00:00Z", "tags": {},
            "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/entry-{i}/{{{{SessionName}}}}", "type": "STANDARD"}}}
            for i, arn in enumerate(arns)],
        "eks:ListAssociatedAccessPolicies": [{"as": "exec", "request": request(arn), "response": {
            "clusterName": CLUSTER, "principalArn": arn, "associatedAccessPolicies": [{
                "policyArn": POLICY + ("AmazonEKSViewPolicy" if i % 2 else "AmazonEKSEditPolicy"),
                "accessScope": {"type": "namespace", "namespaces": [f"team-{i % 50}"]} if i % 5 else {"type": "cluster"},
                "associatedAt": "2026-01-10T10:00:00Z", "modifiedAt": "2026-01-10T10:00:00Z"}] if i % 7 else []}}
            for i, arn in enumerate(arns)],
    }


def make_scale_bundle(rows: int, entries: int, events: int) -> dict:
    bundle = make_bundle(events)
    bundle["collector"] = {"name": "bench/scale.py"}
    cluster = bundle["aws"]["eks:DescribeCluster"][0]["response"]["cluster"]
    cluster["accessConfig"] = {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    bundle["aws"].update(access_entries(entries))
    bundle["aws"]["iam:GetRole"] = [{"as": "exec", "request": {"RoleName": CALLER_ROLE}, "response": {"Role": {
        "Path": "/", "RoleName": CALLER_ROLE, "RoleId": "AROAEXAMPLEDEPLOY", "CreateDate": "2025-06-01T00:00:00Z",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{CALLER_ROLE}"}}}]
    bundle["kubernetes"]["configmaps/kube-system/aws-auth"] = [{"as": "admin", "request": {}, "response": {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": aws_auth_data(rows)}}]
    return bundle


def aws_auth_manifest(rows: int) -> str:
    """The ConfigMap as `kubectl get configmap aws-auth -o yaml` writes it: each section a literal block."""
    out = "apiVersion: v1\ndata:\n"
    for key, text in aws_auth_data(rows).items():
        out += f"  {key}: |\n" + "".join(f"    {line}\n" for line in text.splitlines())
    return out + "kind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n"


def best(runs: list) -> tuple:
    return min(runs, key=lambda r: r[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="aws-auth rows (mapRoles and mapUsers)")
    parser.add_argument("--entries", type=int, default=5_000, help="access entries, each described")
    parser.add_argument("--events", type=int, default=100_000, help="authenticator log events")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle_path, manifest = os.path.join(tmp, "bundle.json"), os.path.join(tmp, "aws-auth.yaml")
        with open(bundle_path, "w") as handle:
            json.dump(make_scale_bundle(args.rows, args.entries, args.events), handle)
        Path(manifest).write_text(aws_auth_manifest(args.rows))
        size_mb = os.path.getsize(bundle_path) / 1e6
        analyze = [measure(["analyze", bundle_path, "-o", "json"]) for _ in range(max(1, args.repeat))]
        lint = [measure(["lint", manifest, "-o", "json"]) for _ in range(max(1, args.repeat))]
    a, l_ = best(analyze), best(lint)
    doc = json.loads(a[4] or b"{}")
    first = (doc.get("findings") or [{}])[0]
    lint_doc = json.loads(l_[4] or b"{}")
    summary = (lint_doc.get("files") or [{}])[0].get("summary", {})
    print(f"bundle {size_mb:.1f} MB: {args.rows} aws-auth rows, {args.entries} access entries, {args.events} log events")
    print(f"analyze: wall s {', '.join(f'{r[0]:.2f}' for r in analyze)}; cpu s {', '.join(f'{r[2]:.2f}' for r in analyze)}; "
          f"peak MB {', '.join(f'{r[1]:.0f}' for r in analyze)}; exit {a[3]}; first finding {first.get('id')} ({first.get('status')})")
    print(f"lint: wall s {', '.join(f'{r[0]:.2f}' for r in lint)}; cpu s {', '.join(f'{r[2]:.2f}' for r in lint)}; "
          f"peak MB {', '.join(f'{r[1]:.0f}' for r in lint)}; "
          f"exit {l_[3]}; summary {summary}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"scale rows={args.rows} entries={args.entries} events={args.events} analyze_s={a[0]:.2f} "
          f"analyze_cpu_s={a[2]:.2f} analyze_peak_mb={a[1]:.0f} lint_s={l_[0]:.2f} lint_cpu_s={l_[2]:.2f} lint_peak_mb={l_[1]:.0f}")


if __name__ == "__main__":
    main()

"""The authenticator-log collector against moto's server (CloudWatch Logs with a basic Logs Insights),
end to end through `eksdoctor diagnose`, plus the FilterLogEvents fallback with botocore's Stubber
(moto cannot refuse StartQuery). moto ignores a query's `filter` lines; the analysis does not rely on it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from conftest import run_cli
from world import moto  # noqa: F401  (fixture: one moto server per run, its state shared)
from eksdoctor.collect import Options
from eksdoctor.collect import aws as awscollect
from eksdoctor.collect.context import Context
from eksdoctor.collect.logs import ROWS_PER_QUERY, collect_logs, insights_query

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/log-deployer"  # names unique in the process: moto's state is shared
KEYS = dict(region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")


def line(t: float, level: str, msg: str, **fields) -> dict:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    text = " ".join([f'time="{stamp}"', f"level={level}", f"msg={json.dumps(msg)}"]
                    + [f"{k}={json.dumps(v)}" for k, v in sorted(fields.items())])
    return {"timestamp": int(t * 1000), "message": text}


def put(logs, group: str, stream: str, events: list[dict]) -> None:
    events = sorted(events, key=lambda e: e["timestamp"])
    for i in range(0, len(events), 5000):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i:i + 5000])


@pytest.fixture(scope="module")
def world(moto, tmp_path_factory):
    """Two clusters: `payroll` with authenticator logging on and a caller (role log-deployer) that the
    authenticator denies; `payroll-dev` with logging off (moto's default). A kubeconfig for each, written
    by the real AWS CLI with --role-arn so the exec identity is an assumed role."""
    home = tmp_path_factory.mktemp("home")
    env = {"HOME": str(home), "AWS_ENDPOINT_URL": moto, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
           "KUBECONFIG": str(home / ".kube" / "config"), "PATH": f"{BIN}:/usr/bin:/bin"}
    kw = dict(endpoint_url=moto, **KEYS)
    iam = boto3.client("iam", **kw)
    iam.create_role(RoleName="log-cluster-role", AssumeRolePolicyDocument="{}")
    iam.create_role(RoleName="log-deployer", AssumeRolePolicyDocument="{}")
    eks = boto3.client("eks", **kw)
    eks.create_cluster(name="payroll", roleArn=f"arn:aws:iam::{ACCOUNT}:role/log-cluster-role", resourcesVpcConfig={},
                       logging={"clusterLogging": [{"types": ["authenticator"], "enabled": True}]})
    eks.create_cluster(name="payroll-dev", roleArn=f"arn:aws:iam::{ACCOUNT}:role/log-cluster-role", resourcesVpcConfig={})
    logs = boto3.client("logs", **kw)
    logs.create_log_group(logGroupName="/aws/eks/payroll/cluster")
    logs.create_log_stream(logGroupName="/aws/eks/payroll/cluster", logStreamName="authenticator-0a1b2c3d")
    logs.create_log_stream(logGroupName="/aws/eks/payroll/cluster", logStreamName="kube-apiserver-0a1b2c3d")
    now = time.time()
    common = {"client": "127.0.0.1:40192", "method": "POST", "path": "/authenticate"}
    put(logs, "/aws/eks/payroll/cluster", "authenticator-0a1b2c3d", [
        line(now - 300, "warning", "access denied", arn=ROLE, error=f"ARN is not mapped: {ROLE}", **common),
        line(now - 240, "warning", "access denied", arn=ROLE, error=f"ARN is not mapped: {ROLE}", **common),
        line(now - 1200, "info", "access granted", arn=f"arn:aws:iam::{ACCOUNT}:user/admin", groups="[system:masters]",
             uid=f"aws-iam-authenticator:{ACCOUNT}:AIDAEXAMPLE", username="kubernetes-admin", **common),
        {"timestamp": int((now - 100) * 1000), "message": "garbage \x00 not a log line \"unterminated"},
    ])
    put(logs, "/aws/eks/payroll/cluster", "kube-apiserver-0a1b2c3d", [
        {"timestamp": int((now - 200) * 1000), "message": 'I1123 "access denied" from the API server, not the authenticator'}])
    for name in ("payroll", "payroll-dev"):
        subprocess.run([str(BIN / "aws"), "eks", "update-kubeconfig", "--name", name, "--role-arn",
                        ROLE, "--alias", name], env=env, check=True, capture_output=True)
    return env


def diagnose(world, tmp_path, context: str, *extra: str):
    saved = tmp_path / f"{context}.json"
    result = run_cli("diagnose", "--context", context, "-o", "json", "--save-bundle", str(saved), "--timeout", "60",
                     *extra, env=world)
    assert "Traceback" not in result.err, result.err
    return result, json.loads(saved.read_text())


def test_a_denied_arn_is_confirmed_from_moto_logs_insights(world, tmp_path):
    result, bundle = diagnose(world, tmp_path, "payroll")
    (start,) = bundle["aws"]["logs:StartQuery"]
    assert start["request"]["logGroupName"] == "/aws/eks/payroll/cluster"
    assert start["request"]["endTime"] - start["request"]["startTime"] == 3600
    query = start["request"]["queryString"]
    assert "arn:aws:iam::123456789012:role\\/log-deployer" in query  # narrowed to the caller
    (results,) = bundle["aws"]["logs:GetQueryResults"]
    assert results["request"] == {"queryId": start["response"]["queryId"]} and results["response"]["status"] == "Complete"
    assert "authenticator logs:" not in result.err  # no spinner when stderr is not a terminal
    findings = {f["id"]: f for f in result.json()["findings"]}
    evidence = findings["authenticator_log_evidence"]
    assert (evidence["status"], evidence["confidence"]) == ("fail", "certain")
    assert f'error="ARN is not mapped: {ROLE}"' in evidence["detail"]
    assert "1 line(s) matched no known authenticator format" in evidence["detail"]  # garbage counted, not fatal
    assert "from the API server, not the authenticator" not in evidence["detail"]  # other streams ignored
    assert findings["authenticator_logs_disabled"]["status"] == "pass"
    # (principal_not_mapped is blocked here: moto has no access-entry API, so its specific causes are skipped)


def test_logging_disabled_gives_its_finding_and_fix_against_moto(world, tmp_path):
    result, bundle = diagnose(world, tmp_path, "payroll-dev")
    assert bundle["aws"]["logs:StartQuery"][0]["error"]["code"] == "ResourceNotFoundException"
    assert "logs:FilterLogEvents" not in bundle["aws"]  # a missing log group is not a refusal
    findings = {f["id"]: f for f in result.json()["findings"]}
    off = findings["authenticator_logs_disabled"]
    assert off["status"] == "warn"
    assert off["fix"][0]["command"] == ("aws eks update-cluster-config --region us-east-1 --name payroll-dev --logging "
                                        "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'")
    assert findings["authenticator_log_evidence"]["status"] == "skipped"


def test_since_is_the_query_window_and_a_bad_value_is_a_usage_error(world, tmp_path):
    _, bundle = diagnose(world, tmp_path, "payroll", "--since", "10m")
    request = bundle["aws"]["logs:StartQuery"][0]["request"]
    assert request["endTime"] - request["startTime"] == 600
    bad = run_cli("diagnose", "--since", "soon", env=world)
    assert bad.code == 2 and "--since 'soon' is not a duration" in bad.err


def test_a_spinner_with_the_elapsed_time_shows_when_stderr_is_a_terminal(world):
    import os
    import pty
    import re
    import select
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECONFIG"))}
    env.update(world)
    proc = subprocess.Popen([sys.executable, "-m", "eksdoctor", "diagnose", "--context", "payroll", "-o", "json"],
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.communicate(timeout=120)
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert "authenticator logs:" in text and re.search(r"\(\d+\.\ds\)", text), text[-500:]


# --- the collector on its own ----------------------------------------------------------------

def context_for(session, cluster: str = "log-big", timeout: float = 60.0) -> Context:
    ctx = Context(Options(cluster=cluster, region="us-east-1", timeout=timeout), environ={})
    ctx.set_fact("exec_creds", awscollect.Credentials("exec", session))
    ctx.set_fact("exec_section", {"command": "aws"})
    return ctx


def test_a_full_answer_splits_the_window_until_every_event_is_read(moto, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    session = boto3.Session(**KEYS)
    logs = session.client("logs")
    logs.create_log_group(logGroupName="/aws/eks/log-big/cluster")
    logs.create_log_stream(logGroupName="/aws/eks/log-big/cluster", logStreamName="authenticator-big")
    now = time.time()
    total = ROWS_PER_QUERY + 2500
    put(logs, "/aws/eks/log-big/cluster", "authenticator-big",
        [line(now - 3500 + i * 0.25, "info", "access granted", arn=f"arn:aws:iam::{ACCOUNT}:role/r{i}", username=f"u{i}")
         for i in range(total)])
    ctx = context_for(session)
    collect_logs(ctx)
    results = ctx.data["aws"]["logs:GetQueryResults"]
    assert len(results) >= 2 and len(results[0]["response"]["results"]) == ROWS_PER_QUERY
    messages = {cell["value"] for record in results for row in record["response"]["results"]
                for cell in row if cell["field"] == "@message"}
    assert len(messages) == total
    windows = [(s["request"]["startTime"], s["request"]["endTime"]) for s in ctx.data["aws"]["logs:StartQuery"]]
    assert all(start >= windows[0][0] and end <= windows[0][1] for start, end in windows[1:])


def test_refused_logs_insights_falls_back_to_filter_log_events_page_by_page():
    session = boto3.Session(**KEYS)
    client = session.client("logs", region_name="us-east-1")
    ctx = context_for(session, cluster="prod")
    creds = ctx.fact("exec_creds")
    creds._clients[("logs", "us-east-1")] = client
    client.meta.events.register("before-call", awscollect._audit)
    ctx.record("aws", "sts:GetCallerIdentity", {"as": "exec", "request": {}, "response": {
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/log-deployer/ci", "Account": ACCOUNT, "UserId": "AROA:ci"}})
    event = lambda i: {"logStreamName": "authenticator-1", "timestamp": 1795395000000 + i, "message": f"m{i}",
                       "ingestionTime": 1795395000500, "eventId": f"e{i}"}
    with Stubber(client) as stub:
        stub.add_client_error("start_query", "AccessDeniedException", "not allowed to run queries", 400)
        stub.add_response("filter_log_events", {"events": [event(1), event(2)], "nextToken": "page2"})
        stub.add_response("filter_log_events", {"events": [event(3)]})
        collect_logs(ctx)
        stub.assert_no_pending_responses()
    assert ctx.data["aws"]["logs:StartQuery"][0]["error"]["code"] == "AccessDeniedException"
    (record,) = ctx.data["aws"]["logs:FilterLogEvents"]
    assert [e["message"] for e in record["response"]["events"]] == ["m1", "m2", "m3"]
    assert "nextToken" not in record["response"]
    request = record["request"]
    assert request["logStreamNamePrefix"] == "authenticator" and request["endTime"] - request["startTime"] == 3600_000
    assert '?"access denied"' in request["filterPattern"] and f'?"{ROLE}"' in request["filterPattern"]


def test_a_running_query_is_polled_until_complete():
    session = boto3.Session(**KEYS)
    client = session.client("logs", region_name="us-east-1")
    ctx = context_for(session, cluster="prod")
    ctx.fact("exec_creds")._clients[("logs", "us-east-1")] = client
    with Stubber(client) as stub:
        stub.add_response("start_query", {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": "Scheduled", "results": []}, {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q-1"})
        stub.add_response("get_query_results", {"status": "Complete", "results": [[
            {"field": "@timestamp", "value": "2026-11-23 00:59:01.123"}, {"field": "@message", "value": "x"}]]},
            {"queryId": "q-1"})
        collect_logs(ctx)
        stub.assert_no_pending_responses()
    (record,) = ctx.data["aws"]["logs:GetQueryResults"]
    assert record["response"]["status"] == "Complete" and len(record["response"]["results"]) == 1


def test_the_query_narrows_to_the_caller_and_escapes_its_arn():
    query = insights_query([f"arn:aws:sts::{ACCOUNT}:assumed-role/log-deployer/ci", ROLE])
    assert "filter @logStream like /^authenticator/" in query
    assert "role\\/log-deployer" in query and "(?i)" in query
    assert "ASIA" not in query and "AKIA" not in query  # the query is kept in the bundle: no access key ids
    assert "@message not like /arn=" in query  # other principals' denials are left out, token errors kept
    assert insights_query([]).count("access denied") == 1

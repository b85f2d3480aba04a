"""`eksdoctor diagnose` against moto's HTTP server with a kubeconfig written by the real AWS CLI.

This exercises the live collectors end to end (the fuller world with a Kubernetes API stand-in
lives in tests/lab). Secrets planted in the environment must not reach the bundle or the output.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from world import moto, prod_cluster  # noqa: F401  (moto is a fixture)

BIN = Path(sys.executable).parent
CANARY_SECRET = "CANARYsecretKEY0123456789abcdefghijklmnop"
CANARY_TOKEN = "IQoJb3JpZ2luCANARYsessionTOKEN0123456789abcdefghij"


@pytest.fixture(scope="module")
def world(moto, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {"HOME": str(home), "AWS_ENDPOINT_URL": moto, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
           "AWS_SESSION_TOKEN": CANARY_TOKEN, "KUBECONFIG": str(home / ".kube" / "config"),
           "PATH": f"{BIN}:/usr/bin:/bin"}
    prod_cluster(moto)
    subprocess.run([str(BIN / "aws"), "eks", "update-kubeconfig", "--name", "prod"], env=env, check=True,
                   capture_output=True)
    return env


def test_diagnose_collects_exec_identity_cluster_and_token(world, tmp_path):
    saved = tmp_path / "bundle.json.gz"
    result = run_cli("diagnose", "-o", "json", "--save-bundle", str(saved), "--timeout", "60", env=world)
    assert result.code in (1, 3), result.err
    assert "Traceback" not in result.err
    raw = gzip.decompress(saved.read_bytes()).decode()
    bundle = json.loads(raw)
    assert bundle["target"] == {"cluster": "prod", "region": "us-east-1", "account": "123456789012"}
    exec_run = bundle["local"]["exec"]
    assert exec_run["exit_code"] == 0
    assert exec_run["stdout_api_version"] == "client.authentication.k8s.io/v1beta1"
    # the AWS CLI presigns against AWS_ENDPOINT_URL too, so the token names moto, over http
    assert exec_run["token"]["host"] == "127.0.0.1"
    assert exec_run["token"]["format_error"].endswith('unexpected scheme "http" in pre-signed URL')
    assert "x-k8s-aws-id" in exec_run["token"]["signed_headers"]
    identities = {c["as"]: c.get("response", {}).get("Arn") for c in bundle["aws"]["sts:GetCallerIdentity"]}
    assert set(identities) == {"exec", "shell", "token"}
    assert identities["exec"] == identities["shell"] == "arn:aws:sts::123456789012:user/moto"
    # the token is replayed to the configured endpoint (moto), which routes a presigned GET to S3
    replay = next(c for c in bundle["aws"]["sts:GetCallerIdentity"] if c["as"] == "token")
    assert replay["request"] == {"x-k8s-aws-id": "prod", "host": "127.0.0.1", "cluster_id_from": "eks:DescribeCluster"}
    assert replay["error"]["code"] == "UnexpectedResponse"
    assert bundle["aws"]["eks:DescribeCluster"][0]["response"]["cluster"]["name"] == "prod"
    assert bundle["local"]["env"]["AWS_SECRET_ACCESS_KEY"] == "<set>"
    for secret in (CANARY_SECRET, CANARY_TOKEN, "k8s-aws-v1.a", "X-Amz-Signature="):
        assert secret not in raw
        assert secret not in result.out and secret not in result.err


def test_diagnose_unknown_cluster_looks_in_other_regions(world, tmp_path):
    saved = tmp_path / "bundle.json"
    result = run_cli("diagnose", "--cluster", "nope", "-o", "json", "--save-bundle", str(saved), env=world)
    assert "Traceback" not in result.err
    bundle = json.loads(saved.read_text())
    assert bundle["aws"]["eks:DescribeCluster"][0]["error"]["code"] == "ResourceNotFoundException"
    regions = {c.get("region") for c in bundle["aws"]["eks:ListClusters"]}
    assert "eu-west-1" in regions and "us-east-1" not in regions


def test_collection_calls_only_read_operations_and_the_policy_grants_exactly_them(world, tmp_path):
    from eksdoctor.collect.aws import READ_OPERATIONS
    from conftest import ROOT
    policy = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
    assert sorted(policy["Statement"][0]["Action"]) == sorted(READ_OPERATIONS)
    saved = tmp_path / "bundle.json"
    run_cli("diagnose", "--save-bundle", str(saved), "-o", "json", env=world)
    collection = json.loads(saved.read_text())["collection"]
    assert {"sts:GetCallerIdentity", "eks:DescribeCluster", "eks:ListAccessEntries"} <= set(collection["operations"])
    assert set(collection["operations"]) <= READ_OPERATIONS


def test_a_write_is_refused_before_it_is_sent(world, moto):
    from eksdoctor.collect import Options, aws
    from eksdoctor.collect.context import Context
    ctx = Context(Options(cluster="prod", region="us-east-1"), environ={})
    creds = aws.from_keys("exec", "AKIAIOSFODNN7EXAMPLE", "x", None, "us-east-1")
    import os
    os.environ["AWS_ENDPOINT_URL"] = moto
    try:
        assert aws.call(ctx, creds, "eks", "DeleteCluster", {"name": "prod"}) is None
        check = aws.call(ctx, creds, "eks", "DescribeCluster", {"name": "prod"})
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
    assert ctx.data["aws"]["eks:DeleteCluster"][0]["error"]["code"] == "ReadOnlyViolation"
    assert check["cluster"]["name"] == "prod"

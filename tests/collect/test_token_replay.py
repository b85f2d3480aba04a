"""The exec plugin's token replayed to STS exactly as the authenticator does (GET the presigned URL with
x-k8s-aws-id: <real cluster name> and Accept: application/json), only to STS or the configured endpoint;
and the server clock read from the API server's Date header. A small HTTP server stands in for STS."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli
from world import kube_api, moto  # noqa: F401  (fixtures)
from world import Recorder, base_env, fake_plugin, presigned_token, prod_cluster, sts_xml, token_url, write_kubeconfig

ALICE = "arn:aws:sts::123456789012:assumed-role/dev/alice"


@pytest.fixture
def sts():
    """STS: XML for the SDK's POSTs; for the replayed GET, JSON — or SignatureDoesNotMatch unless the
    x-k8s-aws-id header is the one the token was signed with (`sts.signed_for`)."""
    def answer(handler, body):
        if handler.command == "POST":
            return 200, sts_xml(ALICE, user_id="AROAEXAMPLE:alice"), "text/xml"
        if handler.headers.get("x-k8s-aws-id") != fake.signed_for:
            return 403, {"Error": {"Code": "SignatureDoesNotMatch", "Message": "The request signature we calculated does not match",
                                   "Type": "Sender"}}, "application/json"
        return 200, {"GetCallerIdentityResponse": {"GetCallerIdentityResult": {
            "Arn": ALICE, "UserId": "AROAEXAMPLE:alice", "Account": "123456789012"}}}, "application/json"
    fake = Recorder(answer)
    fake.signed_for = "prod"
    yield fake
    fake.close()


def world(tmp_path, moto_url, token_host, cluster_arg="prod", **env):
    """A fake `aws` first on PATH (so the exec args read as aws eks get-token) that prints a token for `token_host`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    token = presigned_token(token_url(token_host))
    doc = {"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "status": {"token": token}}
    fake_plugin(bin_dir, "aws", f"import json\nprint(json.dumps({doc!r}))\n")
    cluster = prod_cluster(moto_url)
    home = tmp_path / "home"
    exec_section = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                    "args": ["--region", "us-east-1", "eks", "get-token", "--cluster-name", cluster_arg]}
    write_kubeconfig(home / ".kube" / "config", {"me": {"exec": exec_section}}, cluster["endpoint"], cluster_name=cluster["arn"])
    full = base_env(home, moto_url, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="x", **env)
    full["PATH"] = f"{bin_dir}:{full['PATH']}"
    return full, token


def diagnose(tmp_path, env):
    saved = tmp_path / "bundle.json"
    result = run_cli("diagnose", "-o", "json", "--save-bundle", str(saved), env=env)
    assert "Traceback" not in result.err, result.err
    return result, json.loads(saved.read_text()), saved.read_text()


def test_token_is_replayed_like_the_authenticator(tmp_path, moto, sts):
    env, token = world(tmp_path, moto, sts.url, AWS_ENDPOINT_URL_STS=sts.url)
    result, bundle, raw = diagnose(tmp_path, env)
    gets = [r for r in sts.requests if r["method"] == "GET"]
    assert len(gets) == 1
    headers = dict(gets[0]["headers"])
    assert headers["x-k8s-aws-id"] == "prod" and headers["accept"] == "application/json"
    assert gets[0]["path"].startswith("/?Action=GetCallerIdentity&")
    replay = next(c for c in bundle["aws"]["sts:GetCallerIdentity"] if c["as"] == "token")
    assert replay["request"] == {"x-k8s-aws-id": "prod", "host": "127.0.0.1", "cluster_id_from": "eks:DescribeCluster"}
    assert replay["response"]["Arn"] == ALICE and replay["server_date"]
    for secret in (token, token[11:60], "IQoJb3JpZ2luFAKE", "0123456789abcdef0123456789abcdef"):
        assert secret not in raw and secret not in result.out


def test_wrong_cluster_name_is_confirmed_by_sts(tmp_path, moto, sts):
    sts.signed_for = "prod-old"
    env, _ = world(tmp_path, moto, sts.url, cluster_arg="prod-old", AWS_ENDPOINT_URL_STS=sts.url)
    result, bundle, _ = diagnose(tmp_path, env)
    replay = next(c for c in bundle["aws"]["sts:GetCallerIdentity"] if c["as"] == "token")
    assert replay["error"]["code"] == "SignatureDoesNotMatch" and replay["error"]["http_status"] == 403
    # (the stand-in STS is plain http on 127.0.0.1, so sts_endpoint_problem fails too, and ranks first)
    finding = next(f for f in result.json()["findings"] if f["id"] == "wrong_cluster_name_in_token")
    assert finding["status"] == "fail" and finding["confidence"] == "certain", finding
    assert "Confirmed: replaying the token with x-k8s-aws-id: prod, STS answered SignatureDoesNotMatch" in finding["detail"]
    assert finding["fix"][0]["command"].startswith("aws eks update-kubeconfig --region us-east-1 --name prod")


def test_token_for_a_host_that_is_not_sts_is_never_sent(tmp_path, moto, sts):
    env, _ = world(tmp_path, moto, "https://collector.example.com")
    result, bundle, _ = diagnose(tmp_path, env)
    replay = next(c for c in bundle["aws"]["sts:GetCallerIdentity"] if c["as"] == "token")
    assert replay["error"]["code"] == "NotSent"
    assert "collector.example.com is not an STS endpoint of partition aws" in replay["error"]["message"]
    first = result.json()["findings"][0]
    assert first["id"] == "sts_endpoint_problem", first
    assert 'unexpected hostname "collector.example.com"' in first["detail"]


def test_clock_skew_from_the_api_servers_date(tmp_path, moto, kube_api):
    kube_api.date_offset = 40 * 60  # the server is 40 minutes ahead: our clock is behind
    home = tmp_path / "home"
    write_kubeconfig(home / ".kube" / "config", {"me": {"token": "plain-bearer"}}, kube_api.url)
    result, bundle, _ = diagnose(tmp_path, base_env(home, moto))
    probe = bundle["kubernetes"]["probe"][0]
    assert probe["response"]["status"] == 401 and probe["sent_at"]
    first = result.json()["findings"][0]
    assert first["id"] == "clock_skew" and first["status"] == "fail", first
    assert first["title"].startswith("The local clock is 40m") and "behind" in first["title"]

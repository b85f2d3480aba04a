"""Pure models behind the client-side checks: the token's host rules per partition, exec plugin
arguments for both generators, tool versions, clock verdicts from STS, and kubeconfig selection."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import FIXTURES, run_cli
from eksdoctor.bundle import validate
from eksdoctor.model import clock, execargs, tools
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model import token as tokens


@pytest.mark.parametrize("host, partition, problem", [
    ("sts.amazonaws.com", "aws", None),
    ("sts.us-west-2.amazonaws.com", "aws", None),
    ("sts-fips.us-east-1.amazonaws.com", "aws", None),
    ("sts.us-east-1.api.aws", "aws", None),
    ("sts.not-a-region.amazonaws.com", "aws", None),  # the resolver falls back to the commercial format
    ("sts.cn-north-1.amazonaws.com.cn", "aws-cn", None),
    ("sts.amazonaws.com", "aws-cn", "global endpoint unsupported in partition aws-cn"),
    ("sts.amazonaws.com", "aws-us-gov", "global endpoint unsupported in partition aws-us-gov"),
    ("sts.us-east-1.amazonaws.com", "aws-cn", "partition {aws-cn} does not support hostname sts.us-east-1.amazonaws.com"),
    ("sts.example.com", "aws", 'unexpected hostname "sts.example.com" in pre-signed URL'),
    ("amazonaws.com", "aws", "could not parse region for pre-signed URL amazonaws.com, invalid host format: amazonaws.com"),
    ("sts.-bad-.amazonaws.com", "aws", "invalid region identifier format provided: -bad-"),
])
def test_token_host_rules(host, partition, problem):
    assert tokens.host_problem(host, partition) == problem


def test_token_expiry_is_the_servers_15_minutes():
    now = datetime(2026, 11, 23, 1, 20, tzinfo=timezone.utc)
    assert tokens.expiry_problem("20261123T010500Z", now) is None
    assert tokens.expiry_problem("20261123T010459Z", now) == ("input token was not properly formatted: X-Amz-Date parameter "
                                                              "is expired (15 minute expiration) 2026-11-23 01:04:59 +0000 UTC")
    assert tokens.age("20261123T011900Z", now) == timedelta(minutes=1)


@pytest.mark.parametrize("section, expected", [
    ({"command": "aws", "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod", "--role", "arn:r"],
      "env": [{"name": "AWS_PROFILE", "value": "dev"}]},
     dict(tool="aws", cluster_name="prod", region="eu-west-1", role_arn="arn:r", env_profile="dev", get_token=True)),
    ({"command": "/usr/local/bin/aws", "args": ["eks", "get-token", "--cluster-id=abc", "--profile=ops", "--session-name", "me",
                                                "--endpoint-url", "https://vpce"]},
     dict(tool="aws", cluster_id="abc", profile="ops", session_name="me", endpoint_url="https://vpce")),
    ({"command": "aws-iam-authenticator", "args": ["token", "-i", "prod", "-r", "arn:r", "-s", "me", "--region", "us-east-1"]},
     dict(tool="aws-iam-authenticator", cluster_id="prod", role_arn="arn:r", session_name="me", region="us-east-1")),
    ({"command": "aws-iam-authenticator", "args": ["token"],
      "env": [{"name": "KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID", "value": "prod"}, {"name": "DEFAULT_ROLE", "value": "arn:r"}]},
     dict(tool="aws-iam-authenticator", cluster_id="prod", role_arn="arn:r")),
    ({"command": "heptio-authenticator-aws", "args": ["token", "-i", "prod"]}, dict(tool="heptio-authenticator-aws", cluster_id="prod")),
    ({"command": "sh", "args": ["-c", "aws --region us-east-1 eks get-token --cluster-name prod"]},
     dict(tool="aws", cluster_name="prod", wrapper="sh")),
    ({"command": "aws-vault", "args": ["exec", "dev", "--", "aws", "eks", "get-token", "--cluster-name", "prod"]},
     dict(tool="aws", cluster_name="prod", wrapper="aws-vault")),
    ({"command": "kubelogin", "args": ["get-token"]}, dict(tool="kubelogin")),
])
def test_exec_args_of_both_generators(section, expected):
    parsed = execargs.parse_exec(section)
    for key, value in expected.items():
        assert getattr(parsed, key) == value, key


def test_tool_versions():
    assert tools.aws_cli_version("aws-cli/2.22.0 Python/3.12.6 Linux/6.1 exe/x86_64") == (2, 22, 0)
    assert tools.older_than((1, 16, 100), tools.GET_TOKEN_SINCE)
    assert not tools.older_than((2, 0, 1), tools.GET_TOKEN_SINCE)
    assert tools.older_than((2, 4, 6), tools.V1BETA1_SINCE) and not tools.older_than((2, 7, 0), tools.V1BETA1_SINCE)
    assert tools.kubectl_version("v1.23.17-eks-1") == (1, 23)


def _bundle(**parts) -> object:
    return validate({"kind": "EksdoctorBundle", "version": 1, "collected_at": "2026-11-23T01:02:03Z", **parts})


def test_sts_clock_verdict_gives_the_skew():
    message = "Signature expired: 20261123T010204Z is now earlier than 20261123T012501Z (20261123T014001Z - 15 min.)"
    bundle = _bundle(aws={"sts:GetCallerIdentity": [{"as": "exec", "error": {"code": "SignatureDoesNotMatch", "message": message}}]})
    _, _, skew = clock.sts_verdict(bundle)
    assert skew == timedelta(minutes=37, seconds=57)
    ahead = "Signature not yet current: 20261123T020000Z is still later than 20261123T013000Z (20261123T011500Z + 15 min.)"
    bundle = _bundle(aws={"sts:GetCallerIdentity": [{"as": "exec", "error": {"code": "SignatureDoesNotMatch", "message": ahead}}]})
    assert clock.sts_verdict(bundle)[2] == -timedelta(minutes=45)


def test_kubeconfig_selection_and_named_cluster():
    arn = "arn:aws-cn:eks:cn-north-1:444455556666:cluster/prod"
    merged = {"current-context": "alias", "clusters": [{"name": arn, "cluster": {"server": "https://X.yl4.cn-north-1.eks.amazonaws.com.cn"}}],
              "contexts": [{"name": "alias", "context": {"cluster": arn, "user": "u"}}],
              "users": [{"name": "u", "user": {"as": "bob", "as-groups": ["g"], "exec": {"command": "aws", "args": ["--cluster-name", "other"]}}}]}
    sel = kcm.select_context(merged, None)
    assert sel.context_name == "alias" and sel.auth_kind == "exec" and sel.impersonation == {"user": "bob", "groups": ["g"]}
    named = kcm.eks_cluster(sel)
    assert (named.name, named.region, named.partition, named.source) == ("prod", "cn-north-1", "aws-cn", "cluster entry ARN")
    assert kcm.contexts_for(merged, "prod") == ["alias"]
    assert kcm.select_context(merged, "nope").problem == 'context "nope" does not exist in the kubeconfig'
    assert kcm.select_context({"current-context": ""}, None).problem.startswith("no context")


def _client_scenarios() -> list[str]:
    """The fixtures fixtures/_client.py writes (its failing scenarios)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("client_fixtures", FIXTURES / "_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [name for name, _, expect, _ in module.SCENARIOS if expect["first"]]


CLIENT_FIXTURES = _client_scenarios()


@pytest.mark.parametrize("name", CLIENT_FIXTURES)
def test_client_findings_say_whether_the_request_reached_the_server(name):
    first = run_cli("analyze", str(FIXTURES / name / "bundle.json"), "-o", "json").json()["findings"][0]
    said = ("reached the API server", "never reached the API server", "never sends the request", "never sent",
            "kubectl never sends", "was not probed", "kubectl is not affected")
    assert any(s in first["detail"] for s in said), first["detail"]
    assert all(step["run_as"] in ("affected user", "IAM admin", "cluster admin", "account admin") for step in first["fix"])

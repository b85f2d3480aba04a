"""OIDC identity provider evidence: the collector (botocore's Stubber, since moto has no identity
provider API; it validates each response against the real EKS model) and what `eksdoctor analyze`
says about a kubeconfig signing in through OIDC against those configs."""
from __future__ import annotations

import json

from conftest import FIXTURES, run_cli
from test_cluster_access import stubbed_context

from eksdoctor.collect.cluster_access import collect_identity_providers

CONFIG = {"identityProviderConfigName": "corp-sso", "clusterName": "prod", "issuerUrl": "https://login.example.com",
          "clientId": "kubernetes", "usernameClaim": "email", "usernamePrefix": "oidc:", "groupsClaim": "groups",
          "groupsPrefix": "oidc:", "status": "ACTIVE",
          "identityProviderConfigArn": "arn:aws:eks:us-east-1:111122223333:identityproviderconfig/prod/oidc/corp-sso/x"}


def test_each_listed_config_is_described_and_recorded_as_the_cli_prints_it():
    ctx, stub = stubbed_context("eks")
    stub.add_response("list_identity_provider_configs", {"identityProviderConfigs": [{"type": "oidc", "name": "corp-sso"}]},
                      {"clusterName": "prod"})
    request = {"clusterName": "prod", "identityProviderConfig": {"type": "oidc", "name": "corp-sso"}}
    stub.add_response("describe_identity_provider_config", {"identityProviderConfig": {"oidc": CONFIG}}, request)
    with stub:
        collect_identity_providers(ctx)
    stub.assert_no_pending_responses()
    assert ctx.data["aws"]["eks:ListIdentityProviderConfigs"] == [{"as": "exec", "request": {"clusterName": "prod"}, "response": {
        "identityProviderConfigs": [{"type": "oidc", "name": "corp-sso"}]}}]
    described = ctx.data["aws"]["eks:DescribeIdentityProviderConfig"][0]
    assert described["request"] == request and described["response"]["identityProviderConfig"]["oidc"]["clientId"] == "kubernetes"


def test_a_refused_list_is_evidence_and_nothing_is_described():
    ctx, stub = stubbed_context("eks")
    stub.add_client_error("list_identity_provider_configs", "AccessDeniedException", "not authorized", 403)
    with stub:
        collect_identity_providers(ctx)
    assert ctx.data["aws"]["eks:ListIdentityProviderConfigs"][0]["error"]["code"] == "AccessDeniedException"
    assert "eks:DescribeIdentityProviderConfig" not in ctx.data["aws"]


def test_a_web_page_instead_of_an_aws_error_is_named_not_quoted():
    """A proxy, or an endpoint without this API, answers a 404 HTML page: the record says so in one line."""
    ctx, stub = stubbed_context("eks")
    page = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    stub.add_client_error("list_identity_provider_configs", "404", page, 404)
    with stub:
        collect_identity_providers(ctx)
    error = ctx.data["aws"]["eks:ListIdentityProviderConfigs"][0]["error"]
    assert error["http_status"] == 404 and "<" not in error["message"] and "\n" not in error["message"]
    assert error["message"].startswith("HTTP 404 with a web page, not an AWS error")


def analyze_with(tmp_path, edit) -> dict:
    bundle = json.loads((FIXTURES / "healthy__oidc" / "bundle.json").read_text())
    bundle["symptom"] = {"command": "kubectl get pods", "output": "error: You must be logged in to the server (Unauthorized)"}
    bundle["kubernetes"]["probe"][0]["response"] = {"status": 401, "body": {"kind": "Status", "code": 401, "message": "Unauthorized"}}
    edit(bundle)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = run_cli("analyze", str(path), "-o", "json")
    return {f["id"]: f for f in result.json()["findings"]}, result.json()["findings"][0]


def _user(bundle) -> dict:
    return bundle["local"]["kubeconfig"]["merged"]["users"][0]["user"]


def _oidc(bundle) -> dict:
    return bundle["aws"]["eks:DescribeIdentityProviderConfig"][0]["response"]["identityProviderConfig"]["oidc"]


def test_another_issuer_is_the_first_finding_and_the_fix_keeps_the_other_arguments(tmp_path):
    def edit(b):
        _oidc(b)["issuerUrl"] = "https://idp.corp.example"
    by_id, first = analyze_with(tmp_path, edit)
    assert (first["id"], first["status"]) == ("oidc_idp_mismatch", "fail")
    assert "trusts issuer https://idp.corp.example" in first["detail"]
    assert [s["command"] for s in first["fix"]] == [
        "kubectl config set-credentials oidc --exec-command=kubectl --exec-arg=oidc-login --exec-arg=get-token "
        "--exec-arg=--oidc-issuer-url=https://idp.corp.example --exec-arg=--oidc-client-id=kubernetes"]


def test_the_legacy_oidc_auth_provider_is_read_too(tmp_path):
    def edit(b):
        b["local"]["kubeconfig"]["merged"]["users"][0]["user"] = {"auth-provider": {"name": "oidc", "config": {
            "idp-issuer-url": "https://login.example.com", "client-id": "old-app"}}}
    _, first = analyze_with(tmp_path, edit)
    assert (first["id"], first["status"]) == ("oidc_idp_mismatch", "fail")
    assert first["fix"][0]["command"] == ("kubectl config set-credentials oidc --auth-provider=oidc "
                                          "--auth-provider-arg=idp-issuer-url=https://login.example.com "
                                          "--auth-provider-arg=client-id=kubernetes")


def test_a_provider_not_yet_active(tmp_path):
    _, first = analyze_with(tmp_path, lambda b: _oidc(b).update(status="CREATING"))
    assert (first["id"], first["title"]) == ("oidc_idp_mismatch", "The cluster's OIDC provider is CREATING")


def test_unread_provider_configs_are_an_evidence_gap_not_a_pass(tmp_path):
    def edit(b):
        b["aws"]["eks:ListIdentityProviderConfigs"] = [{"as": "exec", "request": {"clusterName": "prod"}, "error": {
            "code": "AccessDeniedException", "message": "not authorized", "http_status": 403}}]
        del b["aws"]["eks:DescribeIdentityProviderConfig"]
    by_id, _ = analyze_with(tmp_path, edit)
    assert by_id["oidc_idp_mismatch"]["status"] == "skipped"
    assert "AccessDeniedException" in json.dumps(by_id["oidc_idp_mismatch"])


def test_an_iam_caller_is_not_concerned(tmp_path):
    path = FIXTURES / "healthy__access_entries" / "bundle.json"
    by_id = {f["id"]: f for f in run_cli("analyze", str(path), "-o", "json", "-v").json()["findings"]}
    assert by_id["oidc_idp_mismatch"]["status"] == "pass"

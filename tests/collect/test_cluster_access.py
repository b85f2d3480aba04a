"""Server-side collectors with botocore's Stubber (validates every response against the real EKS and
CloudTrail models) where moto has no API: access entries, associated policies, CloudTrail LookupEvents."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest
from botocore.stub import StubResponseError, Stubber

from eksdoctor.collect import Options
from eksdoctor.collect import aws as awscollect
from eksdoctor.collect.cluster_access import collect_access_entries, collect_access_entry_details, collect_creator
from eksdoctor.collect.context import Context
from eksdoctor.model.question import QuestionError, parse_question

ROLE = "arn:aws:iam::111122223333:role/teams/dev/deployer"


class AnyOrderStubber(Stubber):
    """botocore's Stubber for calls a collector sends at once: each call takes the first queued
    response with its operation and parameters, whatever order the calls arrive in."""

    def __init__(self, client):
        super().__init__(client)
        self._lock = threading.Lock()

    def _assert_expected_params(self, model, params, context, **kwargs):
        if self._should_not_stub(context):
            return
        with self._lock:
            for i, item in enumerate(self._queue):
                if item["operation_name"] == model.name and item["expected_params"] in (None, params):
                    del self._queue[i]
                    context["stubbed"] = item
                    return
        raise StubResponseError(operation_name=model.name, reason=f"no response queued for {params}")

    def _get_response_handler(self, model, params, context, **kwargs):
        return context.pop("stubbed")["response"]


def stubbed_context(service: str, options: Options | None = None):
    options = options or Options(cluster="prod", region="us-east-1")
    ctx = Context(options, environ={})
    creds = awscollect.from_keys("exec", "AKIAEXAMPLE", "x", None, "us-east-1")
    client = creds.session.create_client(service, region_name="us-east-1")
    creds._clients[(service, "us-east-1")] = client
    ctx.set_fact("exec_creds", creds)
    ctx.set_fact("exec_section", {"command": "aws"})
    return ctx, AnyOrderStubber(client)


def test_caller_entry_is_found_by_its_pathless_name_and_described():
    ctx, stub = stubbed_context("eks")
    stub.add_response("list_access_entries", {"accessEntries": [ROLE, "arn:aws:iam::111122223333:role/other"]},
                      {"clusterName": "prod"})
    stub.add_response("list_access_policies", {"accessPolicies": [
        {"name": "AmazonEKSViewPolicy", "arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}]}, {})
    created = datetime(2026, 1, 2, tzinfo=timezone.utc)
    stub.add_response("describe_access_entry", {"accessEntry": {
        "clusterName": "prod", "principalArn": ROLE, "kubernetesGroups": [], "accessEntryArn": "arn:aws:eks:us-east-1:111122223333:access-entry/prod/role/111122223333/deployer/x",
        "createdAt": created, "modifiedAt": created, "tags": {}, "username": "arn:aws:sts::111122223333:assumed-role/deployer/{{SessionName}}",
        "type": "STANDARD"}}, {"clusterName": "prod", "principalArn": ROLE})
    stub.add_response("list_associated_access_policies", {"clusterName": "prod", "principalArn": ROLE,
                                                          "associatedAccessPolicies": []},
                      {"clusterName": "prod", "principalArn": ROLE})
    ctx.record("aws", "sts:GetCallerIdentity", {"as": "exec", "request": {}, "response": {
        "Arn": "arn:aws:sts::111122223333:assumed-role/deployer/alice", "Account": "111122223333", "UserId": "AROA:alice"}})
    with stub:
        collect_access_entries(ctx)
        collect_access_entry_details(ctx)
    stub.assert_no_pending_responses()
    described = ctx.data["aws"]["eks:DescribeAccessEntry"][0]
    assert described["request"] == {"clusterName": "prod", "principalArn": ROLE}
    assert described["response"]["accessEntry"]["createdAt"] == "2026-01-02T00:00:00+00:00"
    assert ctx.data["aws"]["eks:ListAssociatedAccessPolicies"][0]["response"]["associatedAccessPolicies"] == []


def test_access_denied_is_recorded_as_evidence():
    ctx, stub = stubbed_context("eks")
    stub.add_client_error("list_access_entries", "AccessDeniedException", "User: x is not authorized", 403)
    stub.add_response("list_access_policies", {"accessPolicies": []}, {})
    with stub:
        collect_access_entries(ctx)
    error = ctx.data["aws"]["eks:ListAccessEntries"][0]["error"]
    assert error == {"code": "AccessDeniedException", "message": "User: x is not authorized", "http_status": 403}


def test_creator_lookup_pages_until_the_clusters_event():
    ctx, stub = stubbed_context("cloudtrail")
    other = {"EventName": "CreateCluster", "CloudTrailEvent": json.dumps({"requestParameters": {"name": "staging"}})}
    mine = {"EventName": "CreateCluster", "CloudTrailEvent": json.dumps({
        "requestParameters": {"name": "prod"},
        "userIdentity": {"arn": "arn:aws:sts::111122223333:assumed-role/Admin/bob",
                         "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/ops/Admin"}}}})}
    lookup = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]}
    stub.add_response("lookup_events", {"Events": [other], "NextToken": "t1"}, lookup)
    stub.add_response("lookup_events", {"Events": [mine], "NextToken": "t2"}, {**lookup, "NextToken": "t1"})
    with stub:
        collect_creator(ctx)
    stub.assert_no_pending_responses()
    record = ctx.data["aws"]["cloudtrail:LookupEvents"][0]
    assert len(record["response"]["Events"]) == 2 and record["response"]["NextToken"] == "t2"


@pytest.mark.parametrize("text, spec", [
    ("list pods", {"verb": "list", "resource": "pods", "group": "", "namespace": "default"}),
    ("create deployments -n prod", {"verb": "create", "resource": "deployments", "group": "apps", "namespace": "prod"}),
    ("get pods/log --namespace=ops", {"verb": "get", "resource": "pods", "group": "", "subresource": "log", "namespace": "ops"}),
    ("list nodes", {"verb": "list", "resource": "nodes", "group": ""}),
    ("get servicemonitors.monitoring.coreos.com -A", {"verb": "get", "resource": "servicemonitors", "group": "monitoring.coreos.com"}),
])
def test_questions_become_access_review_specs(text, spec):
    assert parse_question(text) == {"resourceAttributes": spec}


def test_bad_question_is_a_clear_error():
    with pytest.raises(QuestionError, match="is not a Kubernetes verb"):
        parse_question("fly pods")
    with pytest.raises(QuestionError, match="expected"):
        parse_question("create")


def test_the_admin_token_is_a_presigned_get_caller_identity_naming_the_cluster():
    import base64

    from eksdoctor.collect.cluster_access import _presigned_token
    token = _presigned_token(awscollect.from_keys("admin", "AKIAEXAMPLE", "x", None, "us-east-1"), "prod", "us-east-1")
    assert token.startswith("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
    assert url.startswith("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity")
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url

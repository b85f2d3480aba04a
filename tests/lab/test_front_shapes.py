"""What the lab's AWS front answers in moto's place must be what the real services could answer:
each response is parsed with botocore and fed to Stubber.add_response (which validates it against
the service model), and the wire JSON may only use keys the model knows. No servers: the front's WSGI
app is called in-process with requests botocore itself serialised."""
from __future__ import annotations

import json

import botocore.session
from botocore import xform_name
from botocore.awsrequest import HeadersDict
import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.stub import Stubber
from werkzeug.test import Client

from .aws import Front
from .state import ACCOUNT, ClusterState

SESSION = botocore.session.get_session()
ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/dev"
POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
HOSTS = {"eks": "eks.us-east-1.amazonaws.com", "cloudtrail": "cloudtrail.us-east-1.amazonaws.com",
         "iam": "iam.amazonaws.com"}


@pytest.fixture(scope="module")
def front():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    cluster = ClusterState(name="prod", region="us-east-1", auth_mode="API_AND_CONFIG_MAP", bootstrap_admin=True,
                           creator_arn=f"arn:aws:iam::{ACCOUNT}:user/admin", endpoint="https://127.0.0.1:6443",
                           ca_data="TEFC")
    cluster.trail.append({"EventId": "0d5a8c51-6a3f-4b1e-9d3f-000000000001", "EventName": "CreateCluster",
                          "ReadOnly": "false", "AccessKeyId": "AKIAEXAMPLE", "EventTime": 1.7e9,
                          "EventSource": "eks.amazonaws.com", "Username": "admin",
                          "Resources": [{"ResourceType": "AWS::EKS::Cluster", "ResourceName": "prod"}],
                          "CloudTrailEvent": json.dumps({"eventName": "CreateCluster"})})
    app = Front(DomainDispatcherApplication(create_backend_app), cluster,
                resolve_principal=lambda arn: "AROAEXAMPLEID" if arn in (ROLE, cluster.creator_arn) else None)
    client = Client(app)
    client.post("/moto-api/reset")
    call(client, "eks", "CreateCluster", {"name": "prod", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eks-cluster",
                                          "resourcesVpcConfig": {"subnetIds": ["subnet-1", "subnet-2"]}})
    return client


def call(client, service: str, operation: str, params: dict):
    """Send `operation` as botocore serialises it; return (status, wire body, botocore-parsed output)."""
    model = SESSION.get_service_model(service)
    op = model.operation_model(operation)
    request = create_serializer(model.metadata["protocol"]).serialize_to_request(params, op)
    headers = {"Host": HOSTS[service], **request["headers"],
               "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIALAB/20260101/us-east-1/{service}/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    resp = client.open(request["url_path"], method=request["method"], query_string=request["query_string"],
                       data=request["body"], headers=headers)
    parsed = create_parser(model.metadata["protocol"]).parse(
        {"body": resp.data, "headers": HeadersDict(resp.headers), "status_code": resp.status_code}, op.output_shape)
    return resp.status_code, resp.data, parsed


def unknown_keys(shape, value, where="") -> list[str]:
    """Keys in the wire JSON that the model does not define (a typo botocore's parser would drop silently)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        wire = {m.serialization.get("name", name): m for name, m in shape.members.items()}
        return [f"{where}.{k}" for k in value if k not in wire] + [
            bad for k, v in value.items() if k in wire for bad in unknown_keys(wire[k], v, f"{where}.{k}")]
    if shape.type_name == "list" and isinstance(value, list):
        return [bad for i, v in enumerate(value) for bad in unknown_keys(shape.member, v, f"{where}[{i}]")]
    if shape.type_name == "map" and isinstance(value, dict):
        return [bad for k, v in value.items() for bad in unknown_keys(shape.value, v, f"{where}.{k}")]
    return []


def test_the_key_check_catches_a_misspelt_field():
    shape = SESSION.get_service_model("eks").operation_model("DescribeAccessEntry").output_shape
    assert unknown_keys(shape, {"accessEntry": {"principalARN": "x", "kubernetesGroups": []}}) == [
        ".accessEntry.principalARN"]


def assert_valid(service: str, operation: str, status: int, body: bytes, parsed: dict) -> None:
    assert status == 200, body
    model = SESSION.get_service_model(service)
    if body.startswith(b"{"):
        assert unknown_keys(model.operation_model(operation).output_shape, json.loads(body)) == []
    parsed.pop("ResponseMetadata", None)
    client = SESSION.create_client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    Stubber(client).add_response(xform_name(operation), parsed)   # raises if it breaks the model


def test_access_entry_operations_answer_in_the_eks_model(front):
    eks = [
        ("CreateAccessEntry", {"clusterName": "prod", "principalArn": ROLE, "kubernetesGroups": ["devs"]}),
        ("ListAccessEntries", {"clusterName": "prod"}),
        ("DescribeAccessEntry", {"clusterName": "prod", "principalArn": ROLE}),
        ("UpdateAccessEntry", {"clusterName": "prod", "principalArn": ROLE, "username": "dev"}),
        ("AssociateAccessPolicy", {"clusterName": "prod", "principalArn": ROLE, "policyArn": POLICY,
                                   "accessScope": {"type": "namespace", "namespaces": ["team"]}}),
        ("ListAssociatedAccessPolicies", {"clusterName": "prod", "principalArn": ROLE}),
        ("ListAccessEntries", {"clusterName": "prod", "associatedPolicyArn": POLICY}),
        ("ListAccessPolicies", {}),
        ("DisassociateAccessPolicy", {"clusterName": "prod", "principalArn": ROLE, "policyArn": POLICY}),
        ("DeleteAccessEntry", {"clusterName": "prod", "principalArn": ROLE}),
    ]
    for operation, params in eks:
        assert_valid("eks", operation, *call(front, "eks", operation, params))
    status, _, parsed = call(front, "eks", "ListAccessEntries", {"clusterName": "prod"})
    assert parsed["accessEntries"] == []


def test_access_entry_errors_are_errors_the_model_declares(front):
    model = SESSION.get_service_model("eks")
    cases = [
        ("DescribeAccessEntry", {"clusterName": "prod", "principalArn": f"arn:aws:iam::{ACCOUNT}:role/nobody"}, 404,
         "ResourceNotFoundException"),
        ("CreateAccessEntry", {"clusterName": "prod", "principalArn": ROLE.replace("team/", "")}, 400,
         "InvalidParameterException"),
        ("CreateAccessEntry", {"clusterName": "prod", "principalArn": ROLE, "kubernetesGroups": ["system:masters"]},
         400, "InvalidParameterException"),
        ("ListAccessEntries", {"clusterName": "other"}, 404, "ResourceNotFoundException"),
        ("ListNodegroups", {"clusterName": "other"}, 404, "ResourceNotFoundException"),
    ]
    for operation, params, want_status, want_code in cases:
        status, body, parsed = call(front, "eks", operation, params)
        assert (status, parsed["Error"]["Code"]) == (want_status, want_code), body
        declared = [s.name for s in model.operation_model(operation).error_shapes]
        assert want_code in declared
    call(front, "eks", "CreateAccessEntry", {"clusterName": "prod", "principalArn": ROLE})
    status, _, parsed = call(front, "eks", "CreateAccessEntry", {"clusterName": "prod", "principalArn": ROLE})
    assert (status, parsed["Error"]["Code"]) == (409, "ResourceInUseException")


def test_describe_cluster_carries_the_lab_endpoint_ca_and_access_config(front):
    status, body, parsed = call(front, "eks", "DescribeCluster", {"name": "prod"})
    assert_valid("eks", "DescribeCluster", status, body, dict(parsed))
    cluster = parsed["cluster"]
    assert cluster["endpoint"] == "https://127.0.0.1:6443"
    assert cluster["certificateAuthority"] == {"data": "TEFC"}
    assert cluster["accessConfig"] == {"authenticationMode": "API_AND_CONFIG_MAP",
                                       "bootstrapClusterCreatorAdminPermissions": True}
    status, body, parsed = call(front, "eks", "UpdateClusterConfig",
                                {"name": "prod", "accessConfig": {"authenticationMode": "API"}})
    assert_valid("eks", "UpdateClusterConfig", status, body, parsed)
    assert call(front, "eks", "DescribeCluster", {"name": "prod"})[2]["cluster"]["accessConfig"][
        "authenticationMode"] == "API"


def test_cloudtrail_and_iam_simulation_answer_in_their_models(front):
    status, body, parsed = call(front, "cloudtrail", "LookupEvents", {"LookupAttributes": [
        {"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]})
    assert_valid("cloudtrail", "LookupEvents", status, body, parsed)
    assert [e["Username"] for e in parsed["Events"]] == ["admin"]
    status, body, parsed = call(front, "iam", "SimulatePrincipalPolicy", {
        "PolicySourceArn": ROLE, "ActionNames": ["eks:AccessKubernetesApi"],
        "ResourceArns": ["arn:aws:eks:us-east-1:123456789012:cluster/prod"]})
    assert_valid("iam", "SimulatePrincipalPolicy", status, body, parsed)
    assert parsed["EvaluationResults"][0]["EvalDecision"] == "allowed"

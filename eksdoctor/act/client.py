"""The one path through which eksdoctor changes an AWS account: a boto3 session for the --apply commands
that may call exactly APPLY_OPERATIONS (docs/iam-policy-apply.json grants the same list; anything else is
refused before it is sent), and a Kubernetes client with an EKS token minted locally for that identity.

The collectors' read-only path (collect/aws.py) is not used for writes and does not allow them.
"""
from __future__ import annotations

import time

from ..collect import aws as collect_aws
from ..collect.cluster_access import _presigned_token
from ..collect.kube import Endpoint, KubeClient
from ..errors import UserError

READS = frozenset({
    "sts:GetCallerIdentity", "eks:DescribeCluster", "eks:ListAccessEntries", "eks:DescribeAccessEntry",
    "eks:ListAssociatedAccessPolicies", "eks:ListAccessPolicies", "eks:ListNodegroups", "eks:DescribeNodegroup",
    "eks:ListFargateProfiles", "eks:DescribeFargateProfile", "iam:GetRole", "iam:GetUser",
})
WRITES = frozenset({"eks:CreateAccessEntry", "eks:UpdateAccessEntry", "eks:AssociateAccessPolicy", "eks:UpdateClusterConfig"})
APPLY_OPERATIONS = READS | WRITES
MODE_WAIT_SECONDS = 1800


class AwsError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def _audit(model=None, **_) -> None:
    if model is None:
        return
    name = f"{model.service_model.endpoint_prefix}:{model.name}"
    if name not in APPLY_OPERATIONS:
        from botocore.exceptions import BotoCoreError

        class NotAllowed(BotoCoreError):
            fmt = "eksdoctor refused to call {operation}: not one of the operations its --apply commands may make"
        raise NotAllowed(operation=name)


class ApplyClient:
    """AWS calls for grant / migrate / diagnose --fix, as one identity (a profile, or the default chain)."""

    def __init__(self, profile: str | None, region: str | None):
        creds = collect_aws.make_session("apply", profile=profile, region=region, guard=_audit)
        if creds.session is None:
            raise UserError(f"AWS credentials: {creds.problem['message']}")
        self.creds = creds
        self.region = region or creds.session.get_config_variable("region")
        if not self.region:
            raise UserError("no AWS region: give --region (or set AWS_REGION / a profile region)")
        self.calls: list[str] = []  # every operation sent, in order (for the report and the tests)

    def call(self, service: str, operation: str, **params) -> dict:
        try:
            response = collect_aws.invoke(self.creds.client(service, self.region), operation, params)
        except collect_aws.call_errors() as exc:
            record = collect_aws.error_record(exc)
            raise AwsError(record["code"], record["message"]) from None
        self.calls.append(f"{service}:{operation}")
        return response

    def kube(self, cluster: dict) -> KubeClient:
        """A read-write client for the cluster's API server, as this identity (token minted locally)."""
        import base64
        endpoint = cluster.get("endpoint")
        ca = (cluster.get("certificateAuthority") or {}).get("data")
        if not endpoint:
            raise AwsError("NoEndpoint", f"cluster {cluster.get('name')} has no API server endpoint (is it ACTIVE?)")
        token = _presigned_token(self.creds, cluster["name"], self.region)
        if token is None:
            raise AwsError("NoToken", "could not mint an EKS token for these credentials")
        pem = base64.b64decode(ca).decode("ascii") if ca else None
        return KubeClient(Endpoint(endpoint, pem), token, timeout=20.0, read_only=False)

    def wait_for_mode(self, name: str, mode: str, timeout: float = MODE_WAIT_SECONDS, interval: float = 10.0) -> dict:
        """Poll DescribeCluster until the cluster is ACTIVE in `mode` (what `aws eks wait cluster-active` waits for)."""
        deadline = time.monotonic() + timeout
        while True:
            cluster = self.call("eks", "DescribeCluster", name=name)["cluster"]
            if cluster.get("status") == "ACTIVE" and (cluster.get("accessConfig") or {}).get("authenticationMode") == mode:
                return cluster
            if time.monotonic() > deadline:
                raise AwsError("Timeout", f"cluster {name} is not ACTIVE in mode {mode} after {timeout:.0f}s")
            time.sleep(interval)

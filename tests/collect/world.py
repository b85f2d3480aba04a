"""A small world for live runs: moto's AWS server, a cluster made in it, a kubeconfig written by the
real AWS CLI, and a stand-in Kubernetes API server that answers like EKS's (probe, aws-auth,
RBAC lists, SelfSubjectReview, SelfSubjectAccessReview). Import the fixtures into a test module.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def moto():
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    # moto's backends live in the process: forget this module's world before the next one
    urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=10)
    server.stop()


def make_cluster(moto: str, home: Path, name: str = "prod", env: dict | None = None) -> dict:
    """Create the cluster in moto and let `aws eks update-kubeconfig` write ~/.kube/config; returns the env."""
    import boto3
    env = {"HOME": str(home), "AWS_ENDPOINT_URL": moto, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
           "KUBECONFIG": str(home / ".kube" / "config"), "PATH": f"{BIN}:/usr/bin:/bin", **(env or {})}
    kwargs = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="x")
    iam = boto3.client("iam", **kwargs)
    if not any(r["RoleName"] == "cluster-role" for r in iam.list_roles()["Roles"]):
        iam.create_role(RoleName="cluster-role", AssumeRolePolicyDocument="{}")
    eks = boto3.client("eks", **kwargs)
    if name not in eks.list_clusters()["clusters"]:
        eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cluster-role", resourcesVpcConfig={})
    subprocess.run([str(BIN / "aws"), "eks", "update-kubeconfig", "--name", name], env=env, check=True, capture_output=True)
    return env


def point_kubeconfig_at(env: dict, server: str, path: Path) -> dict:
    """A copy of the kubeconfig whose cluster is served by `server` (plain HTTP: no CA)."""
    config = yaml.safe_load(Path(env["KUBECONFIG"]).read_text())
    for entry in config["clusters"]:
        entry["cluster"] = {"server": server}
    path.write_text(yaml.safe_dump(config))
    return {**env, "KUBECONFIG": str(path)}


class KubeApi:
    """The stand-in API server. `mode`: ok, unauthorized (401 to everything) or reviews_unavailable
    (in, but SelfSubjectAccessReviews fail with 503). `allowed`: {(verb, resource, namespace)}."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.allowed: set[tuple[str, str, str | None]] = set()
        self.username = "ci-deployer"
        self.configmap_data = {"mapRoles": f"- rolearn: arn:aws:iam::{ACCOUNT}:role/deployer\n  username: ci-deployer\n"}
        self.tokens: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _status(self, code: int, reason: str, message: str) -> None:
                self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                                  "reason": reason, "code": code})

            def _authenticated(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                api.tokens.append(token)
                if api.mode == "unauthorized" or not token.startswith("k8s-aws-v1."):
                    self._status(401, "Unauthorized", "Unauthorized")
                    return False
                return True

            def do_GET(self):
                if not self._authenticated():
                    return
                if self.path == "/api":
                    self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
                elif self.path == "/version":
                    self._send(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.2-eks-standin"})
                elif self.path == "/api/v1/namespaces/kube-system/configmaps/aws-auth":
                    self._send(200, {"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": api.configmap_data})
                elif self.path.startswith("/apis/rbac.authorization.k8s.io/v1/"):
                    self._send(200, {"kind": "List", "apiVersion": "v1", "items": []})
                else:
                    self._status(404, "NotFound", f"{self.path} not found")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not self._authenticated():
                    return
                if self.path.endswith("/selfsubjectreviews"):
                    self._send(201, {**body, "status": {"userInfo": {"username": api.username, "groups": ["deployers", "system:authenticated"]}}})
                elif self.path.endswith("/selfsubjectaccessreviews"):
                    if api.mode == "reviews_unavailable":
                        self._status(503, "ServiceUnavailable", "the authorizer webhook is unavailable")
                        return
                    attrs = body.get("spec", {}).get("resourceAttributes", {})
                    yes = (attrs.get("verb"), attrs.get("resource"), attrs.get("namespace")) in api.allowed
                    status = {"allowed": yes, **({"reason": 'RBAC: allowed by RoleBinding "deploy/prod"'} if yes else {})}
                    self._send(201, {**body, "status": status})
                else:
                    self._status(404, "NotFound", f"{self.path} not found")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def kube_api():
    api = KubeApi()
    yield api
    api.stop()

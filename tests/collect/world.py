"""Worlds for the collector tests (import what you need: fixtures and helpers): moto's HTTP server for AWS,
Kubernetes API and for STS (they record what they were sent), fake exec plugins, temp HOMEs."""
from __future__ import annotations

import base64
import json
import sys
import textwrap
import subprocess
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent
PYTHON = sys.executable


@pytest.fixture(scope="session")
def moto():
    """One moto server per test run (moto's state is per process, whatever the number of servers)."""
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws_client(moto_url: str, service: str, key: str = "AKIAIOSFODNN7EXAMPLE", secret: str = "x"):
    import boto3
    return boto3.client(service, endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret)


def prod_cluster(moto_url: str) -> dict:
    """The EKS cluster `prod` in us-east-1 (created once, whoever asks first)."""
    eks = aws_client(moto_url, "eks")
    if "prod" not in eks.list_clusters()["clusters"]:
        try:
            aws_client(moto_url, "iam").create_role(RoleName="cluster-role", AssumeRolePolicyDocument="{}")
        except Exception:  # EntityAlreadyExists
            pass
        eks.create_cluster(name="prod", roleArn="arn:aws:iam::123456789012:role/cluster-role", resourcesVpcConfig={})
    return eks.describe_cluster(name="prod")["cluster"]


def iam_user_keys(moto_url: str, name: str) -> tuple[str, str]:
    """Access keys of a moto IAM user: STS then answers arn:aws:iam::123456789012:user/<name>."""
    iam = aws_client(moto_url, "iam")
    try:
        iam.create_user(UserName=name)
    except Exception:  # EntityAlreadyExists
        pass
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


class Recorder:
    """An HTTP server on 127.0.0.1 that records each request and answers with `answer(handler)`."""

    def __init__(self, answer):
        self.requests: list[dict] = []
        self.date_offset = 0.0  # seconds added to the Date header (a server whose clock differs from ours)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append({"method": self.command, "path": self.path,
                                          "headers": [(k.lower(), v) for k, v in self.headers.items()], "body": body})
                status, payload, ctype = answer(self, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def date_time_string(self, timestamp=None):
                return formatdate(time.time() + recorder.date_offset, usegmt=True)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def headers(self, name: str) -> list[str]:
        return [v for r in self.requests for k, v in r["headers"] if k == name.lower()]

    def close(self):
        self.server.shutdown()


UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
                "reason": "Unauthorized", "code": 401}


@pytest.fixture
def kube_api():
    """A Kubernetes API stand-in answering 401 (or `kube_api.status`) to everything."""
    def answer(handler, body):
        status = kube.status
        return status, (UNAUTHORIZED if status == 401 else kube.body), "application/json"
    kube = Recorder(answer)
    kube.status, kube.body = 401, {}
    yield kube
    kube.close()


def sts_xml(arn: str, account: str = "123456789012", user_id: str = "AIDAEXAMPLE") -> bytes:
    return (f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>{arn}</Arn><UserId>{user_id}</UserId><Account>{account}</Account></GetCallerIdentityResult>"
            "</GetCallerIdentityResponse>").encode()


def presigned_token(url: str) -> str:
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def token_url(host_url: str, date: str = "20261123T010204Z", signed: str = "host%3Bx-k8s-aws-id") -> str:
    return (f"{host_url}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=ASIAFAKEKEY123456789%2F20261123%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date={date}"
            f"&X-Amz-Expires=60&X-Amz-SignedHeaders={signed}&X-Amz-Security-Token=IQoJb3JpZ2luFAKEsessionTOKENvalue0123456789"
            "&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")


def fake_plugin(folder: Path, name: str, script: str) -> Path:
    """An executable exec plugin written in Python (absolute interpreter, so PATH does not matter)."""
    path = folder / name
    path.write_text(f"#!{PYTHON}\n" + textwrap.dedent(script))
    path.chmod(0o755)
    return path


def credential_plugin(folder: Path, name: str, token: str, api: str = "client.authentication.k8s.io/v1beta1") -> Path:
    doc = {"kind": "ExecCredential", "apiVersion": api, "spec": {},
           "status": {"expirationTimestamp": "2026-11-23T01:16:04Z", "token": token}}
    return fake_plugin(folder, name, f"import json\nprint(json.dumps({doc!r}))\n")


def write_kubeconfig(path: Path, users: dict, server: str, current: str | None = None, cluster_name: str | None = None) -> Path:
    """One context per user entry, all pointing at `server`; the context and user share the name."""
    names = list(users)
    cluster = cluster_name or "c"
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": current if current is not None else names[0],
           "clusters": [{"name": cluster, "cluster": {"server": server}}],
           "contexts": [{"name": n, "context": {"cluster": cluster, "user": n}} for n in names],
           "users": [{"name": n, "user": u} for n, u in users.items()]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def aws_exec(cluster: str = "prod", region: str = "us-east-1", extra=(), env=()) -> dict:
    return {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["--region", region, "eks", "get-token", "--cluster-name", cluster, *extra, "--output", "json"],
            "env": [{"name": k, "value": v} for k, v in env], "interactiveMode": "IfAvailable"}


def base_env(home: Path, moto_url: str, **extra) -> dict:
    env = {"HOME": str(home), "AWS_ENDPOINT_URL": moto_url, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true", "KUBECONFIG": str(home / ".kube" / "config"),
           "PATH": str(BIN)}  # the venv's aws and python only: no system kubectl (a dispatcher may call servers)
    env.update(extra)
    return env


# --- an EKS-like API server for preflight and the canaries (issue 7) ---------------------------

ACCOUNT = "123456789012"


def make_cluster(moto: str, home: Path, env: dict | None = None) -> dict:
    """Create `prod` in moto and let `aws eks update-kubeconfig` write ~/.kube/config; returns the env."""
    env = {"HOME": str(home), "AWS_ENDPOINT_URL": moto, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
           "KUBECONFIG": str(home / ".kube" / "config"), "PATH": str(BIN), **(env or {})}
    prod_cluster(moto)
    subprocess.run([str(BIN / "aws"), "eks", "update-kubeconfig", "--name", "prod"], env=env, check=True, capture_output=True)
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
def eks_api():
    """The EKS-like stand-in (KubeApi): lets kubectl's token in and answers the Self*Reviews."""
    api = KubeApi()
    yield api
    api.stop()

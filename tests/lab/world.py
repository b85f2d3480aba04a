"""One running lab world for a scenario: moto behind the AWS front, the STS proxy, the Kubernetes
stand-in, IAM principals and keys, the EKS cluster, and a temp HOME whose ~/.aws files and kubeconfigs
were written the way a user makes them (real `aws eks update-kubeconfig`).

Helpers run the real tools in that world: run_kubectl, run_aws, run_eksdoctor, run_shell.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

import boto3
import yaml
from conftest import Run  # tests/conftest.py: exit code, stdout, stderr of a command

from . import faults
from .aws import Front
from .kube import KubeServer, seed_objects
from .latency import Latency
from .kubectl import kubectl_path
from .pki import CA
from .proxy import Proxy
from .scenario import CLUSTER, NODE_ROLE_ARN, PROFILES, REGION, ROLES, Scenario
from .state import ACCOUNT, ClusterState, now

VENV_BIN = Path(sys.executable).parent
ENDPOINT_VARS = {"logs": "CLOUDWATCH_LOGS"}



@functools.cache
def _boto() -> boto3.session.Session:
    """One session for every world (service models are read once), made after the shell's AWS_* are set aside."""
    return boto3.session.Session()
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


def _internal(request, **_) -> None:
    request.headers[faults.ORIGIN_HEADER] = "lab"


class World:
    def __init__(self, scenario: Scenario, tmp: Path, latency: Latency | None = None):
        self.scenario = scenario
        self.latency = latency  # delay and log every client request (bench/latency.py)
        self.tmp = tmp
        self.home = tmp / "home"
        self.kubeconfig = self.home / ".kube" / "config"
        self.admin_kubeconfig = self.home / ".kube" / "admin.yaml"
        self.keys: dict[str, tuple[str, str]] = {}
        self.started_in: float | None = None
        self.timings: dict[str, float] = {}
        self._stops: list = []

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> "World":
        t0 = time.perf_counter()
        # moto runs in this process: the shell's AWS settings (a profile, endpoints) must not reach it
        self._saved_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AWS_")}
        self._stops.append(lambda: os.environ.update(self._saved_env))
        try:
            for phase in (self._start_servers, self._provision_aws, self._seed_cluster, self._write_aws_files,
                          self._write_kubeconfigs):
                start = time.perf_counter()
                phase()
                self.timings[phase.__name__.strip("_")] = time.perf_counter() - start
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - t0
        return self

    def _seed_cluster(self) -> None:
        seed_objects(self.cluster, self.scenario.rbac, self.scenario.aws_auth)

    def stop(self) -> None:
        while self._stops:
            try:
                self._stops.pop()()
            except Exception:   # keep stopping the rest
                pass

    def _start_servers(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        s = self.scenario
        self.home.mkdir(parents=True)
        self.ca = CA(self.tmp)
        self.cluster = ClusterState(name=CLUSTER, region=REGION, auth_mode=s.auth_mode, bootstrap_admin=True,
                                    creator_arn=f"arn:aws:iam::{ACCOUNT}:user/admin")
        self.switch = faults.Switch()
        self._stops.append(self.switch.released.set)   # hung requests return before the servers stop
        self.front = Front(DomainDispatcherApplication(create_backend_app), self.cluster, self._resolve_principal,
                           self.switch)
        class Quiet(MotoRequestHandler):
            def log_request(self, *args, **kwargs):   # request lines carry tokens; keep them off the output
                pass

        app = self.latency.wsgi(self.front) if self.latency else self.front
        http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._stops.append(lambda: (http.shutdown(), http.server_close(), thread.join(5)))
        self.aws_url = f"http://127.0.0.1:{http.server_port}"
        self.proxy = Proxy(self.ca, ("127.0.0.1", http.server_port)).start()
        self._stops.append(self.proxy.stop)
        self.kube = KubeServer(self.cluster, self.ca, ("127.0.0.1", http.server_port), switch=self.switch,
                               latency=self.latency).start()
        self._stops.append(self.kube.stop)
        self.cluster.endpoint = self.kube.url
        self.cluster.ca_data = base64.b64encode(self.ca.pem).decode()

    # -- AWS side -----------------------------------------------------------------------------------
    def lab_client(self, service: str):
        """A client for setting the world up (moto does not check these keys; the front's STS would).
        Its requests are the lab's own: never delayed."""
        client = _boto().client(service, region_name=REGION, endpoint_url=self.aws_url,
                                aws_access_key_id="AKIALABSETUP", aws_secret_access_key="lab")
        client.meta.events.register("before-send", _internal)
        return client

    def _resolve_principal(self, arn: str) -> str | None:
        """What EKS does on CreateAccessEntry: the principal's unique ID, if that exact ARN exists."""
        kind, _, rest = arn.split(":", 5)[5].partition("/")
        iam = self._iam
        try:
            if kind == "role":
                role = iam.get_role(RoleName=rest.rsplit("/", 1)[-1])["Role"]
                return role["RoleId"] if role["Arn"] == arn else None
            if kind == "user":
                user = iam.get_user(UserName=rest.rsplit("/", 1)[-1])["User"]
                return user["UserId"] if user["Arn"] == arn else None
        except iam.exceptions.NoSuchEntityException:
            return None
        return None

    def _provision_aws(self) -> None:
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(f"{self.aws_url}/moto-api/reset", method="POST")).read()
        self._iam = iam = self.lab_client("iam")
        for user in ("admin", "alice"):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            self.keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        for role in ROLES:
            iam.create_role(RoleName=role.name, Path=role.path, AssumeRolePolicyDocument=TRUST)
        eks = self.lab_client("eks")
        vpc = {"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]}
        cluster = eks.create_cluster(name=CLUSTER, version="1.35", roleArn=self._role_arn("eks-cluster"),
                                     resourcesVpcConfig=vpc)["cluster"]
        if self.scenario.nodegroup:   # moto's nodegroups load EC2 (about a second): only where a scenario needs one
            eks.create_nodegroup(clusterName=CLUSTER, nodegroupName="ng-1", nodeRole=NODE_ROLE_ARN,
                                 subnets=vpc["subnetIds"])
        self._record_create_cluster(cluster)
        if self.scenario.auth_mode != "CONFIG_MAP":
            self._add_entry(eks, self.cluster.creator_arn, [("AmazonEKSClusterAdminPolicy", "cluster")])
            self._add_entry(eks, NODE_ROLE_ARN, [], entry_type="EC2_LINUX")
        for e in self.scenario.entries:
            self._add_entry(eks, e.principal, list(e.policies), groups=e.groups, username=e.username)
        if self.scenario.authenticator_logs:   # EKS makes the log group when logging is turned on
            self.lab_client("logs").create_log_group(logGroupName=f"/aws/eks/{CLUSTER}/cluster")
            self.cluster.logging = [{"types": ["authenticator"], "enabled": True},
                                    {"types": ["api", "audit", "controllerManager", "scheduler"], "enabled": False}]
        self._logs = self.lab_client("logs")
        self._log_stream: str | None = None
        self.cluster.log_sink = self._ship_log

    def _ship_log(self, line: str) -> None:
        """What EKS does with control-plane logs: the authenticator's lines go to CloudWatch Logs."""
        group = f"/aws/eks/{CLUSTER}/cluster"
        with self.cluster.lock:
            if self._log_stream is None:
                self._log_stream = f"authenticator-{uuid.uuid4().hex}"
                try:
                    self._logs.create_log_group(logGroupName=group)
                except self._logs.exceptions.ResourceAlreadyExistsException:
                    pass
                self._logs.create_log_stream(logGroupName=group, logStreamName=self._log_stream)
            self._logs.put_log_events(logGroupName=group, logStreamName=self._log_stream, logEvents=[
                {"timestamp": int(time.time() * 1000), "message": line}])

    def _role_arn(self, name: str) -> str:
        return next(r.arn for r in ROLES if r.name == name)

    def _add_entry(self, eks, principal, policies, groups=(), username=None, entry_type=None) -> None:
        kwargs = {"kubernetesGroups": list(groups)} if groups else {}
        if username:
            kwargs["username"] = username
        if entry_type:
            kwargs["type"] = entry_type
        eks.create_access_entry(clusterName=CLUSTER, principalArn=principal, **kwargs)
        for policy, scope in policies:
            access_scope = {"type": "cluster"} if scope == "cluster" else {"type": "namespace", "namespaces": [scope]}
            eks.associate_access_policy(clusterName=CLUSTER, principalArn=principal,
                                        policyArn=POLICY_PREFIX + policy, accessScope=access_scope)

    def _record_create_cluster(self, cluster: dict) -> None:
        created = now() - dt.timedelta(days=30)
        user = self._iam.get_user(UserName="admin")["User"]
        detail = {
            "eventVersion": "1.09", "eventTime": f"{created:%Y-%m-%dT%H:%M:%SZ}", "eventSource": "eks.amazonaws.com",
            "eventName": "CreateCluster", "awsRegion": REGION, "sourceIPAddress": "203.0.113.10",
            "userAgent": "aws-cli/2.22.0", "eventID": str(uuid.uuid4()), "readOnly": False,
            "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
            "userIdentity": {"type": "IAMUser", "principalId": user["UserId"], "arn": user["Arn"],
                             "accountId": ACCOUNT, "accessKeyId": self.keys["admin"][0], "userName": "admin"},
            "requestParameters": {"name": CLUSTER, "version": "1.35", "roleArn": cluster["roleArn"],
                                  "accessConfig": {"authenticationMode": self.scenario.auth_mode,
                                                   "bootstrapClusterCreatorAdminPermissions": True}},
            "responseElements": {"cluster": {"name": CLUSTER, "arn": cluster["arn"], "status": "CREATING"}},
        }
        self.cluster.trail.append({
            "EventId": detail["eventID"], "EventName": "CreateCluster", "ReadOnly": "false",
            "AccessKeyId": self.keys["admin"][0], "EventTime": created, "EventSource": "eks.amazonaws.com",
            "Username": "admin", "Resources": [{"ResourceType": "AWS::EKS::Cluster", "ResourceName": CLUSTER}],
            "CloudTrailEvent": json.dumps(detail)})

    # -- the user's machine -------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """What the user's shell has: a HOME, the tools on PATH, and the lab's endpoints."""
        return {
            "HOME": str(self.home), "PATH": f"{kubectl_path().parent}:{VENV_BIN}:/usr/bin:/bin", "LANG": "C.UTF-8",
            "KUBECONFIG": str(self.kubeconfig),
            "AWS_CONFIG_FILE": str(self.home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / ".aws" / "credentials"),
            "AWS_ENDPOINT_URL": self.aws_url,
            # STS keeps its real host (tokens must name it); the proxy takes it to the lab.
            "AWS_ENDPOINT_URL_STS": f"https://sts.{REGION}.amazonaws.com",
            "HTTPS_PROXY": self.proxy.url, "NO_PROXY": "127.0.0.1,localhost",
            "AWS_CA_BUNDLE": str(self.ca.path), "AWS_EC2_METADATA_DISABLED": "true",
            "TMPDIR": str(self.tmp),
        }

    def _write_aws_files(self) -> None:
        config, creds = [], []
        for p in PROFILES:
            config.append(f"[{'default' if p.name == 'default' else 'profile ' + p.name}]\nregion = {REGION}\noutput = json\n")
            if p.user:
                key, secret = self.keys[p.user]
                creds.append(f"[{p.name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
            if p.role:
                config[-1] += (f"role_arn = {self._role_arn(p.role)}\nsource_profile = {p.source}\n"
                               f"role_session_name = {p.session_name}\n")
        (self.home / ".aws").mkdir()
        (self.home / ".aws" / "config").write_text("\n".join(config))
        (self.home / ".aws" / "credentials").write_text("\n".join(creds))

    def _write_kubeconfigs(self) -> None:
        k = self.scenario.kubeconfig
        user_args = ["eks", "update-kubeconfig", "--name", CLUSTER]
        if k.profile:
            user_args += ["--profile", k.profile]
        if k.role:
            user_args += ["--role-arn", self._role_arn(k.role)]
        if k.alias:
            user_args += ["--alias", k.alias]
        admin_args = ["eks", "update-kubeconfig", "--name", CLUSTER, "--profile", "admin", "--alias", "admin",
                      "--kubeconfig", str(self.admin_kubeconfig)]
        procs = [self._popen(["aws", *args]) for args in (user_args, admin_args)]
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            if proc.returncode:
                raise RuntimeError(f"update-kubeconfig failed: {err}")
        if k.exec_cluster_name or k.exec_api_version or k.static_token_age_min is not None:
            self._edit_kubeconfig(k)

    def _edit_kubeconfig(self, k) -> None:
        doc = yaml.safe_load(self.kubeconfig.read_text())
        user = doc["users"][0]["user"]
        if k.exec_cluster_name:
            args = user["exec"]["args"]
            args[args.index("--cluster-name") + 1] = k.exec_cluster_name
        if k.exec_api_version:
            user["exec"]["apiVersion"] = k.exec_api_version
        if k.static_token_age_min is not None:
            doc["users"][0]["user"] = {"token": self.mint_token("alice", minutes_ago=k.static_token_age_min)}
        self.kubeconfig.write_text(yaml.safe_dump(doc, sort_keys=False))

    def mint_token(self, user: str, *, minutes_ago: int = 0, cluster: str = CLUSTER) -> str:
        """A token as `aws eks get-token` makes it (the CLI's own TokenGenerator), signed `minutes_ago`."""
        import botocore.auth
        import botocore.session
        from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator

        key, secret = self.keys[user]
        signed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
            session = botocore.session.Session()
            session.set_credentials(key, secret)
            sts = STSClientFactory(session).get_sts_client(region_name=REGION)
            return TokenGenerator(sts).get_token(cluster)

    # -- faults (faults.py) ---------------------------------------------------------------------------
    def fault_env(self, target: str, kind: str) -> dict[str, str]:
        """The env that makes `target` refuse connections or fail DNS: an endpoint on a closed port or
        under .invalid (RFC 6761: never resolves), for AWS services, or a kubeconfig whose server is one."""
        import socket
        if kind == "refused":
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                host = f"127.0.0.1:{s.getsockname()[1]}"   # closed again: nothing listens there
        else:
            host = f"{target}.lab.invalid:443"
        if target != "kubernetes":   # botocore names the variable after the service id ("CloudWatch Logs")
            return {f"AWS_ENDPOINT_URL_{ENDPOINT_VARS.get(target, target.upper())}": f"http://{host}"}
        doc = yaml.safe_load(self.kubeconfig.read_text())
        for cluster in doc["clusters"]:
            cluster["cluster"]["server"] = f"https://{host}"
        path = self.tmp / f"kubeconfig-{kind}"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return {"KUBECONFIG": str(path)}

    # -- running things -----------------------------------------------------------------------------
    def _env(self, admin: bool, extra: dict | None) -> dict[str, str]:
        env = self.env
        if admin:
            env.update(KUBECONFIG=str(self.admin_kubeconfig), AWS_PROFILE="admin")
        env.update(extra or {})
        return env

    def _popen(self, argv, admin: bool = False, env: dict | None = None):
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self._env(admin, env), cwd=self.tmp)

    def run(self, argv: list[str], *, admin: bool = False, env: dict | None = None, timeout: float = 120) -> Run:
        proc = subprocess.run(argv, capture_output=True, text=True, env=self._env(admin, env), cwd=self.tmp,
                              timeout=timeout)
        return Run(proc.returncode, proc.stdout, proc.stderr)


def run_kubectl(world: World, *args: str, admin: bool = False) -> Run:
    return world.run([str(kubectl_path()), *args], admin=admin)


def run_aws(world: World, *args: str, admin: bool = False) -> Run:
    return world.run([str(VENV_BIN / "aws"), *args], admin=admin)


def run_eksdoctor(world: World, *args: str, env: dict | None = None, timeout: float = 120) -> Run:
    return world.run([str(VENV_BIN / "eksdoctor"), *args], env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
                     timeout=timeout)


def run_shell(world: World, command: str, *, admin: bool = False) -> Run:
    """A fix command as printed (a POSIX shell line), run in the world's work directory."""
    return world.run(["/bin/sh", "-c", command], admin=admin)

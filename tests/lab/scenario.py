"""Lab scenarios as data: the cluster, its authentication mode, access entries, aws-auth, RBAC, and how
the user's AWS profiles and kubeconfig were made. `world.World` turns one into running servers and files.

Every scenario shares one cast: cluster `prod` (us-east-1) created by IAM user `admin`; IAM user `alice`
(profile `default`); role `dev` (profile `dev`, assumed from `default` with session name `alice`); an
IAM Identity Center role with its aws-reserved path (profile `sso`); node role `eks-node`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .state import ACCOUNT

CLUSTER = "prod"
REGION = "us-east-1"
SSO_ROLE = "AWSReservedSSO_Admin_0123456789abcdef"
SSO_PATH = f"/aws-reserved/sso.amazonaws.com/{REGION}/"
NODE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/eks-node"
VIEW = "AmazonEKSViewPolicy"


@dataclass(frozen=True)
class Role:
    name: str
    path: str = "/"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role{self.path}{self.name}"


@dataclass(frozen=True)
class Profile:
    name: str
    user: str | None = None          # static access keys of this IAM user
    role: str | None = None          # or: assume this role (role_arn + source_profile)
    source: str = "default"
    session_name: str = "alice"


@dataclass(frozen=True)
class Kubeconfig:
    """`aws eks update-kubeconfig` flags, then what the user changed by hand afterwards."""
    profile: str | None = None
    role: str | None = None                  # --role-arn, by role name
    alias: str | None = None
    exec_cluster_name: str | None = None     # --cluster-name edited in the exec args
    exec_api_version: str | None = None      # apiVersion edited (an old CLI wrote v1alpha1)
    static_token_age_min: int | None = None  # exec replaced by a pasted token minted this long ago


@dataclass(frozen=True)
class Entry:
    principal: str                            # IAM ARN (full path for roles)
    policies: tuple[tuple[str, str], ...] = ()  # (policy name, "cluster" or a namespace)
    groups: tuple[str, ...] = ()
    username: str | None = None


ROLES = (Role("dev"), Role(SSO_ROLE, SSO_PATH), Role("eks-node"), Role("eks-cluster"))
PROFILES = (Profile("default", user="alice"), Profile("admin", user="admin"),
            Profile("dev", role="dev"), Profile("sso", role=SSO_ROLE))


def role_arn(name: str) -> str:
    return next(r.arn for r in ROLES if r.name == name)


NODE_MAPPING = f"""- rolearn: {NODE_ROLE_ARN}
  username: system:node:{{{{EC2PrivateDNSName}}}}
  groups:
    - system:bootstrappers
    - system:nodes
"""


def map_roles(*rows: tuple[str, str, tuple[str, ...]]) -> dict:
    """aws-auth data with the node role plus (rolearn, username, groups) rows, as a person writes it."""
    text = NODE_MAPPING + "".join(
        f"- rolearn: {arn}\n  username: {user}\n  groups:\n" + "".join(f"    - {g}\n" for g in groups)
        for arn, user, groups in rows)
    return {"mapRoles": text}


DEVS_CAN_EDIT = {"clusterrolebindings": [{
    "metadata": {"name": "devs-edit"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}]}]}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    auth_mode: str = "API_AND_CONFIG_MAP"
    entries: tuple[Entry, ...] = ()
    aws_auth: dict | None = field(default_factory=lambda: map_roles())
    rbac: dict = field(default_factory=dict)
    kubeconfig: Kubeconfig = Kubeconfig(profile="dev")
    authenticator_logs: bool = False  # control-plane log type `authenticator` enabled (CloudWatch Logs)
    nodegroup: bool = False          # a managed node group `ng-1` with role eks-node


DEV_ARN = role_arn("dev")
SSO_ARN = role_arn(SSO_ROLE)

SCENARIOS = {s.name: s for s in [
    Scenario("healthy", "role dev mapped in aws-auth to group devs, which may edit",
             aws_auth=map_roles((DEV_ARN, "dev:{{SessionName}}", ("devs",))), rbac=DEVS_CAN_EDIT,
             kubeconfig=Kubeconfig(profile="dev", alias="prod")),
    Scenario("unmapped_role", "kubeconfig assumes role dev (--role-arn), which nothing maps",
             kubeconfig=Kubeconfig(role="dev"), authenticator_logs=True),
    Scenario("sso_role_path", "IAM Identity Center role mapped in aws-auth with its aws-reserved path",
             auth_mode="CONFIG_MAP", kubeconfig=Kubeconfig(profile="sso"),
             aws_auth=map_roles((SSO_ARN, "sso-admin:{{SessionName}}", ("system:masters",)))),
    Scenario("assumed_role_rolearn", "aws-auth rolearn is the assumed-role ARN of a session, not the role",
             aws_auth=map_roles((f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice", "dev", ("devs",))),
             rbac=DEVS_CAN_EDIT),
    Scenario("aws_auth_yaml_error", "one mis-indented line in mapRoles drops every role mapping",
             aws_auth={"mapRoles": map_roles((DEV_ARN, "dev", ("devs",)))["mapRoles"].replace(
                 "  username: dev\n  groups:", "  username: dev\n   groups:")},
             rbac=DEVS_CAN_EDIT),
    Scenario("access_entry_no_policy", "mode API; role dev has an access entry with no policy and no groups",
             auth_mode="API", aws_auth=None, entries=(Entry(DEV_ARN),)),
    Scenario("wrong_cluster_name", "the exec args ask get-token for cluster prod-eu, the server is prod",
             aws_auth=map_roles((DEV_ARN, "dev", ("devs",))), rbac=DEVS_CAN_EDIT,
             kubeconfig=Kubeconfig(profile="dev", exec_cluster_name="prod-eu"), authenticator_logs=True),
    Scenario("exec_v1alpha1", "kubeconfig written by an old AWS CLI: client.authentication.k8s.io/v1alpha1",
             aws_auth=map_roles((DEV_ARN, "dev", ("devs",))), rbac=DEVS_CAN_EDIT,
             kubeconfig=Kubeconfig(profile="dev", exec_api_version="client.authentication.k8s.io/v1alpha1")),
    Scenario("expired_token", "a token pasted into the kubeconfig 20 minutes ago (alice is mapped)",
             aws_auth={**map_roles(), "mapUsers": f"- userarn: arn:aws:iam::{ACCOUNT}:user/alice\n"
                                                  "  username: alice\n  groups:\n    - devs\n"},
             rbac=DEVS_CAN_EDIT, kubeconfig=Kubeconfig(static_token_age_min=20)),
]}

"""The lab cluster's server-side state, shared by the AWS front (EKS API) and the Kubernetes stand-in.

It plays the role of the EKS control plane's own records: access entries as EKS stores them (with the
principal ID resolved at creation), the authentication mode, and the objects inside the cluster.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

ACCOUNT = "123456789012"   # moto's default account


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class AccessEntry:
    principal_arn: str
    principal_id: str          # AROA…/AIDA…: EKS matches on it, not on the ARN
    username: str
    groups: list[str] = field(default_factory=list)
    type: str = "STANDARD"
    policies: dict[str, dict] = field(default_factory=dict)  # policyArn -> {"accessScope": …, "associatedAt": …}
    created_at: dt.datetime = field(default_factory=now)
    modified_at: dt.datetime = field(default_factory=now)
    uid: str = "0"


@dataclass
class ClusterState:
    name: str
    region: str
    auth_mode: str                       # CONFIG_MAP | API_AND_CONFIG_MAP | API
    bootstrap_admin: bool
    creator_arn: str                     # IAM ARN with path, as CloudTrail records it
    account: str = ACCOUNT
    endpoint: str = ""                   # the stand-in's https URL
    ca_data: str = ""                    # base64 of the lab CA PEM
    logging: list[dict] = field(default_factory=lambda: [{"types": ["api", "audit", "authenticator",
                                                                     "controllerManager", "scheduler"], "enabled": False}])
    vpc: dict = field(default_factory=lambda: {"endpointPublicAccess": True, "endpointPrivateAccess": False,
                                               "publicAccessCidrs": ["0.0.0.0/0"]})
    iam_denied_actions: set[str] = field(default_factory=set)   # what SimulatePrincipalPolicy denies
    sso_role_match: bool = False         # authenticator feature gate SSORoleMatch (off upstream by default)
    access_entries: dict[str, AccessEntry] = field(default_factory=dict)   # by principal ARN
    objects: dict[str, dict[tuple[str, str], dict]] = field(default_factory=dict)  # resource -> (ns, name) -> obj
    trail: list[dict] = field(default_factory=list)      # CloudTrail events (newest last)
    authenticator_log: list[str] = field(default_factory=list)
    log_sink: object = None              # called with each authenticator line while that log type is enabled
    lock: threading.RLock = field(default_factory=threading.RLock)
    _version: int = 1000

    @property
    def arn(self) -> str:
        return f"arn:aws:eks:{self.region}:{self.account}:cluster/{self.name}"

    @property
    def authenticator_logging(self) -> bool:
        return any(e.get("enabled") and "authenticator" in e.get("types", []) for e in self.logging)

    def next_version(self) -> str:
        with self.lock:
            self._version += 1
            return str(self._version)

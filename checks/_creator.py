"""Shared by the creator checks: who else can still grant access, and the break-glass plan."""
from __future__ import annotations

from eksdoctor.findings import IAM_ADMIN, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.awsauth import effective
from eksdoctor.model.evidence import Target
from eksdoctor.model.identity import ClusterEvidence, Principal

from ._server import entry_arn, node_like


def human_grants(ev: ClusterEvidence) -> tuple[list[str], bool]:
    """Principals other than nodes and the creator that are mapped, and whether the evidence is complete."""
    found: list[str] = []
    complete = True
    if ev.mode != "API":
        if ev.aws_auth is not None:
            roles, users, _ = effective(ev.aws_auth)
            found += [m.arn for m in roles + users if not node_like(m.groups, m.username)]
            found += [f"account {a} (mapAccounts)" for a in ev.aws_auth.accounts]
        elif ev.aws_auth_state != "absent":
            complete = False
    if ev.mode != "CONFIG_MAP":
        if ev.entries is not None and ev.entries.readable:
            creator = arns.strip_path(ev.creator.arn).casefold() if ev.creator else ""
            found += [e.principal_arn for e in ev.entries.entries
                      if e.effective_type == "STANDARD" and arns.strip_path(e.principal_arn).casefold() != creator]
        elif ev.mode is not None:
            complete = False
    return found, complete


def admins(ev: ClusterEvidence) -> list[str]:
    """Mapped principals with cluster-admin power (system:masters or AmazonEKSClusterAdminPolicy)."""
    out = []
    if ev.aws_auth is not None and ev.mode != "API":
        roles, users, _ = effective(ev.aws_auth)
        out += [m.arn for m in roles + users if "system:masters" in m.groups]
    if ev.entries is not None and ev.mode != "CONFIG_MAP":
        out += [e.principal_arn for e in ev.entries.entries
                if any(p.name == fixes.CLUSTER_ADMIN_POLICY and p.scope.type == "cluster" for p in e.policies or ())]
    return out


def break_glass(t: Target, me: Principal) -> tuple[FixStep, ...]:
    """Regain admin without any working Kubernetes identity: switch the mode (one-way) if needed,
    then an access entry with AmazonEKSClusterAdminPolicy for the principal running it."""
    steps = list(fixes.switch_mode(t)) if not uses_entries(t.auth_mode) else []
    arn = entry_arn(me)
    steps.append(FixStep(fixes.create_access_entry(t, arn), IAM_ADMIN,
                         "needs only IAM permissions (eks:CreateAccessEntry), not a working cluster identity"))
    steps.append(FixStep(fixes.associate_access_policy(t, arn, fixes.CLUSTER_ADMIN_POLICY), IAM_ADMIN,
                         "cluster-admin through EKS, to repair aws-auth and map everyone else"))
    return tuple(steps)

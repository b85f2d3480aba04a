"""Shared by aws_auth_overwritten, node_role_unmapped and fargate_role_missing: does each node and
Fargate pod-execution role still authenticate as a node? Asked of the model with a node-like session."""
from __future__ import annotations

from dataclasses import dataclass

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, passed, skipped, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.evidence import cluster_evidence, explain_for, node_roles, target
from eksdoctor.model.identity import Explanation

INSTANCE_SESSION = "i-0123456789abcdef0"
FARGATE_SESSION = "fargate-ip-10-0-0-1.ec2.internal"
NODE_GROUPS = ("system:bootstrappers", "system:nodes")


@dataclass(frozen=True)
class NodeRole:
    kind: str  # nodegroup, windows nodegroup, fargate
    owner: str  # nodegroup or Fargate profile name
    role_arn: str
    pointer: str
    x: Explanation

    @property
    def fargate(self) -> bool:
        return self.kind == "fargate"

    @property
    def mapped(self) -> bool:
        if self.x.matched_by == "access entry" and self.x.entry is not None and not self.x.entry.described:
            return True  # listed but not described (diagnose without --all): EKS made it with the node group
        if not self.x.authenticated or "system:nodes" not in self.x.groups:
            return False
        return self.kind != "windows nodegroup" or self.x.matched_by == "access entry" or "eks:kube-proxy-windows" in self.x.groups

    @property
    def in_aws_auth(self) -> bool:
        return self.x.configmap is not None and self.x.configmap.matched


def node_status(bundle: Bundle) -> list[NodeRole]:
    out = []
    for kind, owner, role, pointer in node_roles(bundle):
        parsed = arns.try_parse(role)
        if parsed is None:
            continue
        session = FARGATE_SESSION if kind == "fargate" else INSTANCE_SESSION
        out.append(NodeRole(kind, owner, role, pointer, explain_for(bundle, arns.assumed_role_arn(parsed, session))))
    return out


LISTED = {False: ("eks:ListNodegroups", "eks:DescribeNodegroup", "nodegroupName"),
          True: ("eks:ListFargateProfiles", "eks:DescribeFargateProfile", "fargateProfileName")}


def unread_compute(bundle: Bundle, fargate: bool | None = None) -> str:
    """Why the node groups (fargate=False), Fargate profiles (True) or both (None) are not all known: a
    listing or a description failed; '' when every one listed was read (an empty list is a full answer:
    no managed compute, nothing to map)."""
    for kind in ((False, True) if fargate is None else (fargate,)):
        listing, description, name = LISTED[kind]
        calls = bundle.aws(listing)
        if calls and not any(c.ok for c in calls):
            return f"{listing} failed ({calls[-1].error_code or 'no answer'})"
        failed = [c for c in bundle.aws(description) if not c.ok]
        if failed:
            return f"{description} of {failed[0].request.get(name) or '?'} failed ({failed[0].error_code or 'no answer'})"
    return ""


def evaluable(bundle: Bundle, fargate: bool | None = None) -> str:
    """'' when the evidence can say whether node roles are mapped; else why not."""
    unread = unread_compute(bundle, fargate)
    if unread:
        return unread
    ev = cluster_evidence(bundle)
    if ev.mode != "API" and ev.aws_auth is None and ev.aws_auth_state != "absent":
        return f"aws-auth is {ev.aws_auth_state}"
    if ev.mode != "CONFIG_MAP" and (ev.entries is None or not ev.entries.readable):
        return ev.entries_note
    return ""


def explained_elsewhere(bundle: Bundle) -> str:
    """Whole-ConfigMap causes that already explain missing node roles."""
    ev = cluster_evidence(bundle)
    if ev.mode != "API" and ev.aws_auth_state == "absent":
        return "aws-auth does not exist (aws_auth_deleted)"
    if ev.mode != "API" and ev.aws_auth is not None and "mapRoles" in ev.aws_auth.broken_sections():
        return "mapRoles does not parse (aws_auth_yaml_broken)"
    return ""


def report(bundle: Bundle, *, fargate: bool, overwritten: bool) -> Result:
    """node_role_unmapped / fargate_role_missing: the roles of one kind that do not authenticate as nodes,
    unless a whole-ConfigMap cause (deleted, broken, overwritten) already explains them."""
    if evaluable(bundle, fargate):
        return skipped(f"cannot tell: {evaluable(bundle, fargate)}")
    kind = "Fargate pod execution role" if fargate else "node group role"
    roles = [r for r in node_status(bundle) if r.fargate == fargate]
    bad = [r for r in roles if not r.mapped]
    auth = cluster_evidence(bundle).aws_auth
    extra = [] if fargate or auth is None else [f"{m.where} {m.arn} is an instance profile ARN: the role's ARN is needed"
                                                for m in auth.roles if ":instance-profile/" in m.arn]
    elsewhere = explained_elsewhere(bundle) or ("aws-auth was overwritten (aws_auth_overwritten)" if overwritten else "")
    if elsewhere and bad:
        return passed(f"{kind}s are missing because {elsewhere}")
    if not roles and not extra:
        return passed(f"no {'Fargate profile' if fargate else 'managed node group'}, so no {kind} to map")
    if not bad and not extra:
        return passed(f"every {kind} authenticates as a node")
    detail = "\n".join([describe(r) for r in bad] + extra)
    if fargate:
        detail += "\nFargate reports: Pod execution role is not found in auth config."
    return warned(f"{len(bad) + len(extra)} {kind} mapping(s) are missing or wrong", detail,
                  evidence=[r.pointer for r in bad], fix=remap(bundle, bad))


def remap(bundle: Bundle, roles: list[NodeRole]) -> tuple[FixStep, ...]:
    """Access entries of the node types where the mode allows, else the aws-auth rows EKS writes."""
    t = target(bundle)
    steps = []
    for r in roles:
        if uses_entries(t.auth_mode):
            kind = "FARGATE_LINUX" if r.fargate else "EC2_WINDOWS" if r.kind.startswith("windows") else "EC2_LINUX"
            steps.append(FixStep(fixes.create_access_entry(t, r.role_arn, entry_type=kind), CLUSTER_ADMIN,
                                 f"lets the {r.kind} {r.owner} register (the full ARN, path included)"))
        else:
            username = "system:node:{{SessionName}}" if r.fargate else "system:node:{{EC2PrivateDNSName}}"
            groups = NODE_GROUPS + (("system:node-proxier",) if r.fargate else ("eks:kube-proxy-windows",) if r.kind.startswith("windows") else ())
            steps.append(FixStep(fixes.eksctl_create_mapping(t, arns.strip_path(r.role_arn), username, groups), CLUSTER_ADMIN,
                                 f"lets the {r.kind} {r.owner} register again (aws-auth wants the path-less ARN)"))
    return tuple(steps)


def describe(r: NodeRole) -> str:
    if not r.x.authenticated:
        return f"{r.kind} {r.owner}: role {r.role_arn} is not mapped"
    return f"{r.kind} {r.owner}: role {r.role_arn} maps to {r.x.username} in {', '.join(r.x.groups) or 'no groups'} ({r.x.matched_by})"

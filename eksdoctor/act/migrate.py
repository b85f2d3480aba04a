"""The migration from aws-auth to access entries (the seed's procedure), planned and verified.

One entry per principal aws-auth maps: node roles → EC2_LINUX / EC2_WINDOWS, pod-execution roles →
FARGATE_LINUX, system:masters → AmazonEKSClusterAdminPolicy at cluster scope, other groups → kubernetesGroups,
usernames kept where access entries allow them, full ARNs (paths) from IAM. Pure: a Snapshot in.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import arn as arns
from ..model.awsauth import Mapping, effective, parse_data
from ..model.identity import MASTERS, ClusterEvidence
from ..model.lint import arn_problems, is_node
from . import awsauth_edit as edits
from .guard import session_of
from .plan import (CreateEntry, EditAwsAuth, Plan, Snapshot, SwitchMode, UpdateEntry, entry_username_problem,
                   keep_caller_steps, policy_steps, reserved)

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
NODE_GROUPS = ("system:bootstrappers", "system:nodes", "system:node-proxier", "eks:kube-proxy-windows")
TARGET_MODE = "API_AND_CONFIG_MAP"


@dataclass(frozen=True)
class Row:
    """One aws-auth row and the access entry that replaces it."""

    where: str
    arn: str  # as written in aws-auth
    username: str
    groups: tuple[str, ...]
    entry_arn: str = ""  # full ARN; "" when the row is not migrated
    entry_type: str = "STANDARD"
    entry_groups: tuple[str, ...] = ()
    entry_username: str | None = None
    admin: bool = False
    skipped: str = ""  # why it is not migrated

    @property
    def node(self) -> bool:
        return self.entry_type != "STANDARD"

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def entry_type(m: Mapping, snap: Snapshot) -> str:
    role = arns.strip_path(m.arn).casefold()
    kinds = {kind for kind, _, arn in snap.node_roles if arns.strip_path(arn).casefold() == role}
    if "fargate" in kinds or "system:node-proxier" in m.groups or "{{SessionName}}" in m.username:
        return "FARGATE_LINUX"
    if "windows nodegroup" in kinds or "eks:kube-proxy-windows" in m.groups:
        return "EC2_WINDOWS"
    return "EC2_LINUX"


def _full_arn(m: Mapping, snap: Snapshot) -> tuple[str, str]:
    """(full ARN, why not) for the entry replacing this row."""
    parsed = arns.try_parse(m.arn)
    kind = parsed.resource_type if parsed else ""
    if parsed is None or parsed.service != "iam" or kind not in ("role", "user"):
        return "", f"{m.arn} is not an IAM role or user ARN"
    if parsed.account != snap.target.account:
        return m.arn, ""
    found = next((p for p in snap.iam if p.kind == kind and p.name.casefold() == parsed.name.casefold()), None)
    if found is None:
        return "", f"iam:Get{kind.title()} {parsed.name} could not be read: its full ARN (path) is unknown"
    if not found.exists:
        return "", f"there is no IAM {kind} {parsed.name}: the row maps nobody"
    return found.arn, ""


def row_for(m: Mapping, snap: Snapshot) -> Row:
    base = dict(where=m.where, arn=m.arn, username=m.username, groups=m.groups)
    if not m.arn:
        return Row(**base, skipped="an sso: row names no principal; map the role itself")
    broken = [msg for severity, msg in arn_problems(m) if severity == "error"]
    if broken:
        return Row(**base, skipped=f"this row never matches anyone ({broken[0]})")
    full, why = _full_arn(m, snap)
    if not full:
        return Row(**base, skipped=why)
    if "/aws-service-role/" in full:
        return Row(**base, skipped=f"{full} is a service-linked role: it cannot have an access entry")
    node = is_node(m) or arns.strip_path(m.arn).casefold() in snap.node_role_arns()
    if node:
        if arns.account_of(full) != snap.target.account:
            return Row(**base, skipped="node entries must be in the cluster's account")
        return Row(**base, entry_arn=full, entry_type=entry_type(m, snap))
    groups = tuple(g for g in m.groups if g != MASTERS and not reserved(g))
    username = m.username or None
    if username and entry_username_problem(username):
        username = None
    return Row(**base, entry_arn=full, entry_groups=groups, entry_username=username, admin=MASTERS in m.groups)


def _row_notes(r: Row) -> list[str]:
    if r.skipped:
        return [f"{r.where} {r.arn or ''}: not migrated: {r.skipped}"]
    out = []
    dropped = [g for g in r.groups if g not in r.entry_groups and g != MASTERS and not (r.node and g in NODE_GROUPS)]
    if dropped:
        out.append(f"{r.where}: groups {', '.join(dropped)} are reserved and cannot be carried into an entry")
    if r.username and not r.node and r.entry_username is None:
        out.append(f"{r.where}: username {r.username!r} is not allowed in an access entry "
                   f"({entry_username_problem(r.username)}); EKS's default username is used, so RBAC bindings to "
                   "the old username no longer match")
    if r.admin:
        out.append(f"{r.where}: system:masters becomes {ADMIN_POLICY} at cluster scope")
    if r.entry_arn != r.arn:
        out.append(f"{r.where}: {r.arn} → {r.entry_arn} (full ARN from IAM)")
    return out


def migration_rows(snap: Snapshot) -> list[Row]:
    roles, users, _ = effective(parse_data(snap.data))
    return [row_for(m, snap) for m in roles + users]


def plan_migration(snap: Snapshot, *, remove_rows: bool, force: bool = False) -> tuple[Plan, list[Row]]:
    rows = migration_rows(snap)
    steps: list = []
    notes: list[str] = []
    warnings: list[str] = []
    problems: list[str] = []
    if snap.aws_auth is None:
        notes.append(f"aws-auth: {snap.aws_auth_state} {snap.aws_auth_note}".strip())
    if snap.mode == "CONFIG_MAP":
        steps.append(SwitchMode(TARGET_MODE, snap.mode))
        keep, why = keep_caller_steps(snap, TARGET_MODE)
        steps += keep
        notes += why
    auth = parse_data(snap.data)
    if auth.accounts:
        warnings.append(f"mapAccounts ({', '.join(auth.accounts)}) cannot be migrated: access entries name principals "
                        "one by one")
    for r in rows:
        notes += _row_notes(r)
        if r.skipped:
            continue
        existing = snap.entry(r.entry_arn)
        if existing is not None:
            if existing.effective_type != r.entry_type:
                problems.append(f"{r.entry_arn} already has a {existing.effective_type} entry, but its aws-auth row "
                                f"({r.where}) makes it {r.entry_type}: the type cannot change (delete that entry first)")
                continue
            more = tuple(g for g in r.entry_groups if g not in existing.groups)
            if more:
                steps.append(UpdateEntry(r.entry_arn, more))
        else:
            steps.append(CreateEntry(r.entry_arn, r.entry_type, r.entry_groups, r.entry_username))
        if r.admin:
            steps += policy_steps(snap, r.entry_arn, ADMIN_POLICY, (), existing)
    if remove_rows:
        removable = [r.arn for r in rows if not r.skipped and (force or not r.node)]
        kept = [r.arn for r in rows if not r.skipped and r.node and not force]
        if kept:
            notes.append(f"node/Fargate rows stay in aws-auth ({', '.join(kept)}); --force removes them too")
        if removable:
            steps.append(EditAwsAuth((edits.RemoveRows(tuple(removable)),)))
    migrated = sum(1 for r in rows if not r.skipped)
    title = f"move the {migrated} principal(s) aws-auth maps to access entries" + (", then remove their rows" if remove_rows else "")
    return Plan(title, snap.target, tuple(steps), tuple(notes), tuple(warnings), tuple(problems)), rows


@dataclass(frozen=True)
class Verified:
    row: Row
    ok: bool
    detail: str


def verify(rows: list[Row], ev: ClusterEvidence) -> list[Verified]:
    """Does every migrated principal now get, from its access entry, what its aws-auth row gave it?"""
    out = []
    for r in rows:
        if r.skipped:
            continue
        x = session_of(ev, r.entry_arn, r.username)
        problems = []
        if not x.authenticated or x.matched_by != "access entry":
            problems.append("not authenticated by an access entry" if not x.authenticated else f"matched by {x.matched_by}")
        elif r.node:
            if x.entry.effective_type != r.entry_type:
                problems.append(f"entry type {x.entry.effective_type}, expected {r.entry_type}")
        else:
            missing = [g for g in r.entry_groups if g not in x.groups]
            if missing:
                problems.append(f"groups {', '.join(missing)} missing")
            if r.admin and not x.is_admin:
                problems.append(f"{ADMIN_POLICY} (cluster) missing")
        what = f"{x.username} in {', '.join(x.groups) or 'no groups'}" + (
            f", {', '.join(p.name for p in x.policies)}" if x.policies else "") if x.authenticated else "denied"
        out.append(Verified(r, not problems, what + ("" if not problems else ": " + "; ".join(problems))))
    return out

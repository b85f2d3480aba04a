"""Before any aws-auth write: would it break something? Lint errors (refused, whatever the flags), and
what --force alone may override: someone who authenticates now and would not after (access entries and
the mode taken into account), a node or Fargate role's row removed, the last admin gone.

Pure: the data before and after, the cluster's evidence, the node roles; no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..model import arn as arns
from ..model.awsauth import Mapping, effective, parse_data
from ..model.awsauth_doc import AwsAuthDoc
from ..model.identity import ClusterEvidence, Explanation, explain, principal_from_arn
from ..model.lint import is_node, lint

NODE_SESSION = "i-0123456789abcdef0"
PERSON_SESSION = "eksdoctor"


@dataclass(frozen=True)
class Review:
    errors: tuple[str, ...] = ()  # refused, whatever the flags
    dangers: tuple[str, ...] = ()  # refused unless --force
    warnings: tuple[str, ...] = ()

    def refused(self, force: bool) -> bool:
        return bool(self.errors or (self.dangers and not force))


def doc(data: dict) -> AwsAuthDoc:
    return AwsAuthDoc(dict(data), "manifest", {k: 1 for k in data})


def sample_arn(arn: str, username: str = "") -> str | None:
    """An STS caller ARN that a row or entry for `arn` is meant for (None when it cannot have one)."""
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "iam":
        return None
    if parsed.resource_type == "role":
        session = NODE_SESSION if "{{EC2PrivateDNSName}}" in username else PERSON_SESSION
        return arns.assumed_role_arn(parsed, session)
    return arn if parsed.resource_type in ("user", "root") else None


def session_of(ev: ClusterEvidence, arn: str, username: str = "") -> Explanation | None:
    """What a session of `arn` (a node's when `username` is a node template) becomes on the cluster `ev`;
    None for an ARN no session can have."""
    sample = sample_arn(arn, username)
    return explain(principal_from_arn(sample, iam=ev.iam_for(sample)), ev) if sample else None


def node_row(m: Mapping, node_roles: frozenset[str]) -> bool:
    return is_node(m) or arns.strip_path(m.arn).casefold() in node_roles


def admins(ev: ClusterEvidence) -> set[str]:
    """Principals that are cluster admins through aws-auth rows or access entries (the creator's hidden
    CONFIG_MAP mapping is not counted: it may be gone with its IAM principal)."""
    found = set()
    candidates = []
    if ev.aws_auth is not None:
        roles, users, _ = effective(ev.aws_auth)
        candidates += [(m.arn, m.username) for m in roles + users if m.arn]
    if ev.entries is not None:
        candidates += [(e.principal_arn, "") for e in ev.entries.entries]
    for arn, username in candidates:
        x = session_of(ev, arn, username)
        if x is not None and x.authenticated and x.is_admin and x.matched_by != "creator bootstrap":
            found.add(arns.strip_path(arn).casefold())
    return found


def review(before: dict, after: dict, ev: ClusterEvidence, node_roles: frozenset[str] = frozenset()) -> Review:
    """What writing `after` over `before` would do. `ev` is the cluster as it is (mode, entries)."""
    errors: list[str] = []
    dangers: list[str] = []
    warnings: list[str] = []
    new_report, old_report = lint(doc(after)), lint(doc(before))
    old_messages = {i.message for i in old_report.issues}
    for issue in new_report.issues:
        where = issue.where or issue.section or "aws-auth"
        if issue.severity == "error":
            existed = " (already there before this change: fix it first)" if issue.message in old_messages else ""
            errors.append(f"{where}: {issue.message}{existed}")
        elif issue.message not in old_messages:
            warnings.append(f"{where}: {issue.message}")
    if errors:
        return Review(tuple(errors), (), tuple(warnings))
    node_roles = frozenset(a.casefold() for a in node_roles)
    ev_before = replace(ev, aws_auth=parse_data(before), aws_auth_state="read")
    ev_after = replace(ev, aws_auth=parse_data(after), aws_auth_state="read")
    new_roles, new_users, _ = effective(ev_after.aws_auth)
    still = {m.arn.casefold() for m in new_roles + new_users if m.arn}
    roles, users, _ = effective(ev_before.aws_auth)
    for m in roles + users:
        if not m.arn:
            continue
        if node_row(m, node_roles) and m.arn.casefold() not in still:
            dangers.append(f"{m.where} maps node/Fargate role {m.arn}: removing it can take its nodes or pods out "
                           "of the cluster")
            continue
        was, now = session_of(ev_before, m.arn, m.username), session_of(ev_after, m.arn, m.username)
        if was is not None and now is not None and was.authenticated and not now.authenticated:
            dangers.append(f"{m.arn} ({m.where}) authenticates now and would not after this change")
    for account in ev_before.aws_auth.accounts:
        if account not in ev_after.aws_auth.accounts:
            dangers.append(f"mapAccounts {account}: every principal of that account would lose its mapping")
    had, has = admins(ev_before), admins(ev_after)
    if had and not has:
        dangers.append(f"this removes the last cluster admin mapping ({', '.join(sorted(had))}); only the cluster "
                       "creator's hidden mapping (if that principal still exists) would remain")
    return Review((), tuple(dangers), tuple(warnings))

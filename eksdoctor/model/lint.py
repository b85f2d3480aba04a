"""`eksdoctor lint`: validate an aws-auth ConfigMap with the authenticator's exact parsing before it is
applied, and (with an old version) list who the change would lock out, node roles first.

Pure: an AwsAuthDoc in, issues out. Errors are what breaks or silently drops a mapping; warnings are
what still works but misleads (reference/authenticator.md §4.2, §4.7, §4.8, §6).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import yaml

from . import arn as arns
from .awsauth import (PLACEHOLDERS, RESERVED_PREFIXES, AwsAuth, Mapping, arns_in_text, effective, parse_data,
                      unknown_placeholders)
from .awsauth_doc import AwsAuthDoc
from .identity import ClusterEvidence, explain, principal_from_arn

NODE_SESSION = "i-0123456789abcdef0"
PERSON_SESSION = "eksdoctor-lint"

# Every issue carries one of these rule ids (a failure-modes catalog id where the issue is one); SARIF
# and JUnit show one rule / testcase each.
RULES = {
    "aws_auth_yaml_broken": "aws-auth parses, so no section is dropped",
    "aws_auth_manifest": "the manifest is the ConfigMap the authenticator reads (kube-system/aws-auth, string values)",
    "aws_auth_entry_invalid": "every row has the fields the authenticator needs",
    "arn_typo_account_partition": "every ARN is a well-formed IAM ARN (partition, 12-digit account, no region)",
    "aws_auth_sts_arn": "no row maps an sts ARN, which never matches",
    "role_path_in_aws_auth": "no role ARN is written with its IAM path",
    "sso_role_in_aws_auth": "no IAM Identity Center role ARN is written with its path",
    "wrong_section_or_arn_kind": "roles are under mapRoles, users under mapUsers, no instance profiles",
    "aws_auth_sso_matcher": "no row relies on the alpha sso: matcher",
    "aws_auth_template": "usernames and groups use only known placeholders, where they can render",
    "aws_auth_group_merged": "no group holds two list items merged by an indentation slip",
    "system_prefix_rejected": "every row has a username that no reserved prefix rejects",
    "duplicate_mapping_shadowed": "no ARN is mapped twice (the last row wins)",
    "arn_case_mismatch": "no two mapUsers rows differ only in case",
    "aws_auth_unquoted_account": "mapAccounts account numbers are quoted strings",
    "map_accounts_no_groups": "mapAccounts is not used (it authenticates a whole account with no groups)",
    "node_role_unmapped": "the change locks out no node role",
    "aws_auth_lock_out": "the change locks out no role, user or account mapped now",
    "aws_auth_mapping_changed": "the change does not silently change anyone's username or groups",
}


@dataclass(frozen=True)
class Issue:
    severity: str  # error or warning
    message: str
    section: str = ""
    where: str = ""  # mapRoles[2]
    line: int | None = None  # file line
    rule: str = "aws_auth_entry_invalid"  # a RULES key

    def to_dict(self) -> dict:
        return {"severity": self.severity, "section": self.section or None, "where": self.where or None,
                "line": self.line, "message": self.message, "rule": self.rule}


@dataclass(frozen=True)
class LockOut:
    arn: str
    was: str  # where it was mapped in the old file
    kind: str  # node role, role, user, account
    detail: str

    @property
    def rule(self) -> str:
        return "node_role_unmapped" if self.kind == "node role" else "aws_auth_lock_out"

    def to_dict(self) -> dict:
        return {"arn": self.arn, "was": self.was, "kind": self.kind, "detail": self.detail, "rule": self.rule}


@dataclass(frozen=True)
class Report:
    doc: AwsAuthDoc
    auth: AwsAuth
    issues: tuple[Issue, ...]
    locked_out: tuple[LockOut, ...] = ()
    changed: tuple[str, ...] = ()
    sections: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.locked_out)

    def to_dict(self) -> dict:
        return {
            "format": self.doc.form,
            "sections": self.sections,
            "issues": [i.to_dict() for i in self.issues],
            "locked_out": [lo.to_dict() for lo in self.locked_out],
            "changed": list(self.changed),
            "summary": {"errors": len(self.errors), "warnings": len(self.issues) - len(self.errors),
                        "locked_out": len(self.locked_out)},
        }


def is_node(m: Mapping) -> bool:
    return m.username.startswith("system:node:") or "system:nodes" in m.groups


_ITEM = re.compile(r"^([ \t]*)-[ \t]+\w+[ \t]*:(?:\s|$)")


@functools.lru_cache(maxsize=8)
def _item_lines(text: str) -> tuple[int, ...]:
    """0-based lines where the section's top-level list items (mappings) start (read once per text:
    every row asks for its line)."""
    found = [(i, len(m.group(1))) for i, line in enumerate(text.splitlines()) if (m := _ITEM.match(line))]
    indent = min((d for _, d in found), default=0)
    return tuple(i for i, d in found if d == indent)


def _entry_line(doc: AwsAuthDoc, m: Mapping) -> int | None:
    items = _item_lines(doc.data.get(m.section, ""))
    return doc.file_line(m.section, items[m.index] + 1) if m.index < len(items) else None


def lint(doc: AwsAuthDoc, old: AwsAuthDoc | None = None) -> Report:
    auth = parse_data(doc.data)
    issues: list[Issue] = [Issue(p.severity, p.message, line=p.line, rule=p.rule) for p in doc.problems]
    sections = {}
    for name in ("mapRoles", "mapUsers", "mapAccounts"):
        rows = auth.roles if name == "mapRoles" else auth.users if name == "mapUsers" else ()
        error = next((e for e in auth.errors if e.section == name), None)
        sections[name] = {"present": name in auth.present, "entries": len(rows) if name != "mapAccounts" else len(auth.accounts),
                          "kept": sum(1 for r in rows if r.valid) if name != "mapAccounts" else len(auth.accounts),
                          "error": error.message if error else None}
    for error in auth.errors:
        written = arns_in_text(auth.raw.get(error.section, ""))
        nodes = [a for a, m in _written_rows(auth.raw.get(error.section, "")) if m]
        who = f" — {len(written)} mapping(s) lost: {', '.join(written)}" if written else ""
        if nodes:
            who += f" (node roles: {', '.join(nodes)}: their nodes drop out)"
        issues.append(Issue("error", f"{error.message}: this drops every entry of {error.section}{who}",
                            error.section, line=doc.file_line(error.section, error.line), rule="aws_auth_yaml_broken"))
    for m in auth.mappings:
        issues.extend(_row_issues(doc, m))
    issues.extend(_duplicates(doc, auth))
    issues.extend(_accounts(doc, auth))
    locked, changed = _against(old, auth) if old is not None else ((), ())
    issues.sort(key=lambda i: i.line or 0)  # stable: file order, whole-file problems first
    return Report(doc, auth, tuple(issues), tuple(locked), tuple(changed), sections)


def _written_rows(text: str) -> list[tuple[str, bool]]:
    """(ARN, looks like a node row) for each rolearn/userarn written in a section's text, parsed or not."""
    lines = (text or "").splitlines(keepends=True)
    bounds = [*_item_lines(text or ""), len(lines)]
    out = []
    for start, end in zip(bounds, bounds[1:]):
        chunk = "".join(lines[start:end])
        out.extend((a, "system:node" in chunk) for a in arns_in_text(chunk))
    return out


def _row_issues(doc: AwsAuthDoc, m: Mapping) -> list[Issue]:
    out: list[Issue] = []
    line = _entry_line(doc, m)

    def add(severity, message, rule):
        out.append(Issue(severity, message, m.section, m.where, line, rule))

    for problem in m.problems:
        severe = "dropped" in problem or "no groups" in problem or "not a string" in problem
        add("error" if severe else "warning", problem, "aws_auth_entry_invalid")
    if not m.valid:
        return out
    if m.arn:
        out.extend(Issue(s, msg, m.section, m.where, line, rule) for s, msg, rule in arn_issues(m))
    elif m.sso is not None:
        if any(str(k).lower() == "partition" and v for k, v in m.sso.items()):
            add("error", "sso: with `partition` set never matches, even with the feature gate on (an authenticator bug: "
                         "the pattern becomes arn::iam::…); map the role ARN instead", "aws_auth_sso_matcher")
        else:
            add("warning", "the sso: matcher is an alpha feature of the authenticator, off by default and undocumented "
                           "for EKS: this row matches nobody unless the feature gate is on; map the role ARN instead",
                "aws_auth_sso_matcher")
    for text, what in [(m.username, "username")] + [(g, "group") for g in m.groups]:
        for literal in unknown_placeholders(text):
            add("error", f"{what} {text!r}: {literal} is not a placeholder ({', '.join(PLACEHOLDERS)}); it stays in the name literally", "aws_auth_template")
        if "{{EC2PrivateDNSName}}" in text and m.section == "mapUsers":
            add("error", f"{what} {text!r}: IAM users have no session, so {{{{EC2PrivateDNSName}}}} always fails (Unauthorized)",
                "aws_auth_template")
        elif "{{EC2PrivateDNSName}}" in text and not is_node(m):
            add("warning", f"{what} {text!r}: {{{{EC2PrivateDNSName}}}} only renders for sessions named after an EC2 instance "
                           "id; a person assuming this role gets Unauthorized", "aws_auth_template")
    for g in m.groups:
        if re.search(r"\s", g):
            add("error", f"group {g!r} contains whitespace: probably two list items merged by an indentation slip", "aws_auth_group_merged")
    if not m.username and m.section == "mapRoles" or not m.username and m.section == "mapUsers":
        add("warning", "no username: the row maps to an empty username", "aws_auth_entry_invalid")
    elif m.username.startswith("{{"):
        add("warning", f"username {m.username!r} starts with a template: it can render into a reserved prefix "
                       "(e.g. a session named system gives system:…)", "system_prefix_rejected")
    else:
        prefix = next((p for p in RESERVED_PREFIXES if m.username.startswith(p)), None)
        if prefix and not (prefix == "system:" and m.username.startswith("system:node:")):
            add("warning", f"username {m.username!r} starts with the reserved prefix {prefix!r}: authenticator builds "
                           "that enforce reserved prefixes reject it, and access entries cannot carry it", "system_prefix_rejected")
    return out


def arn_problems(m: Mapping) -> list[tuple[str, str]]:
    """(severity, message) for what is wrong with a row's ARN as the authenticator compares it."""
    return [(severity, message) for severity, message, _ in arn_issues(m)]


def arn_issues(m: Mapping) -> list[tuple[str, str, str]]:
    """(severity, message, rule) for what is wrong with a row's ARN as the authenticator compares it
    (no canonicalisation, no path)."""
    text = m.arn
    if text != text.strip() or any(q in text for q in "\"'"):
        return [("error", f"{m.arn_field} {text!r} has whitespace or quotes inside: it never matches", "arn_typo_account_partition")]
    parsed = arns.try_parse(text)
    if parsed is None:
        return [("error", f"{m.arn_field} {text!r} is not an ARN: it never matches", "arn_typo_account_partition")]
    out = []
    if parsed.partition not in arns.PARTITIONS:
        out.append(("error", f"{m.arn_field} {text}: {parsed.partition!r} is not a partition (aws, aws-cn, aws-us-gov, …)", "arn_typo_account_partition"))
    if parsed.service == "sts":
        try:
            meant = arns.canonicalize(text) if parsed.resource_type == "assumed-role" else ""
        except arns.ArnError:
            meant = ""
        if parsed.resource_type == "role":
            meant = f"arn:{parsed.partition}:iam::{parsed.account}:{parsed.resource}"
        out.append(("error", f"{m.arn_field} {text} is an sts ARN: aws-auth does not canonicalise it, it never matches; "
                             f"write {meant or f'arn:{parsed.partition}:iam::{parsed.account}:role/<role name>'}",
                    "aws_auth_sts_arn"))
        return out
    if parsed.service != "iam":
        return out + [("error", f"{m.arn_field} {text} is not an IAM ARN: it never matches", "arn_typo_account_partition")]
    if parsed.region:
        out.append(("error", f"{m.arn_field} {text} has a region ({parsed.region}); IAM ARNs have none, so it never matches", "arn_typo_account_partition"))
    if not re.fullmatch(r"\d{12}", parsed.account):
        out.append(("error", f"{m.arn_field} {text}: account {parsed.account!r} is not 12 digits", "arn_typo_account_partition"))
    kind = parsed.resource_type
    if kind == "instance-profile":
        out.append(("error", f"{m.arn_field} {text} is an instance profile: map the role it contains", "wrong_section_or_arn_kind"))
    elif kind not in ("role", "user", "root"):
        out.append(("error", f"{m.arn_field} {text}: {kind!r} principals cannot be mapped (only roles and users)", "wrong_section_or_arn_kind"))
    elif kind == "role" and arns.has_path(text):
        stripped = arns.strip_path(text)
        what = "the IAM Identity Center path" if arns.SSO_PATH_MARKER in text else "its IAM path"
        out.append(("error", f"rolearn {text} is written with {what}, which the caller's ARN never has: it never "
                             f"matches; write {stripped}",
                    "sso_role_in_aws_auth" if arns.SSO_PATH_MARKER in text else "role_path_in_aws_auth"))
    if m.section == "mapRoles" and kind == "user" or m.section == "mapUsers" and kind == "role":
        out.append(("warning", f"{text} is a {kind} ARN under {m.section}: it still matches (the section is not checked), "
                               "but tools and readers take it for the wrong kind", "wrong_section_or_arn_kind"))
    return out


def _duplicates(doc: AwsAuthDoc, auth: AwsAuth) -> list[Issue]:
    out = []
    _, users, replaced = effective(auth)
    for rows in replaced.values():
        for m in rows:
            out.append(Issue("error", f"{m.arn or 'this SSO pattern'} is mapped again later: the authenticator keeps only the "
                                      "last row, so this one is dead", m.section, m.where, _entry_line(doc, m),
                             "duplicate_mapping_shadowed"))
    seen: dict[str, list[Mapping]] = {}
    for m in users:
        seen.setdefault(m.arn.casefold(), []).append(m)
    for rows in seen.values():
        if len(rows) > 1:
            out.append(Issue("error", f"{', '.join(r.where for r in rows)} differ only in case: both are kept and one is "
                                      "picked at random", "mapUsers", rows[0].where, _entry_line(doc, rows[0]),
                             "arn_case_mismatch"))
    roles = {m.arn.casefold() for m in auth.roles if m.valid and m.arn}
    for m in users:
        if m.arn.casefold() in roles:
            out.append(Issue("warning", f"{m.arn} is also under mapRoles, which is looked up first: this row is never used",
                             "mapUsers", m.where, _entry_line(doc, m), "duplicate_mapping_shadowed"))
    return out


def _accounts(doc: AwsAuthDoc, auth: AwsAuth) -> list[Issue]:
    text = doc.data.get("mapAccounts")
    if not text or "mapAccounts" in auth.broken_sections():
        return []
    out = []
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    for item in node.value if isinstance(node, yaml.SequenceNode) else ():
        if not isinstance(item, yaml.ScalarNode):
            continue
        line = doc.file_line("mapAccounts", item.start_mark.line + 1)
        if not re.fullmatch(r"\d{12}", item.value):
            out.append(Issue("error", f"account {item.value!r} is not 12 digits: it matches nobody", "mapAccounts", line=line,
                             rule="arn_typo_account_partition"))
        elif item.style is None:
            out.append(Issue("warning", f"account {item.value} is not quoted: write '{item.value}' (YAML readers other than "
                                        "the authenticator's turn it into a number, and a leading 0 into octal)", "mapAccounts", line=line,
                             rule="aws_auth_unquoted_account"))
    if auth.accounts:
        out.append(Issue("warning", f"mapAccounts authenticates every principal of {', '.join(auth.accounts)} as its ARN with "
                                    "no groups", "mapAccounts", rule="map_accounts_no_groups"))
    return out


def _sample_session(m: Mapping) -> str | None:
    """An STS session ARN that the old row was meant for (None for SSO rows and unparseable ARNs)."""
    parsed = arns.try_parse(m.arn)
    if parsed is None or parsed.service != "iam":
        return None
    if parsed.resource_type == "role":
        session = NODE_SESSION if "{{EC2PrivateDNSName}}" in m.username else PERSON_SESSION
        return arns.assumed_role_arn(parsed, session)
    return m.arn


def _against(old_doc: AwsAuthDoc, new: AwsAuth) -> tuple[list[LockOut], list[str]]:
    """Who authenticates with the old aws-auth and not with the new one (node roles first)."""
    old = parse_data(old_doc.data)
    before = ClusterEvidence(mode="CONFIG_MAP", aws_auth=old, aws_auth_state="read")
    after = ClusterEvidence(mode="CONFIG_MAP", aws_auth=new, aws_auth_state="read")
    roles, users, _ = effective(old)
    locked: list[LockOut] = []
    changed: list[str] = []
    for m in roles + users:
        sample = _sample_session(m)
        if not sample:
            continue
        p = principal_from_arn(sample)
        was, now = explain(p, before), explain(p, after)
        if not was.authenticated:
            continue
        kind = "node role" if is_node(m) else "role" if m.section == "mapRoles" else "user"
        if not now.authenticated:
            if m.section in new.broken_sections():
                why = f"{m.section} no longer parses: the whole key is dropped"
            else:
                why = next((r for r in reversed(now.reasons) if "not mapped" not in r), now.reasons[-1])
            locked.append(LockOut(m.arn, m.where, kind, why))
        elif (was.username, was.groups) != (now.username, now.groups):
            changed.append(f"{m.arn}: {was.username} in {', '.join(was.groups) or 'no groups'} → {now.username} in "
                           f"{', '.join(now.groups) or 'no groups'}")
    for account in old.accounts:
        if account not in new.accounts:
            locked.append(LockOut(account, "mapAccounts", "account", "no longer in mapAccounts"))
    locked.sort(key=lambda lo: lo.kind != "node role")
    return locked, changed

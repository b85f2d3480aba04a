"""Parse the aws-auth ConfigMap exactly like the authenticator's EKSConfigMap backend.

reference/authenticator.md §4.2: each of mapRoles, mapUsers, mapAccounts is parsed on its own;
a YAML error in one key drops every entry of that key only; invalid entries are dropped one by
one; field names are case-insensitive, top-level keys are not; unknown fields are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

SECTIONS = ("mapRoles", "mapUsers", "mapAccounts")
_SKIPPABLE = {"", "``", '""', "''"}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_PERMISSION_SET = re.compile(r"^[\w+=,.@-]{1,32}$")
PARTITION_NAMES = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")


@dataclass(frozen=True)
class SectionError:
    section: str
    message: str
    line: int | None = None  # 1-based, inside the section's YAML text

    def describe(self) -> str:
        where = f"{self.section} line {self.line}" if self.line else self.section
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Mapping:
    """One row of mapRoles or mapUsers as the authenticator keeps it."""

    section: str  # mapRoles or mapUsers
    index: int
    arn: str  # rolearn / userarn ('' when absent or not a string)
    username: str
    groups: tuple[str, ...]
    sso: dict | None = None
    valid: bool = True
    problems: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, compare=False)

    @property
    def where(self) -> str:
        return f"{self.section}[{self.index}]"

    @property
    def arn_field(self) -> str:
        return "rolearn" if self.section == "mapRoles" else "userarn"


@dataclass(frozen=True)
class AwsAuth:
    roles: tuple[Mapping, ...]
    users: tuple[Mapping, ...]
    accounts: tuple[str, ...]
    errors: tuple[SectionError, ...]
    present: tuple[str, ...]  # which of SECTIONS had a non-empty value

    @property
    def mappings(self) -> tuple[Mapping, ...]:
        return self.roles + self.users

    def broken_sections(self) -> list[str]:
        """Sections that failed as a whole (every SectionError does): all their entries are gone."""
        return sorted({e.section for e in self.errors})


def _skippable(value) -> bool:
    return not isinstance(value, str) or value.strip() in _SKIPPABLE


def _yaml_error(section: str, exc: yaml.YAMLError) -> SectionError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"YAML error: {context + ', ' if context else ''}{problem}"
    return SectionError(section, message, mark.line + 1 if mark is not None else None)


def _fields(entry: dict) -> dict:
    """Field names case-insensitively, like encoding/json; a later spelling wins."""
    return {str(k).lower(): v for k, v in entry.items()}


def _mapping(section: str, index: int, entry) -> Mapping:
    problems: list[str] = []
    if not isinstance(entry, dict):
        return Mapping(section, index, "", "", (), None, False, (f"entry is a {type(entry).__name__}, not a mapping; it is dropped",), {})
    f = _fields(entry)
    arn_key = "rolearn" if section == "mapRoles" else "userarn"
    arn = f.get(arn_key)
    if arn is not None and not isinstance(arn, str):
        problems.append(f"{arn_key} is not a string")
        arn = None
    username = f.get("username")
    if username is not None and not isinstance(username, str):
        problems.append("username is not a string; it becomes empty")
        username = None
    groups_raw = f.get("groups")
    groups: list[str] = []
    if groups_raw is None:
        pass
    elif isinstance(groups_raw, list):
        for g in groups_raw:
            if isinstance(g, str):
                groups.append(g)
            else:
                problems.append(f"group {g!r} is not a string; it is ignored")
    else:
        problems.append(f"groups is a {type(groups_raw).__name__}, not a list: the entry keeps no groups")
    known = {arn_key, "username", "groups", "userid"} | ({"sso"} if section == "mapRoles" else set())
    for name in f:
        if name not in known:
            problems.append(f"unknown field {name!r} is ignored")
    sso = f.get("sso") if section == "mapRoles" else None
    valid = True
    if section == "mapRoles":
        if not arn and sso is None:
            problems.append("one of rolearn or SSO must be supplied; the entry is dropped")
            valid = False
        elif arn and sso is not None:
            problems.append("only one of rolearn or SSO can be supplied; the entry is dropped")
            valid = False
        elif sso is not None:
            sso_problem = _sso_problem(sso)
            if sso_problem:
                problems.append(sso_problem + "; the entry is dropped")
                valid = False
    elif not arn:
        problems.append("value for userarn must be supplied; the entry is dropped")
        valid = False
    return Mapping(section, index, arn or "", username or "", tuple(groups), sso if isinstance(sso, dict) else None, valid, tuple(problems), entry)


def _sso_problem(sso) -> str:
    if not isinstance(sso, dict):
        return "sso is not a mapping"
    f = _fields(sso)
    account = f.get("accountid")
    account = account if isinstance(account, str) else ""
    if not _ACCOUNT_ID.match(account):
        return f"AccountID '{account}' is not a valid AWS Account ID"
    permission_set = f.get("permissionsetname")
    permission_set = permission_set if isinstance(permission_set, str) else ""
    if not _PERMISSION_SET.match(permission_set):
        return f"PermissionSetName '{permission_set}' is not a valid AWS SSO PermissionSet Name"
    partition = f.get("partition")
    if partition not in (None, "") and partition not in PARTITION_NAMES:
        return f"partition '{partition}' is not a valid AWS partition"
    return ""


def _parse_list(section: str, text: str) -> tuple[list | None, SectionError | None]:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, _yaml_error(section, exc)
    if value is None:
        return [], None
    if not isinstance(value, list):
        return None, SectionError(section, f"value is a YAML {type(value).__name__}, not a list: nothing from {section} is kept")
    return value, None


def _parse_accounts(text: str) -> tuple[list[str], SectionError | None]:
    """mapAccounts is read by yaml.v2 into []string: scalars keep their literal text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        return [], _yaml_error("mapAccounts", exc)
    if node is None:
        return [], None
    if not isinstance(node, yaml.SequenceNode):
        return [], SectionError("mapAccounts", "value is not a list: no account is kept")
    return [item.value for item in node.value if isinstance(item, yaml.ScalarNode)], None


def parse_data(data: dict) -> AwsAuth:
    """Parse a ConfigMap's `data` the way the authenticator does."""
    data = data if isinstance(data, dict) else {}
    errors: list[SectionError] = []
    present = tuple(s for s in SECTIONS if not _skippable(data.get(s)))
    sections: dict[str, list[Mapping]] = {"mapRoles": [], "mapUsers": []}
    for section in ("mapRoles", "mapUsers"):
        if section not in present:
            continue
        items, error = _parse_list(section, data[section])
        if error:
            errors.append(error)
            continue
        sections[section] = [_mapping(section, i, entry) for i, entry in enumerate(items)]
    accounts: list[str] = []
    if "mapAccounts" in present:
        accounts, error = _parse_accounts(data["mapAccounts"])
        if error:
            errors.append(error)
    return AwsAuth(tuple(sections["mapRoles"]), tuple(sections["mapUsers"]), tuple(accounts), tuple(errors), present)


def configmap_data(configmap) -> dict:
    if isinstance(configmap, dict) and isinstance(configmap.get("data"), dict):
        return configmap["data"]
    return {}

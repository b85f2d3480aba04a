"""Parse the aws-auth ConfigMap exactly like the authenticator's EKSConfigMap backend.

reference/authenticator.md §4.2: each of mapRoles, mapUsers, mapAccounts is parsed on its own;
a YAML error in one key drops every entry of that key only; invalid entries are dropped one by
one; field names are case-insensitive, top-level keys are not; unknown fields are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from . import yamlread

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
    raw: dict = field(default_factory=dict, compare=False)  # the section texts as given

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
        value = yamlread.safe_load(text)
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
    raw = {s: data[s] for s in present}
    return AwsAuth(tuple(sections["mapRoles"]), tuple(sections["mapUsers"]), tuple(accounts), tuple(errors), present, raw)


def configmap_data(configmap) -> dict:
    if isinstance(configmap, dict) and isinstance(configmap.get("data"), dict):
        return configmap["data"]
    return {}


def arns_in_text(text: str) -> list[str]:
    """The rolearn/userarn values written in a section's text, even when it does not parse:
    who a section-wide YAML error locks out."""
    return [m.group(2) for m in _ARN_LINE.finditer(text or "")]


_ARN_LINE = re.compile(r"""(?im)^[\s-]*(rolearn|userarn)\s*:\s*["']?([^\s"'#]+)""")


# --- Templates (reference/authenticator.md §4.7) ---------------------------------------------

PLACEHOLDERS = ("{{EC2PrivateDNSName}}", "{{AccountID}}", "{{SessionName}}", "{{SessionNameRaw}}", "{{AccessKeyID}}")
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_INSTANCE_SESSION = re.compile(r"^i-(\w{8}|\w{17})$")


class TemplateError(ValueError):
    """renderTemplate failed: the authenticator denies the request (no fall-through)."""


@dataclass(frozen=True)
class Session:
    """The facts of one authenticated request that templates draw on."""

    account: str
    session_name: str | None  # None: unknown (a role ARN was given, not a session); "": users and root
    access_key_id: str | None = None  # None: unknown
    private_dns: str | None = None  # from ec2:DescribeInstances; None: not looked up


def unknown_placeholders(template: str) -> list[str]:
    return [p for p in _PLACEHOLDER.findall(template or "") if p not in PLACEHOLDERS]


def render_template(template: str, s: Session) -> tuple[str, list[str]]:
    """renderTemplate: plain replacements in the authenticator's order. Returns the text and notes
    on what could not be filled in from the evidence (kept as written). Raises TemplateError."""
    notes: list[str] = []
    out = template
    if "{{EC2PrivateDNSName}}" in out:
        if s.session_name is not None and not _INSTANCE_SESSION.match(s.session_name):
            raise TemplateError(f'error rendering username template "{template}": SessionName did not contain an instance id')
        if s.session_name is None:
            notes.append("{{EC2PrivateDNSName}} needs a session named after an EC2 instance id; the session is unknown")
        elif s.private_dns:
            out = out.replace("{{EC2PrivateDNSName}}", s.private_dns)
        else:
            notes.append(f"{{{{EC2PrivateDNSName}}}} is the private DNS name of {s.session_name} (ec2:DescribeInstances), not looked up")
    out = out.replace("{{AccountID}}", s.account)
    if s.session_name is not None:
        out = out.replace("{{SessionName}}", s.session_name.replace("@", "-"))
        out = out.replace("{{SessionNameRaw}}", s.session_name)
    elif "{{SessionName}}" in out or "{{SessionNameRaw}}" in out:
        notes.append("the session name is unknown (give the assumed-role ARN to fill it in)")
    if "{{AccessKeyID}}" in out:
        if s.access_key_id:
            out = out.replace("{{AccessKeyID}}", s.access_key_id)
        else:
            notes.append("{{AccessKeyID}} is the caller's access key id, which the evidence does not hold")
    for literal in unknown_placeholders(template):
        notes.append(f"{literal} is not a placeholder the authenticator knows: it stays in the name as literal text")
    return out, notes


# --- Reserved username prefixes (§4.8) ---------------------------------------------------------

# What the authenticator's DynamicFile dev config reserves [EKS?]; EKS's own lists are not public.
RESERVED_PREFIXES = ("aws:", "iam:", "amazon:", "system:", "eks:")


def reserved_prefix_error(username: str, prefixes: tuple[str, ...], backend: str = "EKSConfigMap") -> str:
    """The rendered username only (groups are never checked); '' when it is allowed."""
    hit = [p for p in prefixes if username.startswith(p)]
    if not hit:
        return ""
    listed = " ".join(prefixes)
    return f"invalid username '{username}' for mapper {backend}: username must not begin with with the following prefixes: [{listed}]"


# --- The alpha SSO matcher (§4.3) --------------------------------------------------------------

def sso_pattern(sso: dict) -> str:
    """SSOArnLike, bug included: the partition is only filled in when `partition` is empty, so an
    entry that sets it (even to `aws`) yields `arn::iam::…`, which matches nothing."""
    f = _fields(sso)
    partition = "" if f.get("partition") else "aws"
    return f"arn:{partition}:iam::{f.get('accountid', '')}:role/AWSReservedSSO_{f.get('permissionsetname', '')}_*".lower()


def arn_like(arn: str, pattern: str) -> bool:
    """ArnLike: six colon sections compared one by one as anchored globs (`?` = zero or one char)."""
    a, p = arn.split(":", 5), pattern.split(":", 5)
    if len(a) != 6 or len(p) != 6:
        return False
    for value, glob in zip(a, p):
        regex = "".join(".*" if ch == "*" else ".?" if ch == "?" else re.escape(ch) for ch in glob)
        if not re.fullmatch(regex, value):
            return False
    return True


# --- Lookup: which row maps a canonical ARN (§4.1, §4.2) -----------------------------------

@dataclass(frozen=True)
class ConfigMapMatch:
    mapping: Mapping | None  # the row that answers, None for mapAccounts or no match
    via: str  # "mapRoles[i]", "mapUsers[i]", "mapAccounts" or ""
    notes: tuple[str, ...] = ()
    shadowed: tuple[Mapping, ...] = ()  # rows for the same key that an earlier/later duplicate replaced
    ambiguous: tuple[Mapping, ...] = ()  # other rows that also match: the authenticator picks at random

    @property
    def matched(self) -> bool:
        return bool(self.via)


def role_key(m: Mapping) -> str:
    return sso_pattern(m.sso) if m.sso is not None and not m.arn else m.arn.lower()


def effective(auth: AwsAuth) -> tuple[list[Mapping], list[Mapping], dict[str, list[Mapping]]]:
    """The rows the authenticator keeps: roles keyed by lowercased rolearn (or SSO pattern), users by
    userarn as written; a later duplicate replaces an earlier one. Also returns the replaced rows per key."""
    kept_roles: dict[str, Mapping] = {}
    kept_users: dict[str, Mapping] = {}
    replaced: dict[str, list[Mapping]] = {}
    for table, rows, key in ((kept_roles, auth.roles, role_key), (kept_users, auth.users, lambda m: m.arn)):
        for m in rows:
            if not m.valid:
                continue
            k = key(m)
            if k in table:
                replaced.setdefault(f"{m.section}:{k}", []).append(table[k])
            table[k] = m
    return list(kept_roles.values()), list(kept_users.values()), replaced


def lookup(auth: AwsAuth, canonical: str, account: str, *, sso_gate: bool = False) -> ConfigMapMatch:
    """Roles first, then users, then mapAccounts: the EKSConfigMap backend's Map and IsAccountAllowed."""
    roles, users, replaced = effective(auth)
    notes: list[str] = []
    for rows, section in ((roles, "mapRoles"), (users, "mapUsers")):
        hits = []
        for m in rows:
            if m.arn and m.arn.casefold() == canonical.casefold():
                hits.append(m)
            elif m.sso is not None and not m.arn:
                if sso_gate and arn_like(canonical.lower(), sso_pattern(m.sso)):
                    hits.append(m)
                elif arn_like(canonical.lower(), sso_pattern({**m.sso, "partition": ""})):
                    why = ("sets `partition`, so its pattern is arn::iam::… (an authenticator bug)" if sso_pattern(m.sso).startswith("arn::")
                           else "needs the alpha SSORoleMatch feature gate, off by default")
                    notes.append(f"{m.where} (sso: {_fields(m.sso).get('permissionsetname')}) would match, but {why}; it is ignored")
        if hits:
            chosen = hits[0]
            key = role_key(chosen) if section == "mapRoles" else chosen.arn
            shadowed = tuple(replaced.get(f"{section}:{key}", ()))
            if shadowed:
                notes.append(f"{', '.join(s.where for s in shadowed)} map the same ARN earlier; the later row {chosen.where} replaced them")
            if len(hits) > 1:
                notes.append(f"{', '.join(h.where for h in hits)} all match; the authenticator picks one at random (shown: {chosen.where})")
            notes.append(f"{chosen.where} matches {canonical} (case-insensitive string comparison)")
            return ConfigMapMatch(chosen, chosen.where, tuple(notes), shadowed, tuple(hits[1:]))
    if account and account in auth.accounts:
        notes.append(f"mapAccounts lists {account}: username is the canonical ARN, with no groups")
        return ConfigMapMatch(None, "mapAccounts", tuple(notes))
    return ConfigMapMatch(None, "", tuple(notes))

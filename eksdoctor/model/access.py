"""EKS access entries, access policies and authentication modes (failure-modes.md §1E, §2).

Pure: builds entries from `aws eks list-access-entries` / `describe-access-entry` /
`list-associated-access-policies` output and decides which entry a principal matches.
Entries want the full ARN with its path and are tied to the principal's unique ID.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from ..bundle import BundleError
from ..bundle import parse_time as bundle_time
from . import arn as arns

MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
ENTRY_TYPES = ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2", "HYPERPOD_LINUX")
NODE_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2", "HYPERPOD_LINUX")
# Custom usernames and groups of entries may not start with these (EKS validates them at creation).
ENTRY_RESERVED_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")


def uses_entries(mode: str | None) -> bool:
    return mode in ("API", "API_AND_CONFIG_MAP")


def uses_configmap(mode: str | None) -> bool:
    return mode in ("CONFIG_MAP", "API_AND_CONFIG_MAP")


def parse_time(value) -> datetime | None:
    """An AWS timestamp, or None when absent or unreadable (evidence, not input to trust)."""
    try:
        return bundle_time(value)
    except BundleError:
        return None


@dataclass(frozen=True)
class Scope:
    type: str  # "cluster" or "namespace"
    namespaces: tuple[str, ...] = ()

    def covers(self, namespace: str | None) -> bool:
        """Cluster scope covers everything; a namespace scope only namespaced requests in its
        namespaces (EKS accepts `dev-*` wildcards and does not check the names)."""
        if self.type == "cluster":
            return True
        return namespace is not None and any(fnmatchcase(namespace, pattern) for pattern in self.namespaces)

    def describe(self) -> str:
        return "cluster" if self.type == "cluster" else "namespaces " + ",".join(self.namespaces)

    def cli(self) -> str:
        return "type=cluster" if self.type == "cluster" else "type=namespace,namespaces=" + ",".join(self.namespaces)

    def to_dict(self) -> dict:
        return {"type": self.type, "namespaces": list(self.namespaces)}


@dataclass(frozen=True)
class AssociatedPolicy:
    policy_arn: str
    scope: Scope
    associated_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.policy_arn.rsplit("/", 1)[-1]

    def to_dict(self) -> dict:
        return {"policy_arn": self.policy_arn, "name": self.name, "access_scope": self.scope.to_dict()}


@dataclass(frozen=True)
class AccessEntry:
    principal_arn: str
    type: str | None = None  # None: not described
    username: str | None = None  # as described (EKS fills in the default); None: not described
    groups: tuple[str, ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None
    policies: tuple[AssociatedPolicy, ...] | None = None  # None: not read
    pointers: tuple[str, ...] = field(default=(), compare=False)

    @property
    def described(self) -> bool:
        return self.type is not None

    @property
    def effective_type(self) -> str:
        return self.type or "STANDARD"

    @property
    def effective_username(self) -> str:
        return self.username or default_username(self.effective_type, self.principal_arn)

    @property
    def effective_groups(self) -> tuple[str, ...]:
        """Node types carry no custom groups; EKS puts them in system:nodes."""
        if self.effective_type in NODE_TYPES and not self.groups:
            return ("system:nodes",)
        return self.groups

    @property
    def newest_change(self) -> datetime | None:
        moments = [m for m in (self.created_at, self.modified_at) if m]
        moments += [m for p in self.policies or () for m in (p.associated_at, p.modified_at) if m]
        return max(moments, default=None)


def default_username(entry_type: str, principal_arn: str) -> str:
    """The username EKS sets when none is given (failure-modes.md §2.2)."""
    if entry_type in ("EC2_LINUX", "EC2_WINDOWS", "EC2"):
        return "system:node:{{EC2PrivateDNSName}}"
    if entry_type in ("FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"):
        return "system:node:{{SessionName}}"
    parsed = arns.try_parse(principal_arn)
    if parsed and parsed.service == "iam" and parsed.resource_type == "role":
        return arns.assumed_role_arn(parsed, "{{SessionName}}")
    return principal_arn


@dataclass(frozen=True)
class AccessEntries:
    """What is known of a cluster's entries. `listed` is False when list-access-entries was not
    read (then `error` says why, e.g. AccessDeniedException); `entries` may still hold described ones."""

    entries: tuple[AccessEntry, ...] = ()
    listed: bool = False
    error: str = ""
    pointers: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return self.listed or bool(self.entries)

    def get(self, principal_arn: str) -> AccessEntry | None:
        return next((e for e in self.entries if e.principal_arn.casefold() == principal_arn.casefold()), None)


# --- Building entries from AWS CLI output --------------------------------------------------------

def entry_from_description(doc: dict, pointer: str = "") -> AccessEntry | None:
    """`describe-access-entry` output, or its `accessEntry` object."""
    body = doc.get("accessEntry") if isinstance(doc.get("accessEntry"), dict) else doc
    principal = body.get("principalArn")
    if not isinstance(principal, str):
        return None
    groups = body.get("kubernetesGroups")
    policies = body.get("associatedAccessPolicies")
    return AccessEntry(
        principal_arn=principal,
        type=str(body.get("type") or "STANDARD"),
        username=body.get("username") if isinstance(body.get("username"), str) else None,
        groups=tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else (),
        created_at=parse_time(body.get("createdAt")),
        modified_at=parse_time(body.get("modifiedAt")),
        policies=policies_from(policies) if isinstance(policies, list) else None,
        pointers=(pointer,) if pointer else (),
    )


def policies_from(items: list) -> tuple[AssociatedPolicy, ...]:
    """`associatedAccessPolicies` of `list-associated-access-policies`."""
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("policyArn"), str):
            continue
        scope = item.get("accessScope") if isinstance(item.get("accessScope"), dict) else {}
        namespaces = scope.get("namespaces") if isinstance(scope.get("namespaces"), list) else []
        out.append(AssociatedPolicy(
            item["policyArn"], Scope(str(scope.get("type") or "cluster"), tuple(str(n) for n in namespaces)),
            parse_time(item.get("associatedAt")), parse_time(item.get("modifiedAt"))))
    return tuple(out)


class EntriesBuilder:
    """Merges list / describe / list-associated records (in any order) into AccessEntries."""

    def __init__(self) -> None:
        self.listed: list[str] | None = None
        self.described: dict[str, AccessEntry] = {}
        self.policies: dict[str, tuple[AssociatedPolicy, ...]] = {}
        self.pointers: dict[str, list[str]] = {}
        self.error = ""
        self.list_pointers: list[str] = []

    def add_list(self, response: dict, pointer: str = "") -> None:
        self.listed = (self.listed or []) + [a for a in response.get("accessEntries") or [] if isinstance(a, str)]
        if pointer:
            self.list_pointers.append(pointer)

    def add_description(self, response: dict, pointer: str = "") -> None:
        entry = entry_from_description(response, pointer)
        if entry is None:
            return
        key = entry.principal_arn.casefold()
        self.described[key] = entry
        if entry.policies is not None:
            self.policies[key] = entry.policies
        self.pointers.setdefault(key, []).extend([pointer] if pointer else [])

    def add_policies(self, principal: str, response: dict, pointer: str = "") -> None:
        principal = response.get("principalArn") if isinstance(response.get("principalArn"), str) else principal
        if not principal:
            return
        key = principal.casefold()
        self.policies[key] = policies_from(response.get("associatedAccessPolicies") or [])
        self.pointers.setdefault(key, []).extend([pointer] if pointer else [])
        if key not in self.described and not any(a.casefold() == key for a in self.listed or []):
            self.described.setdefault(key, AccessEntry(principal))

    def build(self) -> AccessEntries:
        order = list(dict.fromkeys([a for a in self.listed or []] + [e.principal_arn for e in self.described.values()]))
        entries = []
        for principal in order:
            key = principal.casefold()
            base = self.described.get(key) or AccessEntry(principal)
            entries.append(AccessEntry(
                base.principal_arn, base.type, base.username, base.groups, base.created_at, base.modified_at,
                self.policies.get(key, base.policies), tuple(self.pointers.get(key, ()))))
        return AccessEntries(tuple(entries), self.listed is not None, self.error, tuple(self.list_pointers))


def entries_from_documents(docs: list) -> AccessEntries:
    """Entries from AWS CLI JSON as a user saves it: list-access-entries, describe-access-entry,
    list-associated-access-policies outputs, a JSON list of them, or {"accessEntries": [<arn or
    accessEntry object, optionally with associatedAccessPolicies>]}."""
    builder = EntriesBuilder()
    pending = list(docs)
    while pending:
        doc = pending.pop(0)
        if isinstance(doc, list):
            pending = list(doc) + pending
        elif not isinstance(doc, dict):
            raise ValueError(f"expected AWS CLI JSON objects, found a JSON {type(doc).__name__}")
        elif "accessEntries" in doc:
            items = doc["accessEntries"] if isinstance(doc["accessEntries"], list) else []
            builder.add_list({"accessEntries": [i for i in items if isinstance(i, str)]})
            for obj in (i for i in items if isinstance(i, dict)):
                builder.add_list({"accessEntries": [obj.get("principalArn")]})
                builder.add_description(obj)
        elif "accessEntry" in doc or "principalArn" in doc and "associatedAccessPolicies" not in doc:
            builder.add_description(doc)
        elif "associatedAccessPolicies" in doc:
            builder.add_policies("", doc)
        else:
            raise ValueError("not access-entry output (expected accessEntries, accessEntry or associatedAccessPolicies)")
    return builder.build()


def read_json_documents(text: str) -> list:
    """One or more JSON documents one after the other (e.g. several `aws … --output json` saved together)."""
    decoder = json.JSONDecoder()
    docs, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return docs
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)


# --- Which entry a principal matches --------------------------------------------------------------

@dataclass(frozen=True)
class IamPrincipal:
    """What iam:GetRole / iam:GetUser said about a principal."""

    name: str
    kind: str  # "role" or "user"
    exists: bool
    arn: str = ""  # full ARN, path included
    principal_id: str = ""  # RoleId / UserId
    created: datetime | None = None
    pointer: str = ""


@dataclass(frozen=True)
class EntryNearMiss:
    kind: str  # "stale" (recreated principal) or "path" (ARN without/with another path)
    entry: AccessEntry
    detail: str


@dataclass(frozen=True)
class EntryMatch:
    entry: AccessEntry | None
    notes: tuple[str, ...] = ()
    near: tuple[EntryNearMiss, ...] = ()


def match_entry(entries: AccessEntries, canonical: str, full_arn: str | None, iam: IamPrincipal | None) -> EntryMatch:
    """Entries match the principal's unique ID, named by its full ARN: a role entry must carry the
    role's real path, and an entry made before the principal was (re)created belongs to the old one."""
    is_role = arns.principal_type(canonical) == "ROLE"
    key = arns.strip_path(canonical).casefold() if is_role else canonical.casefold()
    notes: list[str] = []
    near: list[EntryNearMiss] = []
    for entry in entries.entries:
        candidate = arns.strip_path(entry.principal_arn) if is_role else entry.principal_arn
        if candidate.casefold() != key:
            continue
        if full_arn and entry.principal_arn.casefold() != full_arn.casefold():
            near.append(EntryNearMiss("path", entry, f"the entry names {entry.principal_arn}, but the role is {full_arn}: "
                                      "entries take the full ARN with its path, so this entry belongs to no current principal"))
            continue
        if iam and iam.created and entry.created_at and entry.created_at < iam.created:
            near.append(EntryNearMiss("stale", entry, f"the entry was created {entry.created_at:%Y-%m-%d %H:%M} UTC, before the "
                                      f"{iam.kind} was (re)created {iam.created:%Y-%m-%d %H:%M} UTC: it is tied to the old principal ID"))
            continue
        if is_role and not full_arn:
            notes.append("iam:GetRole was not read: assumed the entry's path is the role's real path")
        notes.append(f"access entry {entry.principal_arn} matches")
        return EntryMatch(entry, tuple(notes), tuple(near))
    return EntryMatch(None, tuple(notes), tuple(near))

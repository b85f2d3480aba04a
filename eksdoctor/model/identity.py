"""What does principal P become on this cluster? One pure function, `explain`, and its inputs.

It follows the authenticator (canonical ARN, aws-auth per-key parsing, last-wins duplicates,
templates, mapAccounts) and EKS on top (authentication mode, access entries matched by full ARN
and principal ID, the creator bootstrap), and records every rule that fired. No I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import arn as arns
from .access import (AccessEntries, AccessEntry, AssociatedPolicy, IamPrincipal, match_entry, uses_configmap,
                     uses_entries)
from .awsauth import (AwsAuth, ConfigMapMatch, Mapping, Session, TemplateError, arns_in_text, lookup,
                      render_template, reserved_prefix_error)
from .creator import Creator

CREATOR_USERNAME = "kubernetes-admin"
MASTERS = "system:masters"


@dataclass(frozen=True)
class Principal:
    input_arn: str
    canonical: str  # what the authenticator maps: a role session's path-less role ARN
    account: str
    session_name: str | None  # None when a role ARN (not a session) was given
    full_arn: str | None  # the IAM ARN with its path, when known (entries need it)
    user_id: str = ""
    error: str = ""  # the authenticator's error when it rejects the ARN

    @property
    def is_role(self) -> bool:
        return arns.principal_type(self.canonical) == "ROLE"

    @property
    def name(self) -> str:
        parsed = arns.try_parse(self.canonical)
        return parsed.name if parsed else ""

    def session(self, access_key_id: str | None = None) -> Session:
        return Session(self.account, self.session_name, access_key_id)


def principal_from_arn(text: str, *, iam: IamPrincipal | None = None, user_id: str = "") -> Principal:
    """An STS caller ARN (assumed-role/…/session), or an IAM role/user/root ARN for a what-if."""
    text = (text or "").strip()
    account = arns.account_of(text) or ""
    try:
        canonical = arns.canonicalize(text)
    except arns.ArnError as exc:
        return Principal(text, "", account, None, None, user_id, str(exc))
    kind = arns.principal_type(text)
    if kind == "ASSUMED_ROLE":
        session = text.rsplit("/", 1)[-1]
        full = iam.arn if iam and iam.exists and iam.arn else None
        return Principal(text, canonical, account, session, full, user_id)
    if kind == "ROLE":  # a role ARN: its sessions arrive without the path
        full = iam.arn if iam and iam.exists and iam.arn else text
        return Principal(text, arns.strip_path(canonical), account, None, full, user_id)
    return Principal(text, canonical, account, "", text if kind in ("USER", "ROOT") else None, user_id)


@dataclass(frozen=True)
class ClusterEvidence:
    """Everything `explain` may consult; each part may be missing, and then says why."""

    mode: str | None = None  # CONFIG_MAP, API_AND_CONFIG_MAP, API; None: unknown
    bootstrap: bool | None = None
    aws_auth: AwsAuth | None = None
    aws_auth_state: str = "not collected"  # read, absent (404), unreadable, not collected
    aws_auth_note: str = ""  # e.g. "403 Forbidden as exec"
    entries: AccessEntries | None = None  # None: not collected
    creator: Creator | None = None
    creator_note: str = ""
    iam: tuple[IamPrincipal, ...] = ()
    partition: str = "aws"
    account: str = ""  # the cluster's account
    sso_gate: bool = False  # the authenticator's alpha SSORoleMatch feature gate [EKS?]
    reserved_prefixes: tuple[str, ...] = ()  # the EKSConfigMap backend's list; EKS's is not public

    def iam_for(self, arn: str) -> IamPrincipal | None:
        parsed = arns.try_parse(arn)
        if parsed is None:
            return None
        kind = {"assumed-role": "role"}.get(parsed.resource_type, parsed.resource_type)
        name = arn.rsplit("/", 2)[-2] if parsed.resource_type == "assumed-role" else parsed.name
        return next((p for p in self.iam if p.kind == kind and p.name.casefold() == name.casefold()), None)

    @property
    def entries_note(self) -> str:
        if self.entries is None:
            return "access entries were not collected"
        if not self.entries.readable:
            return f"access entries could not be read ({self.entries.error or 'no record'})"
        return ""


@dataclass(frozen=True)
class NearMiss:
    """A mapping or entry that was meant for this principal but does not match it."""

    kind: str  # path, sso_path, sts_form, account, partition, region, quoted, typo, sso_suffix,
    #            broken_section, entry_stale, entry_path, mode_ignored, sso_gate, dropped
    where: str  # "mapRoles[2]", "access entry", "mapRoles (line 4)"
    arn: str  # the ARN as written there
    detail: str
    entry: AccessEntry | None = None
    mapping: Mapping | None = None


@dataclass(frozen=True)
class Explanation:
    principal: Principal
    authenticated: bool
    username: str | None = None
    groups: tuple[str, ...] = ()
    matched_by: str = ""  # "access entry", "mapRoles[i]", "mapUsers[i]", "mapAccounts", "creator bootstrap"
    policies: tuple[AssociatedPolicy, ...] = ()
    reasons: tuple[str, ...] = ()
    mode: str | None = None
    entry: AccessEntry | None = None  # the entry that answered
    configmap: ConfigMapMatch | None = None  # what aws-auth says, whether or not the mode consults it
    is_creator: bool = False
    near_misses: tuple[NearMiss, ...] = ()
    unknowns: tuple[str, ...] = ()  # evidence that was missing and could change the answer
    error: str = ""  # the authenticator's error when a template or prefix rule denied

    @property
    def confidence(self) -> str:
        return "certain" if not self.unknowns else "likely" if self.authenticated or len(self.unknowns) == 1 else "possible"

    def near(self, *kinds: str) -> list[NearMiss]:
        return [n for n in self.near_misses if n.kind in kinds]

    @property
    def is_admin(self) -> bool:
        return MASTERS in self.groups or any(p.name == "AmazonEKSClusterAdminPolicy" and p.scope.type == "cluster" for p in self.policies)

    def to_dict(self) -> dict:
        return {
            "input_arn": self.principal.input_arn,
            "canonical_arn": self.principal.canonical or None,
            "authenticated": self.authenticated,
            "username": self.username,
            "groups": list(self.groups),
            "matched_by": self.matched_by or None,
            "access_policies": [p.to_dict() for p in self.policies],
            "reasons": list(self.reasons),
            "mode": self.mode,
            "confidence": self.confidence,
            "unknown": list(self.unknowns),
        }


def explain(p: Principal, ev: ClusterEvidence, *, access_key_id: str | None = None) -> Explanation:
    reasons: list[str] = []
    unknowns: list[str] = []
    if p.error:
        return Explanation(p, False, reasons=(f"the authenticator rejects the ARN: {p.error}",), mode=ev.mode)
    if p.canonical != p.input_arn:
        why = " (STS never reports a role's path)" if p.is_role else ""
        reasons.append(f"{p.input_arn} is mapped as {p.canonical}{why}")
    mode = ev.mode
    if mode is None:
        reasons.append("the authentication mode is unknown: access entries, the creator and aws-auth are all consulted")
    else:
        reasons.append(f"authentication mode {mode}")
    iam = ev.iam_for(p.full_arn or p.input_arn)
    entry_match = match_entry(ev.entries, p.canonical, p.full_arn, iam) if ev.entries and ev.entries.readable else None
    cm = lookup(ev.aws_auth, p.canonical, p.account, sso_gate=ev.sso_gate) if ev.aws_auth is not None else None
    is_creator = bool(ev.creator and arns.same_principal(arns.strip_path(ev.creator.arn), arns.strip_path(p.canonical)))
    near = _near_misses(p, ev, entry_match, cm)
    base = dict(mode=mode, configmap=cm, is_creator=is_creator, near_misses=tuple(near))
    session = p.session(access_key_id)

    def result(**kw) -> Explanation:
        return Explanation(p, reasons=tuple(reasons), unknowns=tuple(unknowns), **base, **kw)

    # 1. Access entries (DynamicFile), first in the API modes.
    if uses_entries(mode) or (mode is None and ev.entries is not None):
        if entry_match is None:
            unknowns.append(ev.entries_note)
            reasons.append(ev.entries_note)
        else:
            reasons.extend(entry_match.notes)
            reasons.extend(n.detail for n in entry_match.near)
            if entry_match.entry is not None:
                entry = entry_match.entry
                if cm is not None and cm.matched and mode != "API":
                    reasons.append(f"the access entry overrides aws-auth {cm.via} for the same principal")
                try:
                    username, groups, notes = render_identity(entry.effective_username, entry.effective_groups, session)
                except TemplateError as exc:
                    reasons.append(f"access entry: {exc}: the request is denied")
                    return result(authenticated=False, error=str(exc), entry=entry)
                reasons.extend(notes)
                policies = entry.policies or ()
                if entry.policies is None:
                    unknowns.append("the entry's associated access policies were not read")
                reasons.append(f"{entry.effective_type} entry: username {username}" + (f", groups {', '.join(groups)}" if groups else ", no groups")
                               + (f", policies {', '.join(pol.name + ' (' + pol.scope.describe() + ')' for pol in policies)}" if policies else ""))
                return result(authenticated=True, username=username, groups=tuple(groups), matched_by="access entry",
                              policies=tuple(policies), entry=entry)
            if not entry_match.near:
                reasons.append("no access entry for this principal")
    elif mode == "CONFIG_MAP":
        reasons.append("CONFIG_MAP mode: access entries are not consulted")

    # 2. The creator's hidden mapping (CONFIG_MAP); in the API modes the creator has an entry instead.
    if is_creator:
        if mode in ("CONFIG_MAP", None):
            reasons.append(f"{ev.creator.describe()} created the cluster: the hidden bootstrap mapping makes it "
                           f"{CREATOR_USERNAME} in {MASTERS}")
            return result(authenticated=True, username=CREATOR_USERNAME, groups=(MASTERS,), matched_by="creator bootstrap")
        reasons.append("this principal created the cluster, but in the API modes its access is only through an access entry")

    # 3. aws-auth (EKSConfigMap).
    if uses_configmap(mode) or mode is None:
        if cm is None:
            note = _aws_auth_note(ev)
            reasons.append(note)
            if ev.aws_auth_state != "absent":
                unknowns.append(note)
        else:
            reasons.extend(f"aws-auth: {e.describe()} (the whole {e.section} key is dropped)" for e in ev.aws_auth.errors)
            reasons.extend(cm.notes)
            if cm.via == "mapAccounts":
                return result(authenticated=True, username=p.canonical, groups=(), matched_by="mapAccounts")
            if cm.mapping is not None:
                m = cm.mapping
                try:
                    username, groups, notes = render_identity(m.username, m.groups, session)
                except TemplateError as exc:
                    reasons.append(f"aws-auth {m.where}: mapper EKSConfigMap renderTemplates {exc}: the request is denied")
                    return result(authenticated=False, error=str(exc))
                reasons.extend(notes)
                denied = reserved_prefix_error(username, ev.reserved_prefixes)
                if denied:
                    reasons.append(denied)
                    return result(authenticated=False, error=denied)
                reasons.append(f"{m.where}: username {username}" + (f", groups {', '.join(groups)}" if groups else ", no groups"))
                return result(authenticated=True, username=username, groups=tuple(groups), matched_by=m.where)
            reasons.append("no aws-auth row matches")
    elif cm is not None and cm.matched:
        reasons.append(f"API mode ignores aws-auth, where {cm.via} would map this principal")

    reasons.extend(n.detail for n in near if n.kind not in ("entry_stale", "entry_path"))
    if ev.creator is None and ev.creator_note and mode in ("CONFIG_MAP", None):
        unknowns.append(ev.creator_note)  # the hidden creator mapping could still let it in
    reasons.append("identity is not mapped: the API server answers 401 Unauthorized")
    return result(authenticated=False)


def render_identity(username: str, groups: tuple[str, ...], session: Session) -> tuple[str, list[str], list[str]]:
    """Templates apply to the username and to every group (§4.7); raises TemplateError."""
    rendered, notes = render_template(username, session)
    out = []
    for g in groups:
        text, more = render_template(g, session)
        out.append(text)
        notes += more
    return rendered, out, notes


def _aws_auth_note(ev: ClusterEvidence) -> str:
    if ev.aws_auth_state == "absent":
        return "the aws-auth ConfigMap does not exist: nothing is mapped through it"
    if ev.aws_auth_state == "unreadable":
        return f"aws-auth could not be read ({ev.aws_auth_note})"
    return "aws-auth was not read"


# --- Near misses: what was probably meant for this principal -------------------------------------

def sso_parts(name: str) -> tuple[str, str] | None:
    if not name.startswith(arns.SSO_ROLE_PREFIX) or "_" not in name[len(arns.SSO_ROLE_PREFIX):]:
        return None
    permission_set, suffix = name[len(arns.SSO_ROLE_PREFIX):].rsplit("_", 1)
    return permission_set, suffix


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    return a[i + (len(a) == len(b)):] == b[i + 1:]


@lru_cache(maxsize=64)
def _near_miss_clue(canonical: str) -> str:
    """What every near miss of `canonical` but a typo names (casefolded): the principal's name, or an
    Identity Center role's permission set (`AWSReservedSSO_<set>_`, its suffix may differ)."""
    name = arns.parse(canonical).name
    sso = sso_parts(name)
    return (f"{arns.SSO_ROLE_PREFIX}{sso[0]}_" if sso else name).casefold()


def arn_near_miss(written: str, canonical: str) -> tuple[str, str]:
    """(kind, what is wrong) when `written` was probably meant to map `canonical`; ('', '') otherwise."""
    if not written or not canonical or written.casefold() == canonical.casefold():
        return "", ""
    cleaned = written.strip().strip("\"'").strip()
    if _near_miss_clue(canonical) not in cleaned.casefold():  # the common case, decided without parsing:
        return _typo(cleaned, canonical)  # every other kind names the principal
    target = arns.parse(canonical)
    if cleaned != written and cleaned.casefold() == canonical.casefold():
        return "quoted", "stray whitespace or quotes around the ARN"
    parsed = arns.try_parse(cleaned)
    if parsed is not None and parsed.service == "sts":
        try:
            as_role = arns.canonicalize(cleaned)
        except arns.ArnError:
            as_role = f"arn:{parsed.partition}:iam::{parsed.account}:{parsed.resource}" if parsed.resource_type == "role" else ""
        if as_role.casefold() == canonical.casefold():
            return "sts_form", "an sts ARN is written where the IAM role ARN belongs; aws-auth does not canonicalise it"
    if parsed is not None and parsed.service == "iam":
        if arns.has_path(cleaned) and arns.strip_path(cleaned).casefold() == canonical.casefold():
            kind = "sso_path" if arns.SSO_PATH_MARKER in cleaned else "path"
            return kind, "the role is written with its IAM path, which the caller's canonical ARN never has"
        same_resource = parsed.resource.casefold() == target.resource.casefold()
        if same_resource and parsed.region and (parsed.partition, parsed.account) == (target.partition, target.account):
            return "region", f"IAM ARNs have no region, this one has {parsed.region!r}"
        if same_resource and parsed.account == target.account and parsed.partition != target.partition:
            return "partition", f"partition {parsed.partition!r} instead of {target.partition!r}"
        if same_resource and parsed.account != target.account and parsed.partition == target.partition:
            return "account", f"account {parsed.account} instead of {target.account}"
        mine, theirs = sso_parts(target.name), sso_parts(parsed.name)
        if mine and theirs and mine[0] == theirs[0] and mine[1] != theirs[1] and parsed.account == target.account:
            return "sso_suffix", (f"same permission set {mine[0]}, old role suffix {theirs[1]} (now {mine[1]}): "
                                  "IAM Identity Center re-created the role")
    return _typo(cleaned, canonical)


def _typo(cleaned: str, canonical: str) -> tuple[str, str]:
    return ("typo", "one character differs") if _one_edit(cleaned.casefold(), canonical.casefold()) else ("", "")


def _near_misses(p: Principal, ev: ClusterEvidence, entry_match, cm: ConfigMapMatch | None) -> list[NearMiss]:
    near: list[NearMiss] = []
    auth = ev.aws_auth
    if auth is not None:
        for m in auth.mappings:
            if cm is not None and cm.mapping is m:
                continue
            kind, why = arn_near_miss(m.arn, p.canonical)
            if kind:
                near.append(NearMiss(kind, m.where, m.arn, f"aws-auth {m.where} {m.arn_field} {m.arn}: {why}", mapping=m))
            elif not m.valid and m.arn and m.arn.casefold() == p.canonical.casefold():
                near.append(NearMiss("dropped", m.where, m.arn, f"aws-auth {m.where} names this principal but is dropped: {'; '.join(m.problems)}", mapping=m))
        for error in auth.errors:
            for written in arns_in_text(auth.raw.get(error.section, "")):
                if written.casefold() == p.canonical.casefold() or arn_near_miss(written, p.canonical)[0]:
                    near.append(NearMiss("broken_section", f"{error.section}", written,
                                         f"aws-auth {error.section} names {written}, but {error.describe()} drops the whole key"))
        if cm is not None:
            for note in cm.notes:
                if "would match, but" in note:
                    near.append(NearMiss("sso_gate", note.split(" ", 1)[0], "", f"aws-auth {note}"))
        if cm is not None and cm.matched and ev.mode == "API":
            near.append(NearMiss("mode_ignored", cm.via, cm.mapping.arn if cm.mapping else "",
                                 f"aws-auth {cm.via} maps this principal, but mode API ignores aws-auth", mapping=cm.mapping))
    if entry_match is not None:
        for miss in entry_match.near:
            near.append(NearMiss(f"entry_{miss.kind}", "access entry", miss.entry.principal_arn, miss.detail, entry=miss.entry))
    if ev.entries is not None and (entry_match is None or entry_match.entry is None):
        for entry in ev.entries.entries:
            kind, why = arn_near_miss(entry.principal_arn if not p.is_role else arns.strip_path(entry.principal_arn), p.canonical)
            if kind and kind not in ("path", "sso_path"):
                near.append(NearMiss(kind, "access entry", entry.principal_arn, f"access entry {entry.principal_arn}: {why}", entry=entry))
    return near


def explain_arn(arn: str, ev: ClusterEvidence) -> Explanation:
    """explain() for an ARN given on the command line."""
    return explain(principal_from_arn(arn, iam=ev.iam_for(arn)), ev)



def evidence_from_files(aws_auth_text: str | None, entries_text: str | None, mode: str | None,
                        creator_arn: str | None = None) -> tuple[ClusterEvidence, list[str]]:
    """ClusterEvidence from files a user saved (`explain --aws-auth F --access-entries F --mode M`), and
    notes on what was assumed. Raises ValueError with a one-line message on unreadable input."""
    from .access import entries_from_documents, read_json_documents
    from .awsauth import parse_data
    from .awsauth_doc import read
    from .creator import Creator

    notes: list[str] = []
    auth = parse_data(read(aws_auth_text).data) if aws_auth_text is not None else None
    entries = None
    if entries_text is not None:
        try:
            entries = entries_from_documents(read_json_documents(entries_text))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"access entries: {exc}") from None
    if mode is None:
        mode = "API_AND_CONFIG_MAP" if auth is not None and entries is not None else "API" if entries is not None else "CONFIG_MAP"
        notes.append(f"no --mode given: assumed {mode} from the files given")
    accounts = {arns.account_of(e.principal_arn) for e in entries.entries} if entries else set()
    creator_note = "" if creator_arn else "the cluster creator was not given (--creator): its hidden mapping is not considered"
    return ClusterEvidence(mode=mode, aws_auth=auth, aws_auth_state="read" if auth is not None else "not collected",
                           entries=entries, creator=Creator(creator_arn, "given") if creator_arn else None,
                           creator_note=creator_note,
                           account=next(iter(accounts)) if len(accounts) == 1 else ""), notes

"""Plans: the changes `grant`, `diagnose --fix` and `migrate` would make, as steps that each know their
equivalent aws/eksctl/kubectl command. Nothing here performs a change (act/apply.py does, under --apply).

Pure: a Snapshot of the cluster (read beforehand by act/snapshot.py) and the request in, a Plan out.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from ..findings import AFFECTED_USER, CLUSTER_ADMIN, IAM_ADMIN, FixStep
from ..model import arn as arns
from ..model import fixes
from ..model.access import ENTRY_RESERVED_PREFIXES, AccessEntries, AccessEntry, IamPrincipal, Scope, uses_entries
from ..model.awsauth import lookup, parse_data
from ..model.evidence import Target
from ..model.identity import MASTERS, ClusterEvidence
from ..model.rbac import Rbac
from . import awsauth_edit as edits

KNOWN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy",
                  "AmazonEKSAdminViewPolicy", "AmazonEKSSecretReaderPolicy")
# aws-auth has no access policies: the nearest group and the built-in ClusterRole it needs bound.
POLICY_AS_GROUP = {"AmazonEKSClusterAdminPolicy": (MASTERS, ""), "AmazonEKSAdminPolicy": ("admins", "admin"),
                   "AmazonEKSEditPolicy": ("editors", "edit"), "AmazonEKSViewPolicy": ("viewers", "view")}
ENTRY_TEMPLATES = ("{{SessionName}}", "{{SessionNameRaw}}")


# --- Steps ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreateEntry:
    principal: str  # the full ARN (or, from a printed fix, a `$(aws iam get-role …)` look-up)
    entry_type: str = "STANDARD"
    groups: tuple[str, ...] = ()
    username: str | None = None
    run_as: str = CLUSTER_ADMIN
    auto: bool = True

    @property
    def key(self) -> str:
        return f"create-access-entry {self.principal}"

    def describe(self) -> str:
        extra = [self.entry_type] + ([f"groups {', '.join(self.groups)}"] if self.groups else []) + \
                ([f"username {self.username}"] if self.username else [])
        return f"create an access entry for {self.principal} ({'; '.join(extra)})"

    def commands(self, t: Target) -> tuple[str, ...]:
        return (fixes.create_access_entry(t, self.principal, entry_type=self.entry_type, groups=self.groups,
                                          username=self.username),)


@dataclass(frozen=True)
class UpdateEntry:
    principal: str
    groups: tuple[str, ...] = ()  # added to the entry's own (the update sends the union)
    username: str | None = None
    run_as: str = CLUSTER_ADMIN
    auto: bool = True

    @property
    def key(self) -> str:
        return f"update-access-entry {self.principal}"

    def describe(self) -> str:
        what = ([f"add groups {', '.join(self.groups)}"] if self.groups else []) + \
               ([f"username {self.username}"] if self.username else [])
        return f"update the access entry of {self.principal}: {'; '.join(what)}"

    def commands(self, t: Target) -> tuple[str, ...]:
        return (fixes.update_access_entry(t, self.principal, groups=self.groups, username=self.username),)


@dataclass(frozen=True)
class AssociatePolicy:
    principal: str
    policy: str  # name
    namespaces: tuple[str, ...] = ()  # () = cluster scope
    run_as: str = CLUSTER_ADMIN
    auto: bool = True

    @property
    def scope(self) -> Scope:
        return Scope("namespace", self.namespaces) if self.namespaces else Scope("cluster")

    @property
    def key(self) -> str:
        return f"associate-access-policy {self.principal} {self.policy} {self.scope.cli()}"

    def describe(self) -> str:
        return f"associate {self.policy} ({self.scope.describe()}) with {self.principal}"

    def commands(self, t: Target) -> tuple[str, ...]:
        return (fixes.associate_access_policy(t, self.principal, self.policy, self.namespaces),)


@dataclass(frozen=True)
class SwitchMode:
    mode: str
    current: str
    run_as: str = IAM_ADMIN
    auto: bool = True

    @property
    def key(self) -> str:
        return f"switch-mode {self.mode}"

    def describe(self) -> str:
        return (f"switch the authentication mode from {self.current} to {self.mode} (ONE-WAY: the cluster can never "
                "go back)")

    def commands(self, t: Target) -> tuple[str, ...]:
        return tuple(s.command for s in fixes.switch_mode(t, self.mode))


@dataclass(frozen=True)
class EditAwsAuth:
    edits: tuple  # awsauth_edit.AddRow / RemoveRows / RewriteArn
    run_as: str = CLUSTER_ADMIN
    auto: bool = True

    @property
    def key(self) -> str:
        return "edit-aws-auth " + "; ".join(e.describe() for e in self.edits)

    def describe(self) -> str:
        return "aws-auth: " + "; ".join(e.describe() for e in self.edits)

    def commands(self, t: Target) -> tuple[str, ...]:
        out: list[str] = []
        rewrites = [(e.old, e.new) for e in self.edits if isinstance(e, edits.RewriteArn)]
        for e in self.edits:
            if isinstance(e, edits.AddRow):
                if e.replaces:
                    out.append(fixes.eksctl_delete_mapping(t, e.arn))
                out.append(fixes.eksctl_create_mapping(t, e.arn, e.username, e.groups))
            elif isinstance(e, edits.RemoveRows):
                out += [fixes.eksctl_delete_mapping(t, a) for a in e.arns]
        if rewrites:
            out += [s.command for s in fixes.rewrite_aws_auth_arns(rewrites, "")]
        return tuple(out)


@dataclass(frozen=True)
class Manual:
    """A step eksdoctor does not perform itself: printed for whoever must run it."""

    command: str
    run_as: str
    why: str = ""
    auto: bool = False

    @property
    def key(self) -> str:
        return f"manual {self.command}"

    def describe(self) -> str:
        return self.why or "run this yourself"

    def commands(self, t: Target) -> tuple[str, ...]:
        return (self.command,)


Step = CreateEntry | UpdateEntry | AssociatePolicy | SwitchMode | EditAwsAuth | Manual


@dataclass(frozen=True)
class Plan:
    title: str
    target: Target
    steps: tuple = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # why it cannot be done as asked: nothing is applied

    @property
    def automatic(self) -> list:
        return [s for s in self.steps if s.auto]


# --- The cluster as read before planning ---------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    target: Target
    mode: str
    entries: AccessEntries
    aws_auth: dict | None  # the ConfigMap object; None when absent or unreadable
    aws_auth_state: str = "read"  # read, absent, unreadable
    aws_auth_note: str = ""
    node_roles: tuple[tuple[str, str, str], ...] = ()  # (kind, owner, role ARN): nodegroup, windows nodegroup, fargate
    iam: tuple[IamPrincipal, ...] = ()
    policies: tuple[str, ...] = ()  # names from eks:ListAccessPolicies (empty: not read)
    rbac: Rbac | None = None
    bootstrap: bool | None = None
    caller: str = ""  # the applying identity (sts:GetCallerIdentity)

    @property
    def data(self) -> dict:
        return dict((self.aws_auth or {}).get("data") or {})

    @property
    def resource_version(self) -> str | None:
        return ((self.aws_auth or {}).get("metadata") or {}).get("resourceVersion")

    def entry(self, arn: str) -> AccessEntry | None:
        return self.entries.get(arn)

    def node_role_arns(self) -> frozenset[str]:
        return frozenset(arns.strip_path(a).casefold() for _, _, a in self.node_roles)

    def evidence(self, data: dict | None = None, mode: str | None = None) -> ClusterEvidence:
        data = self.data if data is None else data
        auth = parse_data(data) if (self.aws_auth is not None or data) else None
        return ClusterEvidence(mode=mode or self.mode, bootstrap=self.bootstrap, aws_auth=auth,
                               aws_auth_state="read" if auth is not None else self.aws_auth_state,
                               aws_auth_note=self.aws_auth_note, entries=self.entries, iam=self.iam,
                               partition=self.target.partition, account=self.target.account)


@dataclass(frozen=True)
class Grantee:
    """A principal as each mechanism must name it."""

    given: str
    entry_arn: str  # full ARN with its path (what access entries take)
    aws_auth_arn: str  # path-less for roles (what aws-auth matches)
    kind: str  # role or user
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.entry_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class GrantRequest:
    arn: str
    policies: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    username: str | None = None


class PlanError(ValueError):
    """The request itself is wrong (a reserved group, an unknown policy, …): one line, exit 2."""


def policy_name(text: str) -> str:
    """A policy given by name or by ARN (any partition: the plan writes the cluster's own)."""
    text = text.strip()
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def reserved(value: str) -> str | None:
    return next((p for p in ENTRY_RESERVED_PREFIXES if value.startswith(p)), None)


def entry_username_problem(username: str) -> str | None:
    """Why EKS would refuse this custom username of an access entry (None: fine)."""
    prefix = reserved(username)
    if prefix:
        return f"username {username!r} starts with the reserved prefix {prefix!r}, which access entries refuse"
    for template in re.findall(r"\{\{[^{}]*\}\}", username):
        if template not in ENTRY_TEMPLATES:
            return f"username {username!r}: {template} is not a template access entries fill in ({', '.join(ENTRY_TEMPLATES)})"
        if ":" not in username[:username.index(template)]:
            return f"username {username!r}: access entries need a ':' somewhere before {template}"
    return None


def _covers(have, want: Scope) -> bool:
    """An association already in place that gives at least `want`."""
    if have is None:
        return False
    if have.type == "cluster":
        return True
    return want.type == "namespace" and set(want.namespaces) <= set(have.namespaces)


def policy_steps(snap: Snapshot, principal: str, policy: str, namespaces: tuple[str, ...],
                 existing: AccessEntry | None) -> list:
    """Associate unless an association already covers it; namespaces already in a namespace scope are kept
    (associating again replaces the scope)."""
    want = Scope("namespace", namespaces) if namespaces else Scope("cluster")
    have = next((p.scope for p in (existing.policies or ()) if p.name == policy), None) if existing else None
    if _covers(have, want):
        return []
    if have is not None and have.type == "namespace" and namespaces:
        namespaces = tuple(dict.fromkeys(have.namespaces + namespaces))
    return [AssociatePolicy(principal, policy, namespaces)]


def check_request(req: GrantRequest) -> None:
    """What is wrong with the request whatever the cluster (checked before anything is read)."""
    if req.namespaces and not req.policies:
        raise PlanError("--namespace scopes an access policy: give --policy too")
    if not req.policies and not req.groups:
        raise PlanError("say what to grant: --policy NAME [--namespace NS …] or --group G …")
    try:
        canonical = arns.canonicalize(req.arn.strip())
    except arns.ArnError as exc:
        raise PlanError(f"--arn {req.arn!r}: {exc}") from None
    if arns.principal_type(canonical) not in ("ROLE", "USER"):
        raise PlanError(f"--arn {req.arn}: only IAM roles and users (or a role's session ARN) can be granted access")
    if "/aws-service-role/" in req.arn:
        raise PlanError(f"{req.arn} is a service-linked role: it cannot be granted cluster access (use a regular role)")
    for value, what in [(g, "--group") for g in req.groups] + [(n, "--namespace") for n in req.namespaces]:
        if not value.strip() or value != value.strip():
            raise PlanError(f"{what} {value!r}: empty or surrounded by spaces")


def _check_policies(snap: Snapshot, req: GrantRequest) -> tuple[str, ...]:
    check_request(req)
    names = tuple(policy_name(p) for p in req.policies)
    known = snap.policies or KNOWN_POLICIES
    for name in names:
        if name not in known:
            raise PlanError(f"--policy {name}: not an EKS access policy (known: {', '.join(known)})")
    return names


def plan_grant(snap: Snapshot, req: GrantRequest, who: Grantee) -> Plan:
    names = _check_policies(snap, req)
    title = (f"grant {who.given} " + ", ".join([f"{n} ({'namespaces ' + ','.join(req.namespaces) if req.namespaces else 'cluster'})"
                                                 for n in names] + [f"group {g}" for g in req.groups]))
    if uses_entries(snap.mode):
        return _grant_entry(snap, req, who, names, title)
    return _grant_aws_auth(snap, req, who, names, title)


def _grant_entry(snap: Snapshot, req: GrantRequest, who: Grantee, names, title) -> Plan:
    t = snap.target
    for g in req.groups:
        if g == MASTERS:
            raise PlanError(f"--group {MASTERS}: access entries refuse system: groups; use --policy "
                            "AmazonEKSClusterAdminPolicy (cluster scope) instead")
        if reserved(g):
            raise PlanError(f"--group {g}: access entries refuse groups starting with {reserved(g)!r}")
    if req.username and entry_username_problem(req.username):
        raise PlanError(entry_username_problem(req.username))
    if "/aws-service-role/" in who.entry_arn:
        raise PlanError(f"{who.entry_arn} is a service-linked role: it cannot have an access entry")
    notes = list(who.notes) + [f"mode {snap.mode}: an access entry (full ARN {who.entry_arn})"]
    warnings: list[str] = []
    steps: list = []
    existing = snap.entry(who.entry_arn)
    if existing is not None:
        notes.append(f"{who.entry_arn} already has an access entry ({existing.effective_type}): it is updated, never "
                     "created again")
        if existing.effective_type != "STANDARD":
            raise PlanError(f"{who.entry_arn} has a {existing.effective_type} entry: node entries take no access "
                            "policies or groups")
        more = tuple(g for g in req.groups if g not in existing.groups)
        rename = req.username if req.username and req.username != existing.username else None
        if more or rename:
            steps.append(UpdateEntry(who.entry_arn, more, rename))
    else:
        stale = [e for e in snap.entries.entries if arns.strip_path(e.principal_arn).casefold() ==
                 arns.strip_path(who.entry_arn).casefold() and e.principal_arn.casefold() != who.entry_arn.casefold()]
        for e in stale:
            warnings.append(f"the entry {e.principal_arn} names this role without its real path: it matches no principal "
                            "(delete it once the new entry works)")
        steps.append(CreateEntry(who.entry_arn, "STANDARD", tuple(req.groups), req.username))
        row = snap.evidence().aws_auth
        if snap.mode == "API_AND_CONFIG_MAP" and row is not None:
            hit = lookup(row, who.aws_auth_arn, arns.account_of(who.aws_auth_arn) or "")
            if hit.mapping is not None:
                m = hit.mapping
                warnings.append(f"{who.aws_auth_arn} is also mapped by aws-auth {m.where} (username {m.username}, groups "
                                f"{', '.join(m.groups) or 'none'}): the new entry overrides that row, so from now on only "
                                "the entry's groups and policies count")
    for name in names:
        steps += policy_steps(snap, who.entry_arn, name, tuple(req.namespaces), existing)
    warnings += _unbound(snap, req.groups)
    return Plan(title, t, tuple(steps), tuple(notes), tuple(warnings))


def _unbound(snap: Snapshot, groups) -> list[str]:
    if snap.rbac is None or not snap.rbac.complete:
        return []
    return [f"no RBAC binding names group {g} yet: until one does, the principal authenticates but is Forbidden "
            f"(for example: {fixes.bind_group(g)})" for g in groups if g != MASTERS and not snap.rbac.group_bound(g)]


def _grant_aws_auth(snap: Snapshot, req: GrantRequest, who: Grantee, names, title) -> Plan:
    t = snap.target
    if snap.aws_auth is None:
        why = ("it does not exist (recreate it with the node roles first, as the cluster creator)" if snap.aws_auth_state == "absent"
               else f"it could not be read ({snap.aws_auth_note})")
        raise PlanError(f"mode {snap.mode} maps principals only through aws-auth, and {why}")
    notes = list(who.notes) + [f"mode {snap.mode}: an aws-auth row (path-less ARN {who.aws_auth_arn})"]
    groups = list(req.groups)
    manual: list = []
    for name in names:
        if name not in POLICY_AS_GROUP:
            raise PlanError(f"--policy {name} has no aws-auth equivalent in mode {snap.mode}; use --group with your own "
                            "RBAC, or switch the mode to use access entries")
        group, role = POLICY_AS_GROUP[name]
        if role and req.namespaces:
            group = f"{group}-{'-'.join(req.namespaces)}"
        if group not in groups:
            groups.append(group)
        if role:
            bound = snap.rbac is not None and snap.rbac.complete and snap.rbac.group_bound(group)
            for ns in (req.namespaces or (None,)):
                if not bound:
                    manual.append(Manual(fixes.bind_group(group, role, ns), CLUSTER_ADMIN,
                                         f"aws-auth has no access policies: bind group {group} to ClusterRole {role}"
                                         + (f" in {ns}" if ns else " cluster-wide")))
        notes.append(f"{name} becomes group {group}" + (" (superuser: RBAC cannot restrict it)" if group == MASTERS else ""))
    username = req.username or (f"{who.name}:{{{{SessionName}}}}" if who.kind == "role" else who.name)
    add = edits.AddRow(who.aws_auth_arn, username, tuple(groups))
    row = next((m for m in parse_data(snap.data).mappings if m.arn.casefold() == who.aws_auth_arn.casefold()), None)
    if row is not None:
        notes.append(f"{who.aws_auth_arn} already has an aws-auth row ({row.where}): it is merged (groups added), never "
                     "duplicated")
        add = edits.AddRow(row.arn, req.username or row.username,
                           tuple(dict.fromkeys(row.groups + tuple(groups))), replaces=True)
    steps: list = []
    if edits.apply_edits(snap.data, [add]) != snap.data:
        steps.append(EditAwsAuth((add,)))
    warnings = _unbound(snap, req.groups)
    return Plan(title, t, tuple(steps + manual), tuple(notes), tuple(warnings))


def keep_caller_steps(snap: Snapshot, mode: str) -> tuple[list, list[str]]:
    """Before a mode switch: the applying identity may reach the cluster only through the creator's hidden
    CONFIG_MAP mapping, which the API modes may not keep [EKS?]. Give it an admin entry right after the switch,
    so the switch cannot lock it out. ([], []) when it is mapped otherwise."""
    if not snap.caller:
        return [], []
    from ..model.identity import explain, principal_from_arn
    ev = snap.evidence(mode=mode)
    x = explain(principal_from_arn(snap.caller, iam=ev.iam_for(snap.caller)), ev)
    if x.authenticated:
        return [], []
    try:
        who = grantee(snap, snap.caller)
    except PlanError:
        return [], []
    note = (f"you ({who.entry_arn}) are mapped by neither aws-auth nor an access entry: you reach the cluster through "
            "the creator's hidden mapping, which the API modes may not keep, so an admin entry for you comes right "
            "after the switch")
    return [CreateEntry(who.entry_arn), AssociatePolicy(who.entry_arn, "AmazonEKSClusterAdminPolicy")], [note]


# --- A finding's printed fix, as steps ------------------------------------------------------------------

_GET = "kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml"
# A step offered as an option, not as part of the fix ("break-glass if nobody can log in", "legacy alternative",
# "if the cluster is in CONFIG_MAP mode"): a person decides, so it and the steps after it are printed, never run.
_CONDITIONAL = re.compile(r"alternative|break-glass if|^if |^or ", re.IGNORECASE)
_LOOKUP = re.compile(r"^\$\(aws iam get-(?P<kind>role|user) --(?:role|user)-name (?P<name>\S+) --query \w+\.Arn --output text\)$")


def lookup_in(principal: str) -> tuple[str, str] | None:
    """('role', name) for a `$(aws iam get-role --role-name NAME …)` look-up printed in a fix."""
    m = _LOOKUP.match(principal.strip())
    return (m.group("kind"), shlex.split(m.group("name"))[0]) if m else None


def _options(argv: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    key = None
    for word in argv:
        if word.startswith("--"):
            key = word[2:]
            if "=" in key:
                key, value = key.split("=", 1)
                out.setdefault(key, []).append(value)
                key = None
            else:
                out.setdefault(key, [])
        elif key is not None:
            out[key].append(word)
    return out


def _scope(text: str) -> tuple[str, ...] | None:
    parts = dict(p.split("=", 1) for p in re.split(r",(?=\w+=)", text) if "=" in p)
    if parts.get("type") == "cluster":
        return ()
    if parts.get("type") == "namespace" and parts.get("namespaces"):
        return tuple(n for n in parts["namespaces"].split(",") if n)
    return None


def step_from_command(step: FixStep, t: Target):
    """The action a printed fix command performs, when eksdoctor can perform it itself; else None."""
    if step.run_as == AFFECTED_USER or any(c in step.command for c in ("&&", "|", ";", ">")):
        return None
    try:
        argv = shlex.split(step.command)
    except ValueError:
        return None
    opts = _options(argv[3:])

    def one(name: str) -> str | None:
        values = opts.get(name) or []
        return values[0] if len(values) == 1 else None

    if argv[:2] == ["aws", "eks"] and len(argv) > 2:
        if (one("cluster-name") or one("name")) != t.cluster:
            return None
        op, principal = argv[2], one("principal-arn")
        if op == "create-access-entry" and principal:
            return CreateEntry(principal, one("type") or "STANDARD", tuple(opts.get("kubernetes-groups") or ()),
                               one("username"), step.run_as)
        if op == "update-access-entry" and principal:
            return UpdateEntry(principal, tuple(opts.get("kubernetes-groups") or ()), one("username"), step.run_as)
        if op == "associate-access-policy" and principal and one("policy-arn") and one("access-scope"):
            namespaces = _scope(one("access-scope"))
            if namespaces is not None:
                return AssociatePolicy(principal, policy_name(one("policy-arn")), namespaces, step.run_as)
        if op == "update-cluster-config" and (one("access-config") or "").startswith("authenticationMode="):
            return SwitchMode(one("access-config").split("=", 1)[1], t.auth_mode or "CONFIG_MAP", step.run_as)
        return None
    if argv[:3] == ["eksctl", "create", "iamidentitymapping"] and one("cluster") == t.cluster and one("arn"):
        return EditAwsAuth((edits.AddRow(one("arn"), one("username") or "", tuple(opts.get("group") or ())),), step.run_as)
    if argv[:3] == ["eksctl", "delete", "iamidentitymapping"] and one("cluster") == t.cluster and one("arn"):
        return EditAwsAuth((edits.RemoveRows((one("arn"),)),), step.run_as)
    return None


def steps_from_fix(fix: tuple[FixStep, ...], t: Target) -> list:
    """A finding's fix as plan steps: what eksdoctor can do safely itself becomes an action (access entries,
    policies, the mode, aws-auth edits through the safe writer); everything else is printed (Manual)."""
    out: list = []
    i = 0
    while i < len(fix):
        step = fix[i]
        if _CONDITIONAL.search(step.why):  # options come last: from the first one on, a person decides
            out += [Manual(s.command, s.run_as, s.why) for s in fix[i:]]
            break
        if step.command == _GET:  # save / sed … / replace: an aws-auth ARN rewrite
            j, rewrites = i + 1, []
            while j < len(fix) and (arns_changed := fixes.parse_sed_replace_arn(fix[j].command)):
                rewrites.append(edits.RewriteArn(*arns_changed))
                j += 1
            if rewrites and j < len(fix) and fix[j].command == "kubectl replace -f aws-auth.yaml":
                out.append(EditAwsAuth(tuple(rewrites), step.run_as))
                i = j + 1
                continue
        if step.command.startswith("aws eks wait cluster-active") and out and isinstance(out[-1], SwitchMode):
            i += 1
            continue
        if step.command == "kubectl edit -n kube-system configmap/aws-auth" and out and isinstance(out[-1], EditAwsAuth):
            i += 1  # "the same without eksctl": the alternative to the step just planned
            continue
        action = step_from_command(step, t)
        out.append(action if action is not None else Manual(step.command, step.run_as, step.why))
        i += 1
    return out


# --- Showing a plan ---------------------------------------------------------------------------------------

def render(plan: Plan, *, applying: bool, data: dict | None = None) -> str:
    """The plan for people; with the current aws-auth `data`, each aws-auth step shows its diff."""
    t = plan.target
    lines = [f"Plan for cluster {t.cluster} ({t.region}, account {t.account}, mode {t.auth_mode or 'unknown'}): {plan.title}"]
    lines += [f"  {n}" for n in plan.notes]
    for w in plan.warnings:
        lines.append(f"  warning: {w}")
    for p in plan.problems:
        lines.append(f"  cannot: {p}")
    if not plan.steps:
        lines.append("\nNothing to change: it is already in place.")
        return "\n".join(lines) + "\n"
    lines.append("")
    for n, step in enumerate(plan.steps, 1):
        who = "" if step.auto else f"  [for {step.run_as} to run; eksdoctor does not]"
        lines.append(f"  {n}. {step.describe()}{who}")
        for command in step.commands(t):
            lines.append("       " + command.replace("\n", "\n       "))
        if isinstance(step, EditAwsAuth):
            lines.append("       (eksdoctor: lint, back up, write with the resourceVersion, read back and verify)")
            if data is not None:
                try:
                    after = edits.apply_edits(data, step.edits)
                    lines += ["       " + line for line in edits.diff(data, after)]
                    data = after
                except edits.EditError as exc:
                    lines.append(f"       ({exc})")
    if not applying:
        auto = len([s for s in plan.steps if s.auto])
        lines.append(f"\nDry run: nothing was changed. Re-run with --apply to make the {auto} change(s) eksdoctor can make"
                     " (it asks first; --yes for scripts)." if auto else "\nDry run: nothing was changed.")
    return "\n".join(lines) + "\n"


def with_target_mode(plan: Plan, mode: str) -> Plan:
    return replace(plan, target=replace(plan.target, auth_mode=mode))


def grantee(snap: Snapshot, text: str) -> Grantee:
    """The principal behind an ARN as given (role, user or assumed-role session), with its full ARN from
    iam:GetRole/GetUser (already in snap.iam) and its path-less form for aws-auth."""
    text = (text or "").strip()
    try:
        canonical = arns.canonicalize(text)
    except arns.ArnError as exc:
        raise PlanError(f"--arn {text!r}: {exc}") from None
    kind = {"ROLE": "role", "USER": "user"}.get(arns.principal_type(canonical))
    if kind is None:
        raise PlanError(f"--arn {text}: only IAM roles and users (or a role's session ARN) can be granted access")
    given = text if arns.principal_type(text) in ("ROLE", "USER") else canonical
    notes: list[str] = []
    if given != text:
        notes.append(f"{text} is a session of the role {canonical}")
    parsed = arns.parse(canonical)
    if parsed.partition != snap.target.partition:
        raise PlanError(f"--arn {text}: partition {parsed.partition!r}, but the cluster is in {snap.target.partition!r}")
    if parsed.account != snap.target.account:
        full = given
        notes.append(f"{given} is in account {parsed.account}, not the cluster's {snap.target.account}: its path cannot "
                     "be checked from here (give the full ARN if it has one)")
    else:
        found = next((p for p in snap.iam if p.kind == kind and p.name.casefold() == parsed.name.casefold()), None)
        if found is not None and not found.exists:
            raise PlanError(f"there is no IAM {kind} named {parsed.name} in account {parsed.account}")
        if found is not None:
            full = found.arn
            if full != given:
                notes.append(f"full ARN from iam:Get{kind.title()}: {full}")
        elif arns.has_path(given) or kind == "user":
            full = given
            notes.append(f"iam:Get{kind.title()} was refused: using {given} as given")
        else:
            raise PlanError(f"cannot tell the path of role {parsed.name} (iam:GetRole was refused): give its full ARN "
                            f"(aws iam get-role --role-name {parsed.name} --query Role.Arn --output text)")
    if "/aws-service-role/" in full:
        raise PlanError(f"{full} is a service-linked role: it cannot be granted cluster access (use a regular role)")
    return Grantee(text, full, arns.strip_path(full) if kind == "role" else full, kind, tuple(notes))

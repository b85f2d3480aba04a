"""Facts many checks need, read from the bundle's records: who is calling, which cluster, aws-auth.

Pure functions of the Bundle; each returns None when the evidence is absent or failed.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

from ..bundle import Bundle, Call
from . import arn as arns
from .access import AccessEntries, EntriesBuilder, IamPrincipal
from .access import parse_time as parse_entry_time
from .awsauth import AwsAuth, configmap_data, parse_data
from .authlog import creator_from_logs
from .creator import HISTORY_DAYS, Creator, creator_from_entries, creator_from_events
from .identity import ClusterEvidence, Explanation, Principal, explain, principal_from_arn
from .rbac import DEFAULT_QUESTION, Decision, Question, Rbac, authorize, parse_forbidden

AWS_AUTH = "configmaps/kube-system/aws-auth"


@dataclass(frozen=True)
class Identity:
    arn: str  # as STS returned it
    canonical: str | None  # as the authenticator maps it (None when it would reject the ARN)
    account: str
    user_id: str
    pointer: str

    @property
    def session(self) -> str:
        return self.user_id.split(":", 1)[1] if ":" in self.user_id else ""


def identity(bundle: Bundle, as_: str = "exec") -> Identity | None:
    call = bundle.first_ok("aws", "sts:GetCallerIdentity", as_=as_)
    if call is None or not isinstance(call.response, dict):
        return None
    arn = str(call.response.get("Arn") or "")
    if not arn:
        return None
    try:
        canonical = arns.canonicalize(arn)
    except arns.ArnError:
        canonical = None
    return Identity(arn, canonical, str(call.response.get("Account") or arns.account_of(arn) or ""),
                    str(call.response.get("UserId") or ""), call.pointer)


@dataclass(frozen=True)
class Cluster:
    name: str
    arn: str
    region: str
    account: str
    partition: str
    raw: dict
    pointer: str

    @property
    def auth_mode(self) -> str | None:
        access = self.raw.get("accessConfig")
        return access.get("authenticationMode") if isinstance(access, dict) else None


def cluster(bundle: Bundle) -> Cluster | None:
    call = bundle.first_ok("aws", "eks:DescribeCluster")
    if call is None or not isinstance(call.response, dict) or not isinstance(call.response.get("cluster"), dict):
        return None
    raw = call.response["cluster"]
    parsed = arns.try_parse(str(raw.get("arn") or ""))
    target = bundle.target
    return Cluster(
        name=str(raw.get("name") or target.get("cluster") or ""),
        arn=str(raw.get("arn") or ""),
        region=(parsed.region if parsed else None) or target.get("region") or "",
        account=(parsed.account if parsed else None) or target.get("account") or "",
        partition=(parsed.partition if parsed else None) or "aws",
        raw=raw,
        pointer=call.pointer,
    )


@dataclass(frozen=True)
class Target:
    """The names a fix command needs, from the best evidence available."""

    cluster: str
    region: str
    account: str
    partition: str
    auth_mode: str | None


def target(bundle: Bundle) -> Target:
    c = cluster(bundle)
    t = bundle.target
    ident = identity(bundle)
    partition = (c.partition if c else None) or (arns.partition_of(ident.arn) if ident else None) or "aws"
    return Target(
        cluster=str((c.name if c else None) or t.get("cluster") or "<cluster>"),  # str: a hand-made target may hold numbers
        region=str((c.region if c else None) or t.get("region") or "<region>"),
        account=str((c.account if c else None) or t.get("account") or (ident.account if ident else "") or "<account>"),
        partition=partition,
        auth_mode=c.auth_mode if c else None,
    )


def aws_auth_call(bundle: Bundle) -> Call | None:
    """The aws-auth record that was read successfully, else the last failed attempt."""
    calls = bundle.kube(AWS_AUTH)
    return next((c for c in calls if c.ok), calls[-1] if calls else None)


def aws_auth(bundle: Bundle) -> tuple[AwsAuth | None, Call | None]:
    """The parsed aws-auth, parsed once per bundle (10,000 rows take a while; several checks ask)."""
    def build():
        call = aws_auth_call(bundle)
        if call is None or not call.ok:
            return None, call
        return parse_data(configmap_data(call.response)), call
    return _memo(bundle, "aws_auth", build)


# --- The server side: the cluster's identity evidence, read once per bundle ------------------------

_MEMO: "weakref.WeakKeyDictionary[Bundle, dict]" = weakref.WeakKeyDictionary()


def _memo(bundle: Bundle, key: str, build):
    cache = _MEMO.setdefault(bundle, {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def _error_label(call: Call) -> str:
    err = call.error or {}
    status = err.get("http_status")
    return f"{call.error_code or 'error'}{f' (HTTP {status})' if status else ''} as {call.as_}"


def aws_auth_state(bundle: Bundle) -> tuple[str, str]:
    """read / absent (404: the ConfigMap does not exist) / unreadable / not collected, and a note."""
    calls = bundle.kube(AWS_AUTH)
    if not calls:
        return "not collected", ""
    if any(c.ok for c in calls):
        return "read", ""
    for c in calls:
        if (c.error or {}).get("http_status") == 404 or c.error_code in ("NotFound", "404"):
            return "absent", _error_label(c)
    return "unreadable", "; ".join(_error_label(c) for c in calls)


def access_entries(bundle: Bundle) -> AccessEntries | None:
    keys = ("eks:ListAccessEntries", "eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies")
    if not any(bundle.aws(k) for k in keys):
        return None
    builder = EntriesBuilder()
    errors = []
    listed = False
    for call in bundle.aws("eks:ListAccessEntries"):
        if call.ok and isinstance(call.response, dict):
            builder.add_list(call.response, call.pointer)
            listed = True
        elif call.error:
            errors.append(_error_label(call))
    for call in bundle.aws("eks:DescribeAccessEntry"):
        if call.ok and isinstance(call.response, dict):
            builder.add_description(call.response, call.pointer)
    for call in bundle.aws("eks:ListAssociatedAccessPolicies"):
        if call.ok and isinstance(call.response, dict):
            builder.add_policies(str(call.request.get("principalArn") or ""), call.response, call.pointer)
    builder.error = "" if listed else "; ".join(errors)  # one identity's refusal is moot when another read them
    return builder.build()


def iam_principals(bundle: Bundle) -> tuple[IamPrincipal, ...]:
    found = []
    for key, kind, name_field, body_field, id_field in (("iam:GetRole", "role", "RoleName", "Role", "RoleId"),
                                                         ("iam:GetUser", "user", "UserName", "User", "UserId")):
        for call in bundle.aws(key):
            name = str(call.request.get(name_field) or "")
            body = call.response.get(body_field) if call.ok and isinstance(call.response, dict) else None
            if isinstance(body, dict):
                found.append(IamPrincipal(str(body.get(name_field) or name), kind, True, str(body.get("Arn") or ""),
                                          str(body.get(id_field) or ""), parse_entry_time(body.get("CreateDate")), call.pointer))
            elif call.error_code in ("NoSuchEntity", "NoSuchEntityException") and name:
                found.append(IamPrincipal(name, kind, False, pointer=call.pointer))
    return tuple(found)


def creator(bundle: Bundle, entries: AccessEntries | None = None) -> tuple[Creator | None, str]:
    """The creator and, when unknown, why (the note says which evidence was missing)."""
    c = cluster(bundle)
    name = c.name if c else (bundle.target.get("cluster") or "")
    created = parse_entry_time(c.raw.get("createdAt")) if c else None
    calls = bundle.aws("cloudtrail:LookupEvents")
    note = ""
    for call in calls:
        if call.ok and isinstance(call.response, dict):
            found = creator_from_events(call.response, name, created, call.pointer)
            if found:
                return found, ""
    if any(call.ok for call in calls):
        note = (f"CloudTrail has no CreateCluster event for {name}: event history keeps only {HISTORY_DAYS} days "
                "(look in an organization trail or CloudTrail Lake)")
    elif calls:
        note = f"CloudTrail could not be searched ({'; '.join(_error_label(c) for c in calls)})"
    else:
        note = "CloudTrail was not searched for the creator"
    by_entry = creator_from_entries(entries, created) if entries is not None else None
    if by_entry:
        return by_entry, ""
    logged = creator_from_logs(bundle)
    if logged:
        arn, grants = logged
        line = grants.lines[0] if grants.lines else None
        return Creator(arn, "authenticator log", session_arn=arn, pointer=line.pointer if line else ""), ""
    return None, note


def cluster_evidence(bundle: Bundle) -> ClusterEvidence:
    def build() -> ClusterEvidence:
        c = cluster(bundle)
        access = (c.raw.get("accessConfig") if c else None) or {}
        parsed, _ = aws_auth(bundle)
        state, note = aws_auth_state(bundle)
        entries = access_entries(bundle)
        found, creator_note = creator(bundle, entries)
        t = target(bundle)
        return ClusterEvidence(
            mode=c.auth_mode if c else None,
            bootstrap=access.get("bootstrapClusterCreatorAdminPermissions") if isinstance(access, dict) else None,
            aws_auth=parsed, aws_auth_state=state, aws_auth_note=note, entries=entries,
            creator=found, creator_note=creator_note, iam=iam_principals(bundle),
            partition=t.partition, account=c.account if c else (t.account if not t.account.startswith("<") else ""))
    return _memo(bundle, "cluster_evidence", build)


def caller_principal(bundle: Bundle, as_: str = "exec") -> Principal | None:
    ident = identity(bundle, as_)
    if ident is None:
        return None
    ev = cluster_evidence(bundle)
    return principal_from_arn(ident.arn, iam=ev.iam_for(ident.arn), user_id=ident.user_id)


def caller_explanation(bundle: Bundle) -> Explanation | None:
    def build():
        p = caller_principal(bundle)
        return explain(p, cluster_evidence(bundle)) if p else None
    return _memo(bundle, "caller_explanation", build)


def explain_for(bundle: Bundle, arn: str) -> Explanation:
    """What another principal (a node role, the creator, …) becomes on this cluster."""
    ev = cluster_evidence(bundle)
    return explain(principal_from_arn(arn, iam=ev.iam_for(arn)), ev)


# --- Authorization evidence -----------------------------------------------------------------------

def rbac(bundle: Bundle) -> Rbac | None:
    def build():
        lists = []
        for key in ("clusterrolebindings", "rolebindings", "clusterroles", "roles"):
            call = bundle.first_ok("kubernetes", key)
            lists.append(call.response if call and isinstance(call.response, dict) else None)
        return None if lists[0] is None and lists[1] is None else Rbac.from_lists(*lists)
    return _memo(bundle, "rbac", build)


def question(bundle: Bundle) -> Question:
    """What the caller tried: the 403 text of the symptom, else the default (list pods in default)."""
    found = parse_forbidden(str(bundle.symptom.get("output") or ""))
    return found[1] if found else DEFAULT_QUESTION


def kube_user(bundle: Bundle) -> tuple[str, tuple[str, ...]] | None:
    """Who the API server says the caller is (a SelfSubjectReview), the ground truth when present."""
    call = bundle.first_ok("kubernetes", "selfsubjectreviews", as_="exec")
    info = ((call.response or {}).get("status") or {}).get("userInfo") if call and isinstance(call.response, dict) else None
    if not isinstance(info, dict) or not info.get("username"):
        return None
    return str(info["username"]), tuple(str(g) for g in info.get("groups") or [])


def access_review(bundle: Bundle, q: Question) -> tuple[bool, str] | None:
    """A recorded SelfSubjectAccessReview for this question: (allowed, pointer)."""
    want = q.spec()["resourceAttributes"]
    for call in bundle.kube("selfsubjectaccessreviews", as_="exec"):
        attrs = (call.request.get("resourceAttributes") or {}) if call.ok else {}
        same = all(str(attrs.get(k) or "") == str(want.get(k) or "") for k in ("verb", "resource", "group", "namespace", "subresource"))
        status = (call.response or {}).get("status") if isinstance(call.response, dict) else None
        if same and isinstance(status, dict):
            return bool(status.get("allowed")), call.pointer
    return None


def caller_decision(bundle: Bundle, q: Question | None = None) -> Decision | None:
    """Can the diagnosed caller do what it tried? A recorded access review, then the symptom's
    403, win over the model."""
    q = q or question(bundle)
    x = caller_explanation(bundle)
    review = access_review(bundle, q)
    if review is not None:
        return Decision(review[0], q, ("SelfSubjectAccessReview",) if review[0] else (), (f"answered by {review[1]}",))
    if x is None or not x.authenticated:
        return None
    who = kube_user(bundle) or (x.username or "", x.groups)
    policies_known = x.entry is None or x.entry.policies is not None
    decision = authorize(who[0], who[1], x.policies, rbac(bundle), q, policies_known=policies_known)
    forbidden = parse_forbidden(str(bundle.symptom.get("output") or ""))
    if decision.allowed is None and forbidden and forbidden[1] == q:
        return Decision(False, q, (), decision.notes + (f"the API server answered 403 Forbidden for {forbidden[0]!r}",))
    return decision


def node_roles(bundle: Bundle) -> list[tuple[str, str, str, str]]:
    """Roles EKS-managed compute runs as: (kind, owner, role ARN, pointer); kind is
    'nodegroup', 'windows nodegroup' or 'fargate'."""
    out = []
    for call in bundle.aws("eks:DescribeNodegroup"):
        ng = (call.response or {}).get("nodegroup") if call.ok and isinstance(call.response, dict) else None
        if isinstance(ng, dict) and ng.get("nodeRole"):
            kind = "windows nodegroup" if str(ng.get("amiType") or "").startswith("WINDOWS") else "nodegroup"
            out.append((kind, str(ng.get("nodegroupName") or ""), str(ng["nodeRole"]), call.pointer))
    for call in bundle.aws("eks:DescribeFargateProfile"):
        fp = (call.response or {}).get("fargateProfile") if call.ok and isinstance(call.response, dict) else None
        if isinstance(fp, dict) and fp.get("podExecutionRoleArn"):
            out.append(("fargate", str(fp.get("fargateProfileName") or ""), str(fp["podExecutionRoleArn"]), call.pointer))
    return out

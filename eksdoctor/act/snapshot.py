"""Read what a plan needs, as the identity that will apply it: the cluster (mode, partition), every access
entry with its policies, node and Fargate roles, IAM principals (their full ARNs), aws-auth, RBAC bindings.

Reads only (ApplyClient's read operations and Kubernetes GETs); the result is a plan.Snapshot.
"""
from __future__ import annotations

from ..errors import UserError
from ..model import arn as arns
from ..model.access import AccessEntries, EntriesBuilder, IamPrincipal, parse_time
from ..model.awsauth import parse_data
from ..model.evidence import Target
from ..model.rbac import Rbac
from . import configmap
from .client import ApplyClient, AwsError
from .plan import Snapshot

MAX_ENTRIES = 500
RBAC = {"clusterrolebindings": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "rolebindings": "/apis/rbac.authorization.k8s.io/v1/rolebindings"}


class ClusterUnreadable(Exception):
    """The cluster could not be read well enough to plan anything (exit 3)."""


def describe_cluster(client: ApplyClient, name: str) -> dict:
    try:
        return client.call("eks", "DescribeCluster", name=name)["cluster"]
    except AwsError as exc:
        if exc.code == "ResourceNotFoundException":
            raise UserError(f"no cluster named {name!r} in {client.region}: {exc.message}") from None
        raise ClusterUnreadable(f"eks:DescribeCluster {name}: {exc}") from None


def read_entries(client: ApplyClient, name: str, mode: str) -> AccessEntries:
    if mode == "CONFIG_MAP":
        return AccessEntries((), False, "CONFIG_MAP mode: the cluster has no access entries")
    builder = EntriesBuilder()
    try:
        listed = client.call("eks", "ListAccessEntries", clusterName=name)
    except AwsError as exc:
        raise ClusterUnreadable(f"eks:ListAccessEntries: {exc}") from None
    builder.add_list(listed)
    for principal in (listed.get("accessEntries") or [])[:MAX_ENTRIES]:
        try:
            builder.add_description(client.call("eks", "DescribeAccessEntry", clusterName=name, principalArn=principal))
            builder.add_policies(principal, client.call("eks", "ListAssociatedAccessPolicies", clusterName=name,
                                                        principalArn=principal))
        except AwsError as exc:
            if exc.code != "ResourceNotFoundException":  # deleted in between: it is simply gone
                raise ClusterUnreadable(f"access entry {principal}: {exc}") from None
    return builder.build()


def node_roles(client: ApplyClient, name: str) -> tuple[tuple[str, str, str], ...]:
    out = []
    try:
        for group in client.call("eks", "ListNodegroups", clusterName=name).get("nodegroups") or []:
            ng = client.call("eks", "DescribeNodegroup", clusterName=name, nodegroupName=group)["nodegroup"]
            kind = "windows nodegroup" if str(ng.get("amiType") or "").startswith("WINDOWS") else "nodegroup"
            out.append((kind, group, ng.get("nodeRole") or ""))
        for profile in client.call("eks", "ListFargateProfiles", clusterName=name).get("fargateProfileNames") or []:
            fp = client.call("eks", "DescribeFargateProfile", clusterName=name, fargateProfileName=profile)["fargateProfile"]
            out.append(("fargate", profile, fp.get("podExecutionRoleArn") or ""))
    except AwsError as exc:
        raise ClusterUnreadable(f"node groups / Fargate profiles: {exc}") from None
    return tuple(r for r in out if r[2])


def iam_principal(client: ApplyClient, kind: str, name: str) -> IamPrincipal | None:
    """iam:GetRole / GetUser: the full ARN and principal ID; exists=False for NoSuchEntity; None when denied."""
    op, field, id_field = ("GetRole", "Role", "RoleId") if kind == "role" else ("GetUser", "User", "UserId")
    try:
        body = client.call("iam", op, **{f"{field}Name": name})[field]
    except AwsError as exc:
        if exc.code in ("NoSuchEntity", "NoSuchEntityException"):
            return IamPrincipal(name, kind, False)
        return None
    return IamPrincipal(body.get(f"{field}Name") or name, kind, True, body.get("Arn") or "", body.get(id_field) or "",
                        parse_time(body.get("CreateDate")))


def _iam_for(client: ApplyClient, account: str, candidates) -> tuple[IamPrincipal, ...]:
    seen, out = set(), []
    for text in candidates:
        parsed = arns.try_parse(text or "")
        if parsed is None or parsed.account != account:
            continue
        kind = {"assumed-role": "role"}.get(parsed.resource_type, parsed.resource_type)
        name = text.rsplit("/", 2)[-2] if parsed.resource_type == "assumed-role" else parsed.name
        if kind not in ("role", "user") or (kind, name.casefold()) in seen:
            continue
        seen.add((kind, name.casefold()))
        found = iam_principal(client, kind, name)
        if found is not None:
            out.append(found)
    return tuple(out)


def read_snapshot(client: ApplyClient, name: str, *, extra_principals=()) -> tuple[Snapshot, object]:
    """The Snapshot and the Kubernetes client (as the same identity) its aws-auth was read with."""
    cluster = describe_cluster(client, name)
    try:
        caller = client.call("sts", "GetCallerIdentity").get("Arn") or ""
    except AwsError:
        caller = ""
    parsed = arns.try_parse(cluster.get("arn") or "")
    access = cluster.get("accessConfig") or {}
    mode = access.get("authenticationMode") or "CONFIG_MAP"
    target = Target(cluster=name, region=(parsed.region if parsed else client.region), account=parsed.account if parsed else "",
                    partition=parsed.partition if parsed else "aws", auth_mode=mode)
    entries = read_entries(client, name, mode)
    try:
        policies = tuple(p["name"] for p in client.call("eks", "ListAccessPolicies").get("accessPolicies") or [])
    except AwsError:
        policies = ()
    nodes = node_roles(client, name)
    kube = client.kube(cluster)
    state, note, obj = "read", "", None
    try:
        current = configmap.read(kube)
        obj = current.obj if current is not None else None
        state = "read" if current is not None else "absent"
    except configmap.WriteError as exc:
        state, note = "unreadable", str(exc)
    lists = {}
    for key, path in RBAC.items():
        result = kube.request("GET", path)
        lists[key] = result["body"] if result.get("status") == 200 and isinstance(result.get("body"), dict) else None
    rbac = Rbac.from_lists(lists["clusterrolebindings"], lists["rolebindings"], None, None) \
        if any(v is not None for v in lists.values()) else None
    rows = [m.arn for m in parse_data(dict((obj or {}).get("data") or {})).mappings if m.arn]
    candidates = [caller] + list(extra_principals) + rows + [e.principal_arn for e in entries.entries] + [r for _, _, r in nodes]
    snap = Snapshot(target, mode, entries, obj, state, note, nodes, _iam_for(client, target.account, candidates),
                    policies, rbac, access.get("bootstrapClusterCreatorAdminPermissions"), caller)
    return snap, kube

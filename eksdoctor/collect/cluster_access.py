"""Collectors for who the cluster lets in: access entries and policies, node and Fargate roles,
IAM principals, the creator (CloudTrail), OIDC identity providers, RBAC and the Self*Reviews, console permissions.

Reads only. Each call's failure is kept as evidence (an AccessDenied says who must look instead).
A read the caller is refused is repeated with --admin-profile when one was given (`as: admin`).
"""
from __future__ import annotations

import json

from ..model import arn as arns
from . import aws
from .cloud import reader_credentials
from .cluster_api import AWS_AUTH_PATH, kube_client
from .graph import fan_out
from .kube import kube_record

MAX_PRINCIPALS = 60
DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException"}
RBAC_LISTS = {
    "clusterrolebindings": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "rolebindings": "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    "clusterroles": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "roles": "/apis/rbac.authorization.k8s.io/v1/roles",
}
AWS_AUTH_KEY = "configmaps/kube-system/aws-auth"
DEFAULT_QUESTION = {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}}


def read(ctx, service: str, operation: str, request: dict | None = None):
    """Call as the reader; if refused and an admin profile was given, call again as admin."""
    return read_all(ctx, [(service, operation, request)])[0]


def read_all(ctx, calls: list[tuple[str, str, dict | None]]) -> list:
    """Independent reads (service, operation, request) sent at once, each like read(); recorded in
    the order given; their responses (None when refused or failed)."""
    creds = reader_credentials(ctx)

    def one(call) -> list[dict]:
        entries = [aws.call_entry(ctx, creds, *call)]
        if ctx.options.admin_profile and (entries[0].get("error") or {}).get("code") in DENIED:
            entries.append(aws.call_entry(ctx, admin_credentials(ctx), *call))
        return entries
    answers = fan_out(one, calls)
    for (service, operation, _), entries in zip(calls, answers):
        for entry in entries:
            ctx.record("aws", f"{service}:{operation}", entry)
    return [entries[-1].get("response") for entries in answers]


def admin_credentials(ctx) -> aws.Credentials:
    with ctx.once("admin_creds") as first:
        if first:
            ctx.set_fact("admin_creds", aws.make_session("admin", profile=ctx.options.admin_profile,
                                                         region=ctx.data["target"].get("region")))
    return ctx.fact("admin_creds")


def _cluster(ctx) -> str | None:
    return ctx.data["target"].get("cluster")


def collect_access_entries(ctx) -> None:
    name = _cluster(ctx)
    if not name:
        return
    listed, _ = read_all(ctx, [("eks", "ListAccessEntries", {"clusterName": name}), ("eks", "ListAccessPolicies", {})])
    ctx.set_fact("access_entry_arns", (listed or {}).get("accessEntries") or [])


def _caller(ctx) -> tuple[str | None, str | None]:
    """The exec identity's STS ARN and canonical ARN, from what identity_exec recorded."""
    for record in ctx.data["aws"].get("sts:GetCallerIdentity") or []:
        if record.get("as") == "exec" and isinstance(record.get("response"), dict):
            raw = record["response"].get("Arn")
            try:
                return raw, arns.canonicalize(raw)
            except arns.ArnError:
                return raw, None
    return None, None


def _asked(ctx) -> str | None:
    """The principal `explain --cluster` asks about, canonical (None when not asked or not an ARN)."""
    try:
        return arns.canonicalize(ctx.options.principal) if ctx.options.principal else None
    except arns.ArnError:
        return None


def principals_that_matter(ctx) -> list[str]:
    """Entries to describe: the caller's and the asked principal's (matched by path-less ARN), or all
    of them with --all."""
    entries = ctx.fact("access_entry_arns") or []
    if ctx.options.all_entries:
        return entries[:MAX_PRINCIPALS * 10]
    wanted = [c for c in (_caller(ctx)[1], _asked(ctx)) if c]
    mine = [e for e in entries if any(arns.same_principal(arns.strip_path(e), arns.strip_path(c)) for c in wanted)]
    return mine or list(dict.fromkeys(wanted))


def collect_access_entry_details(ctx) -> None:
    name = _cluster(ctx)
    if not name:
        return
    read_all(ctx, [("eks", operation, {"clusterName": name, "principalArn": principal})
                   for principal in principals_that_matter(ctx)
                   for operation in ("DescribeAccessEntry", "ListAssociatedAccessPolicies")])


def collect_identity_providers(ctx) -> None:
    """eks:ListIdentityProviderConfigs, then DescribeIdentityProviderConfig for each (issuer, client id, prefixes)."""
    name = _cluster(ctx)
    if not name:
        return
    listed = read(ctx, "eks", "ListIdentityProviderConfigs", {"clusterName": name}) or {}
    configs = [c for c in (listed.get("identityProviderConfigs") or [])[:MAX_PRINCIPALS] if isinstance(c, dict) and c.get("name")]
    read_all(ctx, [("eks", "DescribeIdentityProviderConfig", {
        "clusterName": name, "identityProviderConfig": {"type": c.get("type") or "oidc", "name": c["name"]}}) for c in configs])


def collect_nodegroups(ctx) -> None:
    name = _cluster(ctx)
    if not name:
        return
    groups, profiles = read_all(ctx, [("eks", "ListNodegroups", {"clusterName": name}),
                                      ("eks", "ListFargateProfiles", {"clusterName": name})])
    read_all(ctx, [("eks", "DescribeNodegroup", {"clusterName": name, "nodegroupName": group})
                   for group in ((groups or {}).get("nodegroups") or [])[:MAX_PRINCIPALS]] +
                  [("eks", "DescribeFargateProfile", {"clusterName": name, "fargateProfileName": profile})
                   for profile in ((profiles or {}).get("fargateProfileNames") or [])[:MAX_PRINCIPALS]])


def collect_creator(ctx) -> None:
    """cloudtrail:LookupEvents for CreateCluster in the cluster's region, pages until this cluster's event."""
    name = _cluster(ctx)
    creds = reader_credentials(ctx)
    if not name or creds.session is None:
        return
    request = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]}
    entry: dict = {"as": creds.label, "request": request}
    events: list = []
    try:
        client = creds.client("cloudtrail", ctx.data["target"].get("region"))
        token = None
        for _ in range(20):  # at most 20 pages (1,000 events) of CreateCluster calls
            page = client.lookup_events(**request, **({"NextToken": token} if token else {}))
            events += page.get("Events") or []
            token = page.get("NextToken")
            if not token or any(_names_cluster(e, name) for e in events):
                break
        entry["response"] = aws.to_cli_json({"Events": events, **({"NextToken": token} if token else {})})
    except aws.call_errors() as exc:
        entry["error"] = aws.error_record(exc)
    ctx.record("aws", "cloudtrail:LookupEvents", entry)


def _names_cluster(event: dict, name: str) -> bool:
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except ValueError:
        return False
    params = detail.get("requestParameters") or {}
    return params.get("name") == name


def _iam_names(ctx, candidates: list[str]) -> tuple[set[str], set[str]]:
    """Role and user names (same account as the cluster) worth a GetRole/GetUser."""
    account = ctx.data["target"].get("account")
    roles, users = set(), set()
    for text in candidates:
        parsed = arns.try_parse(text or "")
        if parsed is None or parsed.service != "iam" or (account and parsed.account != account):
            continue
        if parsed.resource_type == "role":
            roles.add(parsed.name)
        elif parsed.resource_type == "user":
            users.add(parsed.name)
    return roles, users


def _principal_arns(ctx) -> list[str]:
    """Every principal the evidence names: the one `explain` asks about, access entries, node and Fargate roles, aws-auth, the creator."""
    candidates: list[str] = [a for a in (_asked(ctx),) if a]
    candidates += ctx.fact("access_entry_arns") or []
    for record in ctx.data["aws"].get("eks:DescribeNodegroup") or []:
        candidates.append(((record.get("response") or {}).get("nodegroup") or {}).get("nodeRole") or "")
    for record in ctx.data["aws"].get("eks:DescribeFargateProfile") or []:
        candidates.append(((record.get("response") or {}).get("fargateProfile") or {}).get("podExecutionRoleArn") or "")
    candidates += _aws_auth_arns(ctx)
    candidates += _creator_arns(ctx)
    return candidates


def _aws_auth_arns(ctx) -> list[str]:
    from ..model.awsauth import configmap_data, parse_data
    for record in ctx.data["kubernetes"].get("configmaps/kube-system/aws-auth") or []:
        if isinstance(record.get("response"), dict):
            return [m.arn for m in parse_data(configmap_data(record["response"])).mappings if m.arn]
    return []


def _creator_arns(ctx) -> list[str]:
    found = []
    for record in ctx.data["aws"].get("cloudtrail:LookupEvents") or []:
        for event in (record.get("response") or {}).get("Events") or []:
            try:
                identity = json.loads(event.get("CloudTrailEvent") or "{}").get("userIdentity") or {}
            except ValueError:
                continue
            issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
            found += [a for a in (issuer, identity.get("arn")) if a]
    return found


def collect_iam_caller(ctx) -> None:
    """The caller's own IAM role or user (its path, for the console check), as soon as it is known."""
    _, canonical = _caller(ctx)
    _read_iam(ctx, *_iam_names(ctx, [canonical] if canonical else []))


def collect_iam_principals(ctx) -> None:
    """Every other principal the evidence names (the caller's was read by iam_caller)."""
    roles, users = _iam_names(ctx, _principal_arns(ctx))
    done = {(k, (r.get("request") or {}).get(f)) for k, f in (("iam:GetRole", "RoleName"), ("iam:GetUser", "UserName"))
            for r in ctx.data["aws"].get(k) or []}
    _read_iam(ctx, {n for n in roles if ("iam:GetRole", n) not in done}, {n for n in users if ("iam:GetUser", n) not in done})


def _read_iam(ctx, roles: set[str], users: set[str]) -> None:
    read_all(ctx, [("iam", "GetRole", {"RoleName": name}) for name in sorted(roles)[:MAX_PRINCIPALS]] +
                  [("iam", "GetUser", {"UserName": name}) for name in sorted(users)[:MAX_PRINCIPALS]])


def collect_console_permissions(ctx) -> None:
    """iam:SimulatePrincipalPolicy for what the console needs, for the caller's full IAM ARN."""
    raw, canonical = _caller(ctx)
    cluster_arn = None
    for record in ctx.data["aws"].get("eks:DescribeCluster") or []:
        cluster_arn = ((record.get("response") or {}).get("cluster") or {}).get("arn") or cluster_arn
    if not canonical or not cluster_arn or arns.principal_type(canonical) not in ("ROLE", "USER"):
        return
    full = _full_arn(ctx, canonical)
    read(ctx, "iam", "SimulatePrincipalPolicy", {
        "PolicySourceArn": full, "ActionNames": ["eks:AccessKubernetesApi", "eks:DescribeCluster"],
        "ResourceArns": [cluster_arn]})


def _full_arn(ctx, canonical: str) -> str:
    """The caller's IAM ARN with its path, from iam:GetRole/GetUser when it was read."""
    name = arns.try_parse(canonical).name
    for key, field in (("iam:GetRole", "Role"), ("iam:GetUser", "User")):
        for record in ctx.data["aws"].get(key) or []:
            found = (record.get("response") or {}).get(field) or {}
            if found.get("Arn") and arns.try_parse(found["Arn"]).name == name:
                return found["Arn"]
    return canonical


def collect_rbac(ctx) -> None:
    """RBAC lists and the Self*Reviews, when the API server lets the caller in."""
    client = kube_client(ctx)
    if client is None or ctx.fact("probe_status") in (None, 401):
        _admin_reads(ctx, ("clusterrolebindings", "rolebindings", "clusterroles", "roles"))
        return
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    specs = list(ctx.options.questions or (DEFAULT_QUESTION,))
    sends = ([("selfsubjectreviews", "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, review)] +
             [("selfsubjectaccessreviews", "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
               {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}, spec)
              for spec in specs] +
             [(key, "GET", path, None, {"path": path}) for key, path in RBAC_LISTS.items()])
    results = fan_out(lambda send: client.request(send[1], send[2], send[3]), sends)
    refused = []
    for (key, _, _, _, request), result in zip(sends, results):
        record = kube_record(result, request, "exec")
        ctx.record("kubernetes", key, record)
        if key in RBAC_LISTS and "error" in record:
            refused.append(key)
    _admin_reads(ctx, tuple(refused))


def admin_token(ctx) -> str | None:
    """An EKS token for --admin-profile, made like `aws eks get-token` (presigned locally; no call).
    Kept in memory only, to read what the affected user cannot."""
    name = _cluster(ctx)
    if not ctx.options.admin_profile or not name:
        return None
    with ctx.once("admin_token") as first:
        if first:
            ctx.set_fact("admin_token", _presigned_token(admin_credentials(ctx), name, ctx.data["target"].get("region")))
    return ctx.fact("admin_token")


def _presigned_token(creds: aws.Credentials, cluster: str, region: str | None) -> str | None:
    import base64

    from botocore.exceptions import BotoCoreError
    if creds.session is None:
        return None
    try:
        sts = creds.session.create_client("sts", region_name=region or "us-east-1", config=aws.client_config())
        sts.meta.events.register("before-sign.sts.GetCallerIdentity",
                                 lambda request, **_: request.headers.__setitem__("x-k8s-aws-id", cluster))
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    except BotoCoreError:
        return None
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")


def _admin_reads(ctx, keys: tuple[str, ...]) -> None:
    """Read these (RBAC lists, aws-auth) as --admin-profile when the affected user could not."""
    if not keys:
        return
    token = admin_token(ctx)
    base = kube_client(ctx)
    if token is None or base is None:
        return
    client = base.with_token(token)
    paths = [RBAC_LISTS.get(key) or AWS_AUTH_PATH for key in keys]
    for key, path, result in zip(keys, paths, fan_out(lambda path: client.request("GET", path), paths)):
        ctx.record("kubernetes", key, kube_record(result, {"path": path}, "admin"))


def collect_aws_auth_as_admin(ctx) -> None:
    records = ctx.data["kubernetes"].get(AWS_AUTH_KEY) or []
    if not any("response" in r for r in records):
        _admin_reads(ctx, (AWS_AUTH_KEY,))

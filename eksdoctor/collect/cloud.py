"""Collectors for AWS: the identity kubectl's exec plugin presents (and the shell's), the cluster,
and the identity the exec plugin's token itself carries (replayed to STS like the authenticator).

The exec identity is rebuilt the way the plugin builds it: its env over the process env, --profile
beating env keys, env keys beating AWS_PROFILE, then --role-arn assumed (Credentials never stored).
The token is sent only to a genuine STS host of the cluster's partition or the configured endpoint.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ..model import arn as arns
from ..model import token as tokens
from ..model.execargs import AWS_CLI, exec_env
from . import aws
from .graph import fan_out, user_agent

DEFAULT_SESSION_NAME = "EKSGetTokenAuth"  # aws eks get-token --role-arn without --session-name
AUTHENTICATOR_SESSION_NAME = "eksdoctor"  # aws-iam-authenticator names its own sessions; any name presents the same role
REPLAY_TIMEOUT = 10.0  # the authenticator's own STS timeout


def _profile_env_names(tool: str | None) -> tuple[str, ...]:
    # botocore (the AWS CLI) reads AWS_DEFAULT_PROFILE before AWS_PROFILE; the Go SDK only AWS_PROFILE
    return ("AWS_DEFAULT_PROFILE", "AWS_PROFILE") if tool in (AWS_CLI, None) else ("AWS_PROFILE",)


def resolve(environ: dict, overlay: dict, args) -> dict:
    """How the plugin picks its credentials, from the env and args alone (no AWS call)."""
    env = {**environ, **overlay}
    tool = args.tool if args else None
    keys_from = None
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        keys_from = "exec.env" if overlay.get("AWS_ACCESS_KEY_ID") else "shell"
    env_profile, env_profile_from = None, None
    for name in _profile_env_names(tool):
        if env.get(name):
            env_profile, env_profile_from = env[name], f"{'exec.env' if name in overlay else 'shell'} {name}"
            break
    out = {"tool": tool, "env_keys": keys_from, "has_session_token": bool(env.get("AWS_SESSION_TOKEN")) if keys_from else None,
           "region": (args.region if args else None) or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
           "endpoint_url": (args.endpoint_url if args else None) or env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL")}
    if args and args.profile:
        out.update(profile=args.profile, profile_from="--profile")
    elif keys_from:
        out.update(profile=None, profile_from=None)
        if env_profile:
            out["ignored_profile"] = {"name": env_profile, "from": env_profile_from}
    else:
        out.update(profile=env_profile, profile_from=env_profile_from)
        pinned = overlay.get("AWS_PROFILE")
        if pinned and env_profile != pinned:  # botocore reads the shell's AWS_DEFAULT_PROFILE first
            out["ignored_profile"] = {"name": pinned, "from": "exec.env AWS_PROFILE", "beaten_by": env_profile_from}
    if args and args.role_arn:
        out["role_arn"] = args.role_arn
        out["session_name"] = args.session_name or (DEFAULT_SESSION_NAME if tool == AWS_CLI else AUTHENTICATOR_SESSION_NAME)
        out["session_name_from"] = "args" if args.session_name else "default"
    if args and args.wrapper:
        out["wrapper"] = args.wrapper
    return {k: v for k, v in out.items() if v is not None}


def _files(environ: dict, overlay: dict) -> dict:
    env = {**environ, **overlay}
    return {k: env.get(v) for k, v in (("config_file", "AWS_CONFIG_FILE"), ("credentials_file", "AWS_SHARED_CREDENTIALS_FILE"))
            if env.get(v)}


def credentials_for(label: str, environ: dict, overlay: dict, how: dict, region: str | None) -> aws.Credentials:
    env = {**environ, **overlay}
    if how.get("env_keys"):
        creds = aws.from_keys(label, env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN"), region)
        creds.method = "env"
        return creds
    return aws.make_session(label, profile=how.get("profile"), region=region, **_files(environ, overlay))


def provider(creds: aws.Credentials) -> dict:
    """Which botocore provider answered (env, shared-credentials-file, sso, custom-process, assume-role, iam-role…)."""
    if creds.session is None:
        return {"error": creds.problem}
    if getattr(creds, "method", None):
        return {"provider": creds.method}
    try:
        found = creds.session.get_credentials()
    except Exception as exc:  # botocore raises many types while resolving (SSO, process, profile errors)
        return {"error": aws.error_record(exc)}
    if found is None:
        return {"error": {"code": "NoCredentials", "message": "Unable to locate credentials"}}
    return {"provider": found.method}


def collect_exec_credentials(ctx) -> None:
    exec_section = ctx.fact("exec_section")
    if not exec_section:
        return
    args = ctx.fact("exec_args")
    overlay = exec_env(exec_section)
    how = resolve(ctx.environ, overlay, args)
    region = ctx.data["target"].get("region") or how.get("region")
    base = credentials_for("exec", ctx.environ, overlay, how, region)
    how.update(provider(base))
    creds = base
    if args and args.role_arn:
        request = {"RoleArn": args.role_arn, "RoleSessionName": how["session_name"]}
        if args.external_id:
            request["ExternalId"] = args.external_id
        response = _assume_role(ctx, base, request, region)
        if response:
            c = response["Credentials"]
            creds = aws.from_keys("exec", c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"), region)
        else:
            creds = aws.Credentials("exec", None, {"code": "AssumeRoleFailed",
                                                   "message": f"the kubeconfig's role {args.role_arn} could not be assumed"})
        how["role_assumed"] = bool(response)
    ctx.set_local("exec_credentials", how)
    ctx.set_fact("exec_creds", creds)
    ctx.set_fact("exec_base_creds", base)
    ignored = how.get("ignored_profile")
    if ignored:
        ctx.set_fact("ignored_profile", ignored["name"])


def _assume_role(ctx, creds: aws.Credentials, request: dict, region: str | None):
    """sts:AssumeRole, recorded without its Credentials; the keys stay in memory for this run."""
    entry = {"as": creds.label, "request": request}
    if creds.session is None:
        entry["error"] = creds.problem
        ctx.record("aws", "sts:AssumeRole", entry)
        return None
    try:
        response = creds.client("sts", region).assume_role(**request)
    except aws.call_errors() as exc:
        entry["error"] = aws.error_record(exc)
        ctx.record("aws", "sts:AssumeRole", entry)
        return None
    except Exception as exc:  # SSO/process credential errors surface here too
        entry["error"] = aws.error_record(exc)
        ctx.record("aws", "sts:AssumeRole", entry)
        return None
    entry["response"] = aws.to_cli_json({k: v for k, v in response.items() if k != "Credentials"})
    ctx.record("aws", "sts:AssumeRole", entry)
    return response


def reader_credentials(ctx) -> aws.Credentials:
    """Who makes eksdoctor's own read calls: --profile, else the exec identity, else the shell."""
    if ctx.options.profile:
        cached = ctx.fact("profile_creds")
        if cached is None:
            cached = aws.make_session(f"profile:{ctx.options.profile}", profile=ctx.options.profile,
                                      region=ctx.data["target"].get("region"))
            ctx.set_fact("profile_creds", cached)
        return cached
    creds = ctx.fact("exec_creds")
    if creds is not None and creds.session is not None and ctx.fact("exec_section"):
        return creds
    return shell_credentials(ctx)


def shell_credentials(ctx) -> aws.Credentials:
    with ctx.once("shell_creds") as first:
        if first:
            how = resolve(ctx.environ, {}, None)
            creds = credentials_for("shell", ctx.environ, {}, how, ctx.data["target"].get("region") or how.get("region"))
            how.update(provider(creds))
            ctx.set_local("shell_credentials", how)
            ctx.set_fact("shell_creds", creds)
    return ctx.fact("shell_creds")


def _call_identity(ctx, creds: aws.Credentials) -> dict | None:
    try:
        return aws.call(ctx, creds, "sts", "GetCallerIdentity")
    except Exception as exc:  # credential resolution errors (SSO, credential_process) are evidence, not crashes
        ctx.record("aws", "sts:GetCallerIdentity", {"as": creds.label, "request": {}, "error": aws.error_record(exc)})
        return None


def collect_identity_exec(ctx) -> None:
    if ctx.fact("exec_section"):
        _call_identity(ctx, ctx.fact("exec_creds"))


def collect_identity_shell(ctx) -> None:
    response = _call_identity(ctx, shell_credentials(ctx))
    if response and not ctx.fact("exec_section"):
        ctx.set_target(account=response.get("Account"))


def collect_identity_ignored_profile(ctx) -> None:
    """When env keys silently beat the kubeconfig's AWS_PROFILE: who that profile would have been."""
    name = ctx.fact("ignored_profile")
    if name:
        creds = aws.make_session(f"profile:{name}", profile=name, region=ctx.data["target"].get("region"),
                                 **_files(ctx.environ, exec_env(ctx.fact("exec_section") or {})))
        _call_identity(ctx, creds)


def collect_cluster(ctx) -> None:
    name = ctx.data["target"].get("cluster")
    if not name:
        ctx.collection_error("cluster", "NoCluster", "no cluster name: give --cluster or use a context made by aws eks update-kubeconfig")
        return
    creds = reader_credentials(ctx)
    response = aws.call(ctx, creds, "eks", "DescribeCluster", {"name": name})
    if response and isinstance(response.get("cluster"), dict):
        arn = str(response["cluster"].get("arn") or "").split(":")
        if len(arn) > 4:
            ctx.set_target(account=arn[4])
        ctx.set_fact("cluster", response["cluster"])
        return
    calls = ctx.data["aws"].get("eks:DescribeCluster") or []
    if calls and (calls[-1].get("error") or {}).get("code") == "ResourceNotFoundException" and creds.session is not None:
        _find_cluster_elsewhere(ctx, creds)


def _find_cluster_elsewhere(ctx, creds: aws.Credentials) -> None:
    """eks:ListClusters here (a name that differs only in case) and in every other region of the partition."""
    here = ctx.data["target"].get("region")
    regions = [here] + [r for r in creds.session.get_available_regions("eks") if r != here]
    fan_out(lambda region: aws.call(ctx, creds, "eks", "ListClusters", {}, region=region), regions)


# --- the token itself, replayed to STS ---------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the authenticator never follows redirects
        return None


def replay_allowed(url: str, partition: str, endpoint: str | None) -> str | None:
    """None when the token may be sent: a genuine STS host of the partition, or the configured endpoint."""
    parts = urlsplit(url)
    if endpoint:
        want = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if (parts.scheme, parts.hostname, parts.port) == (want.scheme, want.hostname, want.port):
            return None
    if parts.scheme != "https":
        return f"the token's URL is {parts.scheme}://, not https://"
    problem = tokens.host_problem(parts.hostname or "", partition)
    if problem or parts.port not in (None, 443):
        return f"{parts.hostname} is not an STS endpoint of partition {partition}"
    return None


def _real_cluster_id(ctx) -> tuple[str | None, str]:
    cluster = ctx.fact("cluster")
    if isinstance(cluster, dict) and cluster.get("name"):
        if cluster.get("outpostConfig") and cluster.get("id"):
            return str(cluster["id"]), "eks:DescribeCluster id (Outposts local cluster)"
        return str(cluster["name"]), "eks:DescribeCluster"
    return ctx.data["target"].get("cluster"), "kubeconfig"


def collect_token_identity(ctx) -> None:
    """GET the token's presigned URL with x-k8s-aws-id: <real cluster> — what the authenticator does."""
    token = ctx.fact("token")
    url = tokens.presigned_url(token) if token else None
    if not url:
        return
    cluster_id, source = _real_cluster_id(ctx)
    if not cluster_id:
        return
    cluster = ctx.fact("cluster") or {}
    partition = arns.partition_of(str(cluster.get("arn") or "")) or "aws"
    how = ctx.data["local"].get("exec_credentials") or {}
    host = urlsplit(url).hostname or ""
    entry: dict = {"as": "token", "request": {"x-k8s-aws-id": cluster_id, "host": host, "cluster_id_from": source}}
    refused = replay_allowed(url, partition, how.get("endpoint_url"))
    if refused:
        entry["error"] = {"code": "NotSent", "message": f"eksdoctor sends a token only to STS: {refused}"}
        ctx.record("aws", "sts:GetCallerIdentity", entry)
        return
    request = urllib.request.Request(url, headers={"x-k8s-aws-id": cluster_id, "Accept": "application/json",
                                                   "User-Agent": user_agent("eksdoctor")}, method="GET")
    opener = urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=_tls(ctx)))
    entry["sent_at"] = _now()
    try:
        with opener.open(request, timeout=REPLAY_TIMEOUT) as resp:
            status, body, date = resp.status, resp.read(65536), resp.headers.get("Date")
    except urllib.error.HTTPError as exc:
        status, body, date = exc.code, exc.read(65536), exc.headers.get("Date") if exc.headers else None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        code = "Timeout" if "timed out" in str(reason) else "ConnectError"
        entry["error"] = {"code": code, "message": f"error during GET: {reason}"}
        ctx.record("aws", "sts:GetCallerIdentity", entry)
        return
    if date:
        entry["server_date"] = date
    entry.update(sts_answer(status, body))
    ctx.record("aws", "sts:GetCallerIdentity", entry)


def _tls(ctx):
    """Trust what the plugin's SDK trusts: AWS_CA_BUNDLE (exec env over the shell), else the system store."""
    import ssl
    bundle = {**ctx.environ, **exec_env(ctx.fact("exec_section") or {})}.get("AWS_CA_BUNDLE")
    try:
        return ssl.create_default_context(cafile=bundle) if bundle else ssl.create_default_context()
    except (OSError, ssl.SSLError):
        return ssl.create_default_context()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sts_answer(status: int, body: bytes) -> dict:
    """STS's JSON (or XML) answer as the CLI would show it: the identity, or the error code and message."""
    text = body.decode("utf-8", "replace")
    doc = None
    try:
        doc = json.loads(text)
    except ValueError:
        doc = _xml(text)
    if status == 200 and isinstance(doc, dict):
        result = (doc.get("GetCallerIdentityResponse") or {}).get("GetCallerIdentityResult") or doc.get("GetCallerIdentityResult")
        if isinstance(result, dict) and result.get("Arn"):
            return {"response": {k: result.get(k) for k in ("UserId", "Account", "Arn")}}
    error = (doc or {}).get("Error") if isinstance(doc, dict) else None
    if isinstance(error, dict) and error.get("Code"):
        return {"error": {"code": error["Code"], "message": str(error.get("Message") or ""), "http_status": status}}
    return {"error": {"code": "UnexpectedResponse", "message": f"HTTP {status}, not an STS GetCallerIdentity answer",
                      "http_status": status}}


def _xml(text: str) -> dict | None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None

    def find(name: str) -> str | None:
        for el in root.iter():
            if el.tag.rsplit("}", 1)[-1] == name:
                return (el.text or "").strip()
        return None
    if find("Arn"):
        return {"GetCallerIdentityResult": {k: find(k) for k in ("UserId", "Account", "Arn")}}
    if find("Code"):
        return {"Error": {"Code": find("Code"), "Message": find("Message")}}
    return None

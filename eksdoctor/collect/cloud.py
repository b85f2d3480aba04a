"""Collectors for AWS: the identity kubectl's exec plugin presents (and the shell's), the cluster.

The exec identity is rebuilt the way the plugin builds it: its env over the process env, --profile
beating env keys, env keys beating an AWS_PROFILE, then --role-arn assumed (Credentials never stored).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..model.execargs import AWS_CLI, exec_env
from . import aws

DEFAULT_SESSION_NAME = "EKSGetTokenAuth"  # aws eks get-token --role-arn without --session-name


def exec_credentials(ctx) -> aws.Credentials:
    args = ctx.fact("exec_args")
    env = {**ctx.environ, **exec_env(ctx.fact("exec_section") or {})}
    region = ctx.data["target"].get("region")
    has_keys = bool(env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"))
    profile = (args.profile if args else None) or (None if has_keys else env.get("AWS_PROFILE"))
    files = {k: env.get(v) for k, v in (("config_file", "AWS_CONFIG_FILE"), ("credentials_file", "AWS_SHARED_CREDENTIALS_FILE"))
             if env.get(v) and env.get(v) != ctx.environ.get(v)}
    return aws.make_session("exec", profile=profile, region=region, **files)


def collect_exec_credentials(ctx) -> None:
    base = exec_credentials(ctx)
    args = ctx.fact("exec_args")
    creds = base
    if args and args.role_arn:
        session_name = args.session_name or (DEFAULT_SESSION_NAME if args.tool == AWS_CLI else "eksdoctor")
        request = {"RoleArn": args.role_arn, "RoleSessionName": session_name}
        if args.external_id:
            request["ExternalId"] = args.external_id
        response = _assume_role(ctx, base, request)
        if response:
            c = response["Credentials"]
            creds = aws.from_keys("exec", c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"),
                                  ctx.data["target"].get("region"))
        else:
            creds = aws.Credentials("exec", None, {"code": "AssumeRoleFailed",
                                                   "message": f"the kubeconfig's role {args.role_arn} could not be assumed"})
    ctx.set_fact("exec_creds", creds)
    ctx.set_fact("exec_base_creds", base)


def _assume_role(ctx, creds: aws.Credentials, request: dict):
    """sts:AssumeRole, recorded without its Credentials; the keys stay in memory for this run."""
    entry = {"as": creds.label, "request": request}
    if creds.session is None:
        entry["error"] = creds.problem
        ctx.record("aws", "sts:AssumeRole", entry)
        return None
    from botocore.exceptions import BotoCoreError, ClientError
    try:
        response = creds.client("sts", ctx.data["target"].get("region")).assume_role(**request)
    except (BotoCoreError, ClientError) as exc:
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
    cached = ctx.fact("shell_creds")
    if cached is None:
        cached = aws.make_session("shell", region=ctx.data["target"].get("region"))
        ctx.set_fact("shell_creds", cached)
    return cached


def collect_identity_exec(ctx) -> None:
    if ctx.fact("exec_section"):
        aws.call(ctx, ctx.fact("exec_creds"), "sts", "GetCallerIdentity")


def collect_identity_shell(ctx) -> None:
    response = aws.call(ctx, shell_credentials(ctx), "sts", "GetCallerIdentity")
    if response and not ctx.fact("exec_section"):
        ctx.set_target(account=response.get("Account"))


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
    """eks:ListClusters in every region of the partition, to say where the cluster really is."""
    here = ctx.data["target"].get("region")
    regions = [r for r in creds.session.get_available_regions("eks") if r != here]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda region: aws.call(ctx, creds, "eks", "ListClusters", {}, region=region), regions))

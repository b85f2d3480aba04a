"""Collectors for the user's machine: environment, tools, AWS config and SSO cache, kubeconfig,
and one run of the kubeconfig's exec plugin the way kubectl runs it.

Nothing secret is stored: env values of secrets become "<set>", SSO cache files give only their
expiry, and the plugin's token stays in memory (decoded, non-secret parts go to the bundle).
"""
from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..model import token as tokens
from ..model.execargs import exec_env, parse_exec
from ..redact import redact_text
from . import kubeconfig as kc

SECRET_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
ENV_NAMES = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
             "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_ENDPOINT_URL",
             "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EKS", "KUBECONFIG"]
STDERR_LIMIT = 4000
EXEC_TIMEOUT = 30.0


def env_view(environ: dict) -> dict:
    view = {}
    for name in ENV_NAMES:
        value = environ.get(name)
        view[name] = None if value is None else ("<set>" if name in SECRET_ENV else value)
    return view


def collect_env(ctx) -> None:
    ctx.set_local("platform", sys.platform)
    ctx.set_local("env", env_view(ctx.environ))


def _version(argv: list[str], environ: dict) -> str | None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=15, env=environ, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
    return redact_text(text[0]) if text else None


def collect_tools(ctx) -> None:
    path = ctx.environ.get("PATH", os.defpath)
    tools = {}
    for name, argv in (("aws", ["--version"]), ("kubectl", ["version", "--client", "-o", "json"]),
                       ("aws-iam-authenticator", ["version"])):
        found = shutil.which(name, path=path)
        if not found:
            tools[name] = None
            continue
        version = _version([found, *argv], ctx.environ)
        if name == "kubectl" and version:
            version = _kubectl_version([found, *argv], ctx.environ) or version
        tools[name] = {"path": found, "version": version}
    ctx.set_local("tools", tools)


def _kubectl_version(argv: list[str], environ: dict) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=15, env=environ, stdin=subprocess.DEVNULL).stdout
        return json.loads(out)["clientVersion"]["gitVersion"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
        return None


def _aws_files(environ: dict) -> tuple[Path, Path]:
    home = Path(environ.get("HOME") or Path.home())
    config = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    creds = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    return config, creds


def _ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        pass
    return parser


def collect_aws_config(ctx) -> None:
    """Profile names and SSO session expiry; never a key, token or secret."""
    config_path, creds_path = _aws_files(ctx.environ)
    config, creds = _ini(config_path), _ini(creds_path)
    profiles = set(creds.sections())
    sso = []
    for section in config.sections():
        name = "default" if section == "default" else section.removeprefix("profile ").strip()
        if section.startswith("sso-session "):
            continue
        profiles.add(name)
        session = config.get(section, "sso_session", fallback=None)
        start_url = config.get(section, "sso_start_url", fallback=None)
        if session or start_url:
            sso.append({"profile": name, "session": session,
                        "expires_at": _sso_expiry(ctx.environ, session or start_url)})
    ctx.set_local("aws_config", {"profiles": sorted(profiles), "sso": sso,
                                 "config_file": str(config_path), "credentials_file": str(creds_path)})


def _sso_expiry(environ: dict, key: str) -> str | None:
    home = Path(environ.get("HOME") or Path.home())
    cache = home / ".aws" / "sso" / "cache" / (hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")
    try:
        value = json.loads(cache.read_text(encoding="utf-8")).get("expiresAt")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def collect_kubeconfig(ctx) -> None:
    config = kc.load(ctx.options.kubeconfig, ctx.environ)
    selected = kc.select(config, ctx.options.context)
    view = {"files": config.files, "current_context": config.current_context, "merged": config.merged,
            "errors": config.errors + ([selected.problem] if selected.problem else []),
            "context": selected.context_name}
    user = selected.user or {}
    if isinstance(user.get("token"), str):
        view["static_token"] = tokens.decode(user["token"])
        ctx.set_fact("token", user["token"])
    ctx.set_local("kubeconfig", view)
    ctx.set_fact("selected", selected)
    exec_section = user.get("exec") if isinstance(user.get("exec"), dict) else None
    args = parse_exec(exec_section) if exec_section else None
    ctx.set_fact("exec_section", exec_section)
    ctx.set_fact("exec_args", args)
    cluster = selected.cluster or {}
    ctx.set_target(cluster=_cluster_name(ctx, args, selected), region=_region(ctx, args, cluster, selected))


_EKS_HOST = re.compile(r"^https://[^/]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com(?:\.cn)?", re.I)
_CONTEXT_ARN = re.compile(r"^arn:[\w-]+:eks:([\w-]+):(\d{12}):cluster/(.+)$")


def _cluster_name(ctx, args, selected) -> str | None:
    if ctx.options.cluster:
        return ctx.options.cluster
    if args and args.cluster:
        return args.cluster
    for name in (selected.cluster_name, selected.context_name):
        match = _CONTEXT_ARN.match(name or "")
        if match:
            return match.group(3)
    return None


def _region(ctx, args, cluster: dict, selected) -> str | None:
    if ctx.options.region:
        return ctx.options.region
    if args and args.region:
        return args.region
    match = _EKS_HOST.match(str(cluster.get("server") or ""))
    if match:
        return match.group(1)
    for name in (selected.cluster_name, selected.context_name):
        arn = _CONTEXT_ARN.match(name or "")
        if arn:
            return arn.group(1)
    env = {**ctx.environ, **(exec_env(ctx.fact("exec_section") or {}))}
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")


def plugin_environ(ctx, exec_section: dict) -> dict:
    env = {**ctx.environ, **exec_env(exec_section)}
    info = {"kind": "ExecCredential", "apiVersion": exec_section.get("apiVersion") or "client.authentication.k8s.io/v1beta1",
            "spec": {"interactive": False}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    return env


def collect_exec(ctx) -> None:
    """Run the exec plugin once, as kubectl would, with a timeout; keep the token only in memory."""
    exec_section = ctx.fact("exec_section")
    if not exec_section:
        return
    command = str(exec_section.get("command") or "")
    args = [str(a) for a in exec_section.get("args") or []]
    env_overlay = exec_env(exec_section)
    record = {"command": command, "args": args,
              "env": {k: ("<set>" if k in SECRET_ENV else v) for k, v in env_overlay.items()},
              "api_version": exec_section.get("apiVersion"), "interactive_mode": exec_section.get("interactiveMode")}
    # kubectl looks the command up on its own PATH, not the plugin's env
    found = shutil.which(command, path=ctx.environ.get("PATH", os.defpath)) if command else None
    record["resolved_path"] = found
    if not found:
        record.update(exit_code=None, error=f'exec: "{command}": executable file not found in $PATH')
        ctx.set_local("exec", record)
        return
    try:
        proc = subprocess.run([found, *args], capture_output=True, text=True, timeout=EXEC_TIMEOUT,
                              env=plugin_environ(ctx, exec_section), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        record.update(exit_code=None, error=f"the exec plugin did not finish within {EXEC_TIMEOUT:g}s (it may be waiting for input)")
        ctx.set_local("exec", record)
        return
    except OSError as exc:
        record.update(exit_code=None, error=f"exec: {exc.strerror or exc}")
        ctx.set_local("exec", record)
        return
    record["exit_code"] = proc.returncode
    record["stderr"] = redact_text(proc.stderr[-STDERR_LIMIT:])
    try:
        credential = json.loads(proc.stdout) if proc.stdout.strip() else None
    except ValueError:
        credential = None
        record["stdout_error"] = "the plugin's output is not JSON"
    if isinstance(credential, dict):
        record["stdout_api_version"] = credential.get("apiVersion")
        status = credential.get("status") if isinstance(credential.get("status"), dict) else {}
        record["expiration_timestamp"] = status.get("expirationTimestamp")
        token = status.get("token")
        if isinstance(token, str):
            record["token"] = tokens.decode(token)
            ctx.set_fact("token", token)
    ctx.set_local("exec", record)

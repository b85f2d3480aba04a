"""Collectors for the user's machine: environment, tools, AWS config and SSO cache, kubeconfig,
and one run of the kubeconfig's exec plugin the way kubectl runs it.

Nothing secret is stored: env values of secrets become "<set>", SSO cache files give only their
expiry, and the plugin's token stays in memory (decoded, non-secret parts go to the bundle).
"""
from __future__ import annotations

import configparser
import getpass
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..model import kubeconfig as kcm
from ..model import token as tokens
from ..model.execargs import AWS_CLI, exec_env
from ..redact import redact_text
from . import kubeconfig as kc

SECRET_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
ENV_NAMES = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
             "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_ENDPOINT_URL",
             "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EKS", "AWS_CA_BUNDLE", "KUBECONFIG"]
STDERR_LIMIT = 4000
EXEC_TIMEOUT = 30.0
MAX_TOKEN_FILE_BYTES = 64 * 1024
# Where installers put the AWS CLI; a binary here but not on kubectl's PATH is the sudo/GUI-app case.
USUAL_BIN_DIRS = ("/usr/local/bin", "/opt/homebrew/bin", "/usr/bin", "/bin", "/snap/bin",
                  "/usr/local/aws-cli/v2/current/bin", "~/.local/bin", "~/bin", "/opt/local/bin")


def env_view(environ: dict) -> dict:
    view = {}
    for name in ENV_NAMES:
        value = environ.get(name)
        view[name] = None if value is None else ("<set>" if name in SECRET_ENV else value)
    return view


def collect_env(ctx) -> None:
    ctx.set_local("platform", sys.platform)
    ctx.set_local("env", env_view(ctx.environ))
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = None
    path = ctx.environ.get("PATH")
    ctx.set_local("process", {"user": user, "sudo_user": ctx.environ.get("SUDO_USER"),
                              "home": ctx.environ.get("HOME"), "machine": platform.machine(),
                              "wsl": "microsoft" in platform.release().lower(),
                              "path": path.split(os.pathsep) if path is not None else None})
    o = ctx.options
    ctx.set_local("options", {"cluster": o.cluster, "region": o.region, "context": o.context,
                              "kubeconfig": o.kubeconfig, "profile": o.profile})


def run_program(argv: list[str], environ: dict, timeout: float) -> dict:
    """Run without a terminal, in its own process group (a hung child and its children are all killed)."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=environ, start_new_session=True)
    except OSError as exc:
        return {"error": f"fork/exec {argv[0]}: {exc.strerror or exc}"}
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        return {"timeout": True, "seconds": round(time.monotonic() - started, 2)}
    return {"code": proc.returncode, "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace"),
            "seconds": round(time.monotonic() - started, 2)}


def time_left(ctx, wanted: float) -> float:
    """`wanted` seconds, or what is left before the run's deadline if that is less."""
    deadline = getattr(ctx, "deadline", None)
    return wanted if deadline is None else max(0.5, min(wanted, deadline - time.monotonic()))


def _version(argv: list[str], environ: dict, timeout: float = 15) -> str | None:
    result = run_program(argv, environ, timeout)
    text = (result.get("stdout", "").strip() or result.get("stderr", "").strip()).splitlines()
    return redact_text(text[0])[:300] if text else None


def tool_version(path: str, tool: str, environ: dict, timeout: float = 15) -> str | None:
    if tool == "kubectl":
        out = run_program([path, "version", "--client", "-o", "json"], environ, timeout).get("stdout", "")
        try:
            return json.loads(out)["clientVersion"]["gitVersion"]
        except (ValueError, KeyError, TypeError):
            return None
    return _version([path, "--version" if tool == AWS_CLI else "version"], environ, timeout)


def collect_tools(ctx) -> None:
    path = ctx.environ.get("PATH", os.defpath)
    tools = {}
    for name in (AWS_CLI, "kubectl", "aws-iam-authenticator"):
        found = look_path(name, path)
        tools[name] = ({"path": found["path"], "version": tool_version(found["path"], name, ctx.environ, time_left(ctx, 15))}
                       if found.get("path") else None)
    ctx.set_local("tools", tools)


def _aws_files(environ: dict) -> tuple[Path, Path]:
    home = Path(environ.get("HOME") or Path.home())
    config = Path(environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config").expanduser()
    creds = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials").expanduser()
    return config, creds


def _ini(path: Path) -> tuple[configparser.RawConfigParser, str | None]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        return parser, f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return parser, None


def _profile_name(section: str) -> str | None:
    if section == "default":
        return "default"
    if section.startswith("profile "):
        return section.removeprefix("profile ").strip()
    return None


def profile_details(config, creds, name: str, section: str | None) -> dict:
    """What kind of credentials a profile gives, from the files' keys; never a key, token or secret."""
    get = (lambda key: config.get(section, key, fallback=None)) if section else (lambda key: None)
    has_keys = bool(creds.has_section(name) and creds.get(name, "aws_access_key_id", fallback=None)) or bool(get("aws_access_key_id"))
    has_token = bool(creds.has_section(name) and creds.get(name, "aws_session_token", fallback=None)) or bool(get("aws_session_token"))
    process = get("credential_process") or (creds.get(name, "credential_process", fallback=None) if creds.has_section(name) else None)
    detail = {"region": get("region"), "role_arn": get("role_arn"), "source_profile": get("source_profile"),
              "credential_source": get("credential_source"), "sso_session": get("sso_session"),
              "sso_account_id": get("sso_account_id"), "sso_role_name": get("sso_role_name"),
              "web_identity_token_file": get("web_identity_token_file"),
              "credential_process": Path(process.split()[0]).name if process and process.split() else None,
              "static_keys": has_keys, "has_session_token": has_token}
    if get("role_arn"):
        kind = "assume_role"
    elif get("sso_session") or get("sso_start_url"):
        kind = "sso"
    elif get("web_identity_token_file"):
        kind = "web_identity"
    elif process:
        kind = "credential_process"
    elif has_keys:
        kind = "static"
    else:
        kind = "none"
    detail["kind"] = kind
    return {k: v for k, v in detail.items() if v not in (None, False)} | {"kind": kind}


def collect_aws_config(ctx) -> None:
    """Profile names, what each profile is made of, and SSO session expiry; never a key, token or secret."""
    config_path, creds_path = _aws_files(ctx.environ)
    (config, config_error), (creds, creds_error) = _ini(config_path), _ini(creds_path)
    sections = {_profile_name(s): s for s in config.sections() if _profile_name(s)}
    names = sorted(set(sections) | set(creds.sections()))
    details = {name: profile_details(config, creds, name, sections.get(name)) for name in names}
    sso = []
    for name, section in sorted(sections.items()):
        session = config.get(section, "sso_session", fallback=None)
        start_url = config.get(section, "sso_start_url", fallback=None)
        if session or start_url:
            sso.append({"profile": name, "session": session, **_sso_cache(ctx.environ, session or start_url)})
    ctx.set_local("aws_config", {"profiles": names, "sso": sso, "profile_details": details,
                                 "config_file": str(config_path), "credentials_file": str(creds_path),
                                 "errors": [e for e in (config_error, creds_error) if e]})


def _sso_cache(environ: dict, key: str) -> dict:
    """The SSO token cache entry's times (botocore names it sha1(session name or start URL))."""
    home = Path(environ.get("HOME") or Path.home())
    cache = home / ".aws" / "sso" / "cache" / (hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")
    try:
        doc = json.loads(cache.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"expires_at": None, "cache": "missing"}
    except (OSError, ValueError):
        return {"expires_at": None, "cache": "unreadable"}
    if not isinstance(doc, dict):
        return {"expires_at": None, "cache": "unreadable"}
    text = lambda k: doc.get(k) if isinstance(doc.get(k), str) else None  # noqa: E731
    return {"expires_at": text("expiresAt"), "cache": "ok", "refreshable": bool(doc.get("refreshToken")),
            "registration_expires_at": text("registrationExpiresAt")}


def collect_kubeconfig(ctx) -> None:
    config = kc.load(ctx.options.kubeconfig, ctx.environ)
    selected = kc.select(config, ctx.options.context)
    view = {"files": config.files, "current_context": config.current_context,
            "current_context_file": config.current_context_file, "merged": config.merged,
            "errors": config.errors + ([selected.problem] if selected.problem else []),
            "context": selected.context_name, "shadowed": config.shadowed,
            "selected_files": {s: config.origins.get(f"{s}/{n}") for s, n in
                               (("contexts", selected.context_name), ("clusters", selected.cluster_name), ("users", selected.user_name))
                               if n and config.origins.get(f"{s}/{n}")}}
    if config.fatal:
        view["fatal"] = config.fatal
    user = selected.user or {}
    token, source = _static_token(user)
    if token is not None:
        view["static_token"] = {**tokens.decode(token), "source": source}
        ctx.set_fact("token", token)
    ctx.set_local("kubeconfig", view)
    ctx.set_fact("selected", selected)
    ctx.set_fact("kubeconfig_path", config.origins.get(f"users/{selected.user_name}"))
    args = selected.exec_args
    ctx.set_fact("exec_section", selected.exec)
    ctx.set_fact("exec_args", args)
    named = kcm.eks_cluster(selected)
    ctx.set_target(cluster=ctx.options.cluster or named.name, region=_region(ctx, named, selected))


def _static_token(user: dict) -> tuple[str | None, str]:
    """kubectl's bearer token: `token`, else the contents of `tokenFile` (read like kubectl, trimmed)."""
    if isinstance(user.get("token"), str) and user["token"]:
        return user["token"], "token"
    if isinstance(user.get("tokenFile"), str) and user["tokenFile"]:
        try:
            with open(user["tokenFile"], "rb") as handle:
                return handle.read(MAX_TOKEN_FILE_BYTES).decode("utf-8", "replace").strip(), "tokenFile"
        except OSError:
            return None, "tokenFile"
    return None, ""


def _region(ctx, named: kcm.NamedCluster, selected) -> str | None:
    if ctx.options.region:
        return ctx.options.region
    if named.region:
        return named.region
    region = kcm.server_region(selected.server)
    if region:
        return region
    env = {**ctx.environ, **exec_env(selected.exec or {})}
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")


def look_path(command: str, path: str) -> dict:
    """Go's exec.LookPath as kubectl uses it: a name with a separator is taken as is; otherwise each
    PATH entry in order, and a hit in a relative entry (".", "") is refused (Go's ErrDot)."""
    if os.sep in command or (os.altsep and os.altsep in command):
        if os.path.isfile(command) and os.access(command, os.X_OK):
            return {"path": command}
        return {"path": None, "error": f"fork/exec {command}: no such file or directory" if not os.path.exists(command)
                else f"fork/exec {command}: permission denied"}
    for entry in path.split(os.pathsep):
        candidate = os.path.join(entry or ".", command)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            if not os.path.isabs(candidate):
                return {"path": None, "relative_hit": candidate,
                        "error": f'exec: "{command}": cannot run executable found relative to current directory'}
            return {"path": candidate}
    return {"path": None, "error": f"exec: executable {command} not found"}


def _elsewhere(command: str, path: str, environ: dict) -> list[str]:
    if not command or os.sep in command:
        return []
    home = environ.get("HOME") or str(Path.home())
    on_path = {os.path.abspath(p) for p in path.split(os.pathsep) if p}
    found = []
    for folder in USUAL_BIN_DIRS:
        folder = os.path.abspath(folder.replace("~", home, 1))
        candidate = os.path.join(folder, command)
        if folder not in on_path and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            found.append(candidate)
    return found


def plugin_environ(ctx, exec_section: dict) -> dict:
    """client-go: the process environment, then the exec entry's env, then KUBERNETES_EXEC_INFO."""
    env = {**ctx.environ, **exec_env(exec_section)}
    info = {"kind": "ExecCredential", "apiVersion": exec_section.get("apiVersion") or "client.authentication.k8s.io/v1beta1",
            "spec": {"interactive": False}}
    selected = ctx.fact("selected")
    if exec_section.get("provideClusterInfo") and selected is not None and selected.cluster:
        cluster = selected.cluster
        info["spec"]["cluster"] = {k: v for k, v in (
            ("server", cluster.get("server")), ("tls-server-name", cluster.get("tls-server-name")),
            ("insecure-skip-tls-verify", cluster.get("insecure-skip-tls-verify")),
            ("certificate-authority-data", cluster.get("certificate-authority-data"))) if v}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    return env


def exec_timeout(ctx) -> float:
    return time_left(ctx, max(1.0, min(EXEC_TIMEOUT, ctx.options.timeout / 2)))


def collect_exec(ctx) -> None:
    """Run the exec plugin once, as kubectl would, with a timeout; keep the token only in memory."""
    exec_section = ctx.fact("exec_section")
    if not exec_section:
        return
    command = str(exec_section.get("command") or "")
    args = [str(a) for a in exec_section.get("args") or []] if isinstance(exec_section.get("args"), list) else []
    env_overlay = exec_env(exec_section)
    parsed = ctx.fact("exec_args")
    record = {"command": command, "args": args,
              "env": {k: ("<set>" if k in SECRET_ENV else v) for k, v in env_overlay.items()},
              "api_version": exec_section.get("apiVersion"), "interactive_mode": exec_section.get("interactiveMode"),
              "provide_cluster_info": bool(exec_section.get("provideClusterInfo")),
              "tool": parsed.tool if parsed else None, "wrapper": parsed.wrapper if parsed else None,
              "kubeconfig_file": ctx.fact("kubeconfig_path")}
    # kubectl looks the command up on its own PATH, not on the plugin's env
    path = ctx.environ.get("PATH", os.defpath)
    lookup = look_path(command, path) if command else {"path": None, "error": "exec: the exec entry has no command"}
    record["resolved_path"] = lookup["path"]
    if not lookup["path"]:
        record.update(exit_code=None, error=lookup["error"], found_elsewhere=_elsewhere(command, path, ctx.environ))
        if lookup.get("relative_hit"):
            record["relative_hit"] = lookup["relative_hit"]
        ctx.set_local("exec", record)
        return
    if (parsed and parsed.tool in (AWS_CLI, "aws-iam-authenticator", "heptio-authenticator-aws") and not parsed.wrapper
            and lookup["path"] != look_path(parsed.tool, path).get("path")):  # the tools collector has the PATH's one
        record["tool_version"] = tool_version(lookup["path"], parsed.tool, ctx.environ, time_left(ctx, 15))
    timeout = exec_timeout(ctx)
    result = run_program([lookup["path"], *args], plugin_environ(ctx, exec_section), timeout)
    record["seconds"] = result.get("seconds")
    if "error" in result:
        record.update(exit_code=None, error=result["error"])
    elif result.get("timeout"):
        record.update(exit_code=None, timed_out=True,
                      error=f"the exec plugin did not finish within {timeout:g}s (it may be waiting for input)")
    else:
        record["exit_code"] = result["code"]
        record["stderr"] = redact_text(result["stderr"][-STDERR_LIMIT:])
        _read_credential(ctx, record, result["stdout"])
    ctx.set_local("exec", record)


def _read_credential(ctx, record: dict, stdout: str) -> None:
    """The ExecCredential's non-secret parts; the token itself only as a fact in memory."""
    record["stdout_bytes"] = len(stdout.encode("utf-8"))
    if not stdout.strip():
        return
    try:
        credential = json.loads(stdout)
    except ValueError as exc:
        record["stdout_error"] = f"the plugin's output is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        return
    if not isinstance(credential, dict):
        record["stdout_error"] = f"the plugin's output is a JSON {type(credential).__name__}, not an ExecCredential"
        return
    record["stdout_api_version"] = credential.get("apiVersion")
    record["stdout_kind"] = credential.get("kind")
    status = credential.get("status") if isinstance(credential.get("status"), dict) else {}
    record["expiration_timestamp"] = status.get("expirationTimestamp")
    record["client_certificate"] = bool(status.get("clientCertificateData"))
    token = status.get("token")
    if isinstance(token, str) and token:
        record["token"] = tokens.decode(token)
        ctx.set_fact("token", token)

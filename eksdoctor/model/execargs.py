"""Understand a kubeconfig exec plugin: `aws eks get-token …` or `aws-iam-authenticator token …`.

Pure: reads the command, args and env as written in the kubeconfig; says which cluster, role,
region, profile and session name the token will be made with.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePath

AWS_CLI = "aws"
AUTHENTICATOR = "aws-iam-authenticator"
LEGACY_AUTHENTICATOR = "heptio-authenticator-aws"

_AWS_FLAGS = {
    "--cluster-name": "cluster_name", "--cluster-id": "cluster_id", "--role-arn": "role_arn", "--role": "role_arn",
    "--region": "region", "--profile": "profile", "--session-name": "session_name", "--endpoint-url": "endpoint_url",
}
_WRAPPERS = ("env", "sh", "bash", "zsh", "aws-vault", "granted", "assume", "saml2aws", "aws-okta")
_AUTHENTICATOR_FLAGS = {
    "-i": "cluster_id", "--cluster-id": "cluster_id", "-r": "role_arn", "--role": "role_arn",
    "--region": "region", "-s": "session_name", "--session-name": "session_name", "-e": "external_id",
    "--external-id": "external_id",
}


@dataclass(frozen=True)
class ExecArgs:
    tool: str  # "aws", "aws-iam-authenticator", "heptio-authenticator-aws" or the command's name
    cluster_name: str | None = None
    cluster_id: str | None = None
    role_arn: str | None = None
    region: str | None = None
    profile: str | None = None  # from --profile
    env_profile: str | None = None  # from the exec env's AWS_PROFILE
    session_name: str | None = None
    external_id: str | None = None
    get_token: bool = False  # aws: the args really ask for `eks get-token`
    endpoint_url: str | None = None  # aws --endpoint-url: the token is presigned for that endpoint
    wrapper: str | None = None  # a command that runs the real tool (env, sh -c, aws-vault exec …)

    @property
    def cluster(self) -> str | None:
        """The value signed into x-k8s-aws-id: the name, or the ID for Outposts local clusters."""
        return self.cluster_name or self.cluster_id

    @property
    def effective_profile(self) -> str | None:
        return self.profile or self.env_profile


def exec_env(exec_section: dict) -> dict[str, str]:
    env = {}
    for item in exec_section.get("env") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            env[item["name"]] = "" if item.get("value") is None else str(item.get("value"))
    return env


def _flags(args: list[str], table: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in table:
            if eq:
                found[table[name]] = value
            elif i + 1 < len(args):
                found[table[name]] = args[i + 1]
                i += 1
        i += 1
    return found


def _tool(command: str) -> str:
    return PurePath(command.replace("\\", "/")).name.removesuffix(".exe").removesuffix(".cmd")


def _unwrap(command: str, args: list[str]) -> tuple[str, list[str], str | None]:
    """`env aws …`, `sh -c "aws …"`, `aws-vault exec p -- aws …`: the tool that really makes the token."""
    wrapper = _tool(command)
    if wrapper not in _WRAPPERS:
        return command, args, None
    words = args
    if wrapper in ("sh", "bash", "zsh") and "-c" in args and args.index("-c") + 1 < len(args):
        try:
            words = shlex.split(args[args.index("-c") + 1])
        except ValueError:
            return command, args, None
    for i, word in enumerate(words):
        if _tool(word) in (AWS_CLI, AUTHENTICATOR, LEGACY_AUTHENTICATOR):
            return word, words[i + 1:], wrapper
    return command, args, None


def parse_exec(exec_section: dict) -> ExecArgs:
    command = str(exec_section.get("command") or "")
    args = [str(a) for a in (exec_section.get("args") or [])]
    env = exec_env(exec_section)
    command, args, wrapper = _unwrap(command, args)
    tool = _tool(command)
    if tool == AWS_CLI:
        flags = _flags(args, _AWS_FLAGS)
        get_token = any(args[i:i + 2] == ["eks", "get-token"] for i in range(len(args)))
        return ExecArgs(AWS_CLI, env_profile=env.get("AWS_PROFILE") or None, get_token=get_token,
                        wrapper=wrapper, **flags)
    if tool in (AUTHENTICATOR, LEGACY_AUTHENTICATOR):
        flags = _flags(args, _AUTHENTICATOR_FLAGS)
        flags.setdefault("cluster_id", env.get("KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID") or None)
        if not flags.get("role_arn") and env.get("DEFAULT_ROLE"):
            flags["role_arn"] = env["DEFAULT_ROLE"]
        return ExecArgs(tool, env_profile=env.get("AWS_PROFILE") or None, wrapper=wrapper,
                        **{k: v for k, v in flags.items() if v})
    return ExecArgs(tool or command)

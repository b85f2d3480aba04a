"""The kubeconfig as kubectl uses it: the selected context, its cluster and user, how that user
authenticates (exec plugin, static token, client certificate, impersonation) and which EKS cluster
it names. Pure: works on the merged document (`local.kubeconfig.merged`); no files, no environment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..bundle import Bundle
from .execargs import ExecArgs, parse_exec

_CONTEXT_ARN = re.compile(r"^arn:([\w-]+):eks:([\w-]+):(\d{12}):cluster/(.+)$")
_EKS_HOST = re.compile(r"^https://[^/]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com(?:\.cn)?(?::\d+)?/?", re.I)
IMPERSONATION_KEYS = ("as", "as-uid", "as-groups", "as-user-extra")


@dataclass(frozen=True)
class Selected:
    """The context kubectl would use, with its cluster and user entries (None when missing)."""

    context_name: str | None
    context: dict | None
    cluster_name: str | None
    cluster: dict | None
    user_name: str | None
    user: dict | None
    problem: str | None = None

    @property
    def server(self) -> str:
        return str((self.cluster or {}).get("server") or "")

    @property
    def exec(self) -> dict | None:
        value = (self.user or {}).get("exec")
        return value if isinstance(value, dict) else None

    @property
    def exec_args(self) -> ExecArgs | None:
        return parse_exec(self.exec) if self.exec else None

    @property
    def auth_kind(self) -> str:
        return auth_kind(self.user or {})

    @property
    def impersonation(self) -> dict:
        return impersonation(self.user or {})


def _named(entries, name: str | None, inner: str) -> dict | None:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(inner)
            return value if isinstance(value, dict) else {}
    return None


def select_context(merged: dict, context: str | None) -> Selected:
    """kubectl's choice: --context, else current-context; a missing piece is a problem, not an error."""
    name = context or merged.get("current-context") or None
    if not name:
        return Selected(None, None, None, None, None, None,
                        "no context: current-context is not set and --context was not given (kubectl falls back to http://localhost:8080)")
    ctx = _named(merged.get("contexts"), name, "context")
    if ctx is None:
        return Selected(name, None, None, None, None, None, f'context "{name}" does not exist in the kubeconfig')
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    cluster = _named(merged.get("clusters"), cluster_name, "cluster")
    user = _named(merged.get("users"), user_name, "user")
    problem = None
    if cluster is None:
        problem = f'context "{name}" names cluster "{cluster_name}", which is not in the kubeconfig'
    elif user is None and user_name:
        problem = f'context "{name}" names user "{user_name}", which is not in the kubeconfig'
    return Selected(name, ctx, cluster_name, cluster, user_name, user, problem)


def auth_kind(user: dict) -> str:
    """How the user entry authenticates, in kubectl's terms."""
    if isinstance(user.get("exec"), dict):
        return "exec"
    if user.get("token"):
        return "token"
    if user.get("tokenFile"):
        return "token_file"
    if isinstance(user.get("auth-provider"), dict):
        return "auth_provider"
    if user.get("client-certificate-data") or user.get("client-certificate"):
        return "client_certificate"
    if user.get("username"):
        return "basic"
    return "none"


def impersonation(user: dict) -> dict:
    """kubectl's Impersonate-* headers for this user: {} when it impersonates nobody."""
    found = {}
    if user.get("as"):
        found["user"] = str(user["as"])
    if user.get("as-uid"):
        found["uid"] = str(user["as-uid"])
    groups = user.get("as-groups")
    if isinstance(groups, list) and groups:
        found["groups"] = [str(g) for g in groups]
    extra = user.get("as-user-extra")
    if isinstance(extra, dict) and extra:
        found["extra"] = {str(k): [str(v) for v in (vals if isinstance(vals, list) else [vals])] for k, vals in extra.items()}
    return found


@dataclass(frozen=True)
class NamedCluster:
    """The EKS cluster a context points at, and where that name came from."""

    name: str | None
    region: str | None
    account: str | None
    partition: str | None
    source: str  # "cluster entry ARN", "context ARN", "exec args", or "" when unknown


def eks_cluster(selected: Selected) -> NamedCluster:
    """By the cluster entry's ARN name (what update-kubeconfig writes), else the context's, else the exec args."""
    for label, name in (("cluster entry ARN", selected.cluster_name), ("context ARN", selected.context_name)):
        match = _CONTEXT_ARN.match(name or "")
        if match:
            return NamedCluster(match.group(4), match.group(2), match.group(3), match.group(1), label)
    args = selected.exec_args
    host = _EKS_HOST.match(selected.server)
    region = (args.region if args else None) or (host.group(1) if host else None)
    if args and args.cluster:
        return NamedCluster(args.cluster, region, None, None, "exec args")
    return NamedCluster(None, region, None, None, "")


def server_region(server: str) -> str | None:
    match = _EKS_HOST.match(server or "")
    return match.group(1) if match else None


def view(bundle: Bundle) -> dict:
    value = bundle.local.get("kubeconfig")
    return value if isinstance(value, dict) else {}


def selected(bundle: Bundle) -> Selected | None:
    """The selection recorded in the bundle (None when the kubeconfig was not collected)."""
    kc = view(bundle)
    if not kc:
        return None
    if kc.get("fatal"):
        return Selected(kc.get("context"), None, None, None, None, None, kc["fatal"])
    merged = kc.get("merged") if isinstance(kc.get("merged"), dict) else {}
    if not kc.get("files") and not kc.get("context"):
        return Selected(None, None, None, None, None, None, "no kubeconfig file: kubectl falls back to http://localhost:8080")
    if kc.get("files") and "contexts" not in merged:
        return None  # a hand-made bundle that names the files but not their merged content
    # `context` is what --context selected; `current_context` is the spec's name for the file's choice
    return select_context(merged, kc.get("context") or kc.get("current_context"))


def _norm_server(server: str) -> str:
    text = str(server or "").strip().rstrip("/").lower()
    return text[:-4] if text.endswith(":443") else text


def same_server(a: str, b: str) -> bool:
    return bool(a) and _norm_server(a) == _norm_server(b)


def contexts_for(merged: dict, cluster: str, endpoint: str | None = None, region: str | None = None) -> list[str]:
    """Contexts in the kubeconfig that point at this EKS cluster (by ARN name, server or exec args)."""
    found = []
    for entry in merged.get("contexts") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        sel = select_context(merged, entry["name"])
        named = eks_cluster(sel)
        if (endpoint and same_server(sel.server, endpoint)) or (
                named.name == cluster and (not region or not named.region or named.region == region)):
            found.append(entry["name"])
    return found


def selected_user(bundle: Bundle) -> dict:
    """The selected context's user entry ({} when there is none)."""
    sel = selected(bundle)
    return (sel.user or {}) if sel else {}

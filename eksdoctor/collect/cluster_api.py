"""Collectors for the Kubernetes API server, using the exec plugin's token as kubectl would.

Reads only: the probe (GET /api), /version, and kube-system/aws-auth. A refused read is evidence.
"""
from __future__ import annotations

from .kube import KubeClient, endpoint_from_kubeconfig, kube_record

AWS_AUTH_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"


def kube_client(ctx) -> KubeClient | None:
    """A client for the selected context's server with kubectl's token, or None (recorded why)."""
    with ctx.once("kube_client") as first:
        if first:
            ctx.set_fact("kube_client", _make_client(ctx))
    return ctx.fact("kube_client")


def _make_client(ctx) -> KubeClient | None:
    selected = ctx.fact("selected")
    if selected is None or not selected.cluster:
        return None
    endpoint, problem = endpoint_from_kubeconfig(selected.cluster)
    if endpoint is None:
        ctx.collection_error("kubernetes", "BadKubeconfig", problem)
        return None
    return KubeClient(endpoint, ctx.fact("token"))


def collect_probe(ctx) -> None:
    client = kube_client(ctx)
    if client is None:
        return
    request = {"method": "GET", "path": "/api"}
    result = client.request("GET", "/api")
    entry = {"as": "exec", "request": request}
    if "error" in result:
        entry["error"] = result["error"]
    else:
        entry["response"] = result
    ctx.record("kubernetes", "probe", entry)
    ctx.set_fact("probe_status", result.get("status"))


def collect_version(ctx) -> None:
    client = kube_client(ctx)
    if client is not None:
        ctx.record("kubernetes", "version", kube_record(client.request("GET", "/version"), {"path": "/version"}, "exec"))


def collect_aws_auth(ctx) -> None:
    client = kube_client(ctx)
    if client is not None:
        result = client.request("GET", AWS_AUTH_PATH)
        ctx.record("kubernetes", "configmaps/kube-system/aws-auth", kube_record(result, {"path": AWS_AUTH_PATH}, "exec"))

"""Collectors for the Kubernetes API server, using the exec plugin's token as kubectl would.

Reads only: the probe (GET /api, with kubectl's impersonation headers), /version, kube-system/aws-auth,
and the endpoint's DNS and TCP reachability. A refused read is evidence. The token is never recorded.
"""
from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .kube import KubeClient, endpoint_from_kubeconfig, kube_record
from .local import time_left

AWS_AUTH_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"
DNS_TIMEOUT = 5.0
TCP_TIMEOUT = 3.0
PROBE_TIMEOUT = 10.0  # KubeClient's default


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
        ctx.set_fact("kube_client_problem", problem)
        return None
    return KubeClient(endpoint, ctx.fact("token"))


def impersonation_headers(impersonate: dict):
    """kubectl's Impersonate-* headers; groups and extras repeat the header, as client-go sends them."""
    from urllib3 import HTTPHeaderDict
    headers = HTTPHeaderDict()
    if impersonate.get("user"):
        headers.add("Impersonate-User", impersonate["user"])
    if impersonate.get("uid"):
        headers.add("Impersonate-Uid", impersonate["uid"])
    for group in impersonate.get("groups", []):
        headers.add("Impersonate-Group", group)
    for key, values in (impersonate.get("extra") or {}).items():
        for value in values:
            headers.add(f"Impersonate-Extra-{key}", value)
    return headers


def _not_sent(ctx, selected) -> str | None:
    """Why kubectl would not send the request at all (no token from the exec plugin)."""
    if selected.exec and not ctx.fact("token"):
        run = ctx.data["local"].get("exec") or {}
        if run.get("error"):
            return f"getting credentials: {run['error']}"
        if run.get("exit_code"):
            return f"getting credentials: exec: executable {run.get('command')} failed with exit code {run['exit_code']}"
        return "getting credentials: the exec plugin returned no token"
    return None


def collect_probe(ctx) -> None:
    selected = ctx.fact("selected")
    client = kube_client(ctx)
    if selected is None or not selected.cluster:
        return
    impersonate = selected.impersonation
    request = {"method": "GET", "path": "/api"}
    if impersonate:
        request["impersonate"] = impersonate
    entry = {"as": "exec", "request": request}
    reason = _not_sent(ctx, selected)
    if reason:
        entry["error"] = {"code": "NotSent", "message": f"kubectl stops before sending the request: {reason}"}
        ctx.record("kubernetes", "probe", entry)
        return
    if client is None:  # kubectl refuses such a cluster entry before connecting
        entry["error"] = {"code": "ConfigError", "message": ctx.fact("kube_client_problem") or "the cluster entry is unusable"}
        ctx.record("kubernetes", "probe", entry)
        return
    entry["sent_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # within what is left of --timeout, so a server that never answers is recorded as a Timeout
    result = client.request("GET", "/api", headers=impersonation_headers(impersonate) if impersonate else None,
                            timeout=max(0.5, time_left(ctx, PROBE_TIMEOUT) - 0.5))
    if "error" in result:
        entry["error"] = result["error"]
    else:
        entry["response"] = result
    ctx.record("kubernetes", "probe", entry)
    ctx.set_fact("probe_status", result.get("status"))


def collect_version(ctx) -> None:
    client = kube_client(ctx)
    if client is not None and ctx.fact("probe_status") is not None:
        ctx.record("kubernetes", "version", kube_record(client.request("GET", "/version"), {"path": "/version"}, "exec"))


def collect_aws_auth(ctx) -> None:
    client = kube_client(ctx)
    if client is not None and ctx.fact("probe_status") is not None:
        result = client.request("GET", AWS_AUTH_PATH)
        ctx.record("kubernetes", "configmaps/kube-system/aws-auth", kube_record(result, {"path": AWS_AUTH_PATH}, "exec"))


def collect_endpoint(ctx) -> None:
    """DNS and a TCP connect to the kubeconfig's server: is it reachable, and is it a private address?"""
    selected = ctx.fact("selected")
    server = selected.server if selected is not None else ""
    parts = urlsplit(server)
    if not parts.hostname:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    record: dict = {"server": server, "host": parts.hostname, "port": port}
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        infos = pool.submit(socket.getaddrinfo, parts.hostname, port, type=socket.SOCK_STREAM).result(timeout=DNS_TIMEOUT)
    except FutureTimeout:
        record["dns_error"] = f"lookup {parts.hostname}: timed out after {DNS_TIMEOUT:g}s"
        ctx.set_local("endpoint", record)
        return
    except (socket.gaierror, OSError, UnicodeError) as exc:
        record["dns_error"] = f"lookup {parts.hostname}: {getattr(exc, 'strerror', None) or exc}"
        ctx.set_local("endpoint", record)
        return
    finally:
        pool.shutdown(wait=False)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    record["addresses"] = addresses
    record["private"] = all(_private(a) for a in addresses) if addresses else None
    try:
        with socket.create_connection((addresses[0], port), timeout=TCP_TIMEOUT):
            record["tcp"] = "open"
    except socket.timeout:
        record["tcp"] = "timeout"
    except OSError as exc:
        record["tcp"] = "refused" if isinstance(exc, ConnectionRefusedError) else f"error: {exc.strerror or exc}"
    ctx.set_local("endpoint", record)


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_private and not ip.is_loopback

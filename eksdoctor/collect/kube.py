"""Talk to the Kubernetes API server with a given bearer token, through the kubernetes client's
REST layer, and record each answer the way `kubectl … -o json` shows it (or the error).

Only reads (GET) and the Self*Review creates, which change nothing. The token is never recorded.
"""
from __future__ import annotations

import base64
import binascii
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .graph import user_agent

SELF_REVIEWS = frozenset({"/apis/authentication.k8s.io/v1/selfsubjectreviews",
                          "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"})  # creates that change nothing
_requests: set[str] = set()  # every Kubernetes request this process sent, as "METHOD /path"
_requests_lock = threading.Lock()


def requests_made() -> list[str]:
    with _requests_lock:
        return sorted(_requests)


@dataclass(frozen=True)
class Endpoint:
    server: str
    ca_pem: str | None
    insecure: bool = False
    tls_server_name: str | None = None


def endpoint_from_kubeconfig(cluster: dict) -> tuple[Endpoint | None, str | None]:
    server = cluster.get("server")
    if not server:
        return None, "the kubeconfig cluster has no server"
    ca_pem = None
    if cluster.get("certificate-authority-data"):
        try:
            ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None, "certificate-authority-data is not valid base64 PEM"
    elif cluster.get("certificate-authority"):
        try:
            ca_pem = Path(cluster["certificate-authority"]).read_text()
        except OSError as exc:
            return None, f"cannot read certificate-authority {cluster['certificate-authority']}: {exc}"
    return Endpoint(str(server).rstrip("/"), ca_pem, bool(cluster.get("insecure-skip-tls-verify")),
                    cluster.get("tls-server-name")), None


class KubeClient:
    """read_only=False only for eksdoctor/act (explicit --apply commands)."""

    def __init__(self, endpoint: Endpoint, token: str | None, timeout: float = 10.0, read_only: bool = True):
        from kubernetes.client import Configuration
        from kubernetes.client.rest import RESTClientObject
        config = Configuration()
        config.host = endpoint.server
        config.verify_ssl = not endpoint.insecure
        config.ca_cert_data = endpoint.ca_pem
        config.tls_server_name = endpoint.tls_server_name
        config.retries = False
        self._rest = RESTClientObject(config)
        self._server = endpoint.server
        self._token = token
        self._timeout = timeout
        self._read_only = read_only

    def with_token(self, token: str) -> "KubeClient":
        """The same server and TLS settings, another identity."""
        other = object.__new__(KubeClient)
        other.__dict__.update(self.__dict__)
        other._token = token
        return other

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
                timeout: float | None = None) -> dict:
        """Returns {"status", "headers", "body"} or {"error": {...}} for a connection failure."""
        import urllib3
        extra, headers = headers, urllib3.HTTPHeaderDict({"Accept": "application/json", "User-Agent": user_agent("eksdoctor")})
        for name, value in (extra.items() if extra else ()):  # repeated headers stay separate (Impersonate-Group)
            headers.add(name, value)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._read_only and method != "GET" and path not in SELF_REVIEWS:
            return {"error": {"code": "ReadOnlyViolation", "message": f"eksdoctor diagnose is read-only and refused {method} {path}"}}
        with _requests_lock:
            _requests.add(f"{method} {path}")
        try:
            resp = self._rest.request(method, self._server + path, headers=headers, body=body,
                                      _request_timeout=timeout or self._timeout)
        except urllib3.exceptions.SSLError as exc:
            return {"error": {"code": "TLSError", "message": _reason(exc)}}
        except urllib3.exceptions.NewConnectionError as exc:  # refused, no such host (a ConnectTimeoutError subclass)
            return {"error": {"code": "ConnectError", "message": _reason(exc)}}
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
            return {"error": {"code": "Timeout", "message": _reason(exc)}}
        except urllib3.exceptions.HTTPError as exc:
            return {"error": {"code": "ConnectError", "message": _reason(exc)}}
        except Exception as exc:  # the kubernetes client wraps some failures in its own types
            return {"error": {"code": "ConnectError", "message": _reason(exc)}}
        raw = resp.read() or b""
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            parsed = {"raw": raw[:2000].decode("utf-8", "replace")}
        wanted = {k: v for k, v in resp.headers.items() if k.lower() in ("date", "content-type", "audit-id")}
        return {"status": resp.status, "headers": wanted, "body": parsed}


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    return text[:500]


def kube_record(result: dict, request: dict, as_: str) -> dict:
    """A bundle record for a Kubernetes read: the object on 2xx, else the error as kubectl names it."""
    entry = {"as": as_, "request": request}
    if "error" in result:
        entry["error"] = result["error"]
        return entry
    status, body = result["status"], result["body"]
    if 200 <= status < 300 and isinstance(body, dict) and set(body) == {"raw"}:  # a cut-off success proves nothing
        entry["error"] = {"code": "InvalidResponse", "message": f"HTTP {status} with a body that is not valid JSON (truncated?)",
                          "http_status": status}
    elif 200 <= status < 300:
        entry["response"] = body
    else:
        body = body if isinstance(body, dict) else {}
        entry["error"] = {"code": body.get("reason") or _REASONS.get(status, "HTTPError"),
                          "message": str(body.get("message") or f"HTTP {status}"), "http_status": status}
    return entry


_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 429: "TooManyRequests"}

"""The Kubernetes API stand-in: HTTPS on 127.0.0.1 with the lab CA, answering the REST paths kubectl and
eksdoctor use with real Kubernetes JSON and Status objects, and authenticating bearer tokens the way EKS
does (authn.py: format checks, replay to STS with its own cluster name, canonicalise, map), then
authorizing with RBAC and access policies (authz.py).

Every request is recorded in `switch.seen` (verb, resource, path) and may be faulted by `switch`
(faults.py); bearer tokens received are kept in `switch.tokens` (for the secrets canary test).
Independent server side: never imports eksdoctor.
"""
from __future__ import annotations

import copy
import datetime as dt
import http.client
import json
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import authn, authz, faults, kproto
from .pki import CA
from .state import ClusterState, now

# resource -> (group, version, kind, namespaced, short names, verbs)
_ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
RESOURCES = {
    "pods": ("", "v1", "Pod", True, ["po"], _ALL),
    "configmaps": ("", "v1", "ConfigMap", True, ["cm"], _ALL),
    "secrets": ("", "v1", "Secret", True, [], _ALL),
    "serviceaccounts": ("", "v1", "ServiceAccount", True, ["sa"], _ALL),
    "namespaces": ("", "v1", "Namespace", False, ["ns"], ["create", "delete", "get", "list", "patch", "update", "watch"]),
    "nodes": ("", "v1", "Node", False, ["no"], _ALL),
    "clusterroles": ("rbac.authorization.k8s.io", "v1", "ClusterRole", False, [], _ALL),
    "clusterrolebindings": ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", False, [], _ALL),
    "roles": ("rbac.authorization.k8s.io", "v1", "Role", True, [], _ALL),
    "rolebindings": ("rbac.authorization.k8s.io", "v1", "RoleBinding", True, [], _ALL),
    "selfsubjectreviews": ("authentication.k8s.io", "v1", "SelfSubjectReview", False, [], ["create"]),
    "selfsubjectaccessreviews": ("authorization.k8s.io", "v1", "SelfSubjectAccessReview", False, [], ["create"]),
    "selfsubjectrulesreviews": ("authorization.k8s.io", "v1", "SelfSubjectRulesReview", True, [], ["create"]),
}
GROUPS = ["rbac.authorization.k8s.io", "authentication.k8s.io", "authorization.k8s.io"]
VERSION = {"major": "1", "minor": "35", "emulationMajor": "1", "emulationMinor": "35",
           "minCompatibilityMajor": "1", "minCompatibilityMinor": "34", "gitVersion": "v1.35.0-eks-3025e55",
           "gitCommit": "7c4c1c5e41d8a0a7c1a3a5ba2e6b1f1d5b3a7f2e", "gitTreeState": "clean",
           "buildDate": "2026-09-01T00:00:00Z", "goVersion": "go1.25.5", "compiler": "gc", "platform": "linux/amd64"}


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    doc = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
           "reason": reason, "code": code}
    if details is not None:
        doc["details"] = details
    return doc


def _api_version(resource: str) -> str:
    group, version = RESOURCES[resource][:2]
    return f"{group}/{version}" if group else version


def resource_list(group: str, version: str) -> dict:
    gv = f"{group}/{version}" if group else version
    items = [{"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": verbs,
              **({"shortNames": short} if short else {})}
             for name, (g, v, kind, namespaced, short, verbs) in RESOURCES.items() if (g, v) == (group, version)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": items}


def group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}} for g in GROUPS]}


def _logfmt(value) -> str:
    """logrus text format: a value that needs it is quoted like Go's %q."""
    text = str(value)
    return json.dumps(text) if not text or re.search(r"[^\w.:/@=+\-\[\]]", text) else text


def openapi_root() -> dict:
    gvs = ["api/v1"] + [f"apis/{g}/v1" for g in GROUPS]
    return {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash=LAB{i}"} for i, gv in enumerate(gvs)}}


def openapi_group(path: str) -> dict | None:
    """Just enough OpenAPI v3 for kubectl: PATCH operations that accept fieldValidation, so kubectl
    leaves validation to the server (which here accepts what it gets)."""
    gv = path[len("/openapi/v3/"):]
    group = "" if gv == "api/v1" else gv.split("/")[1]
    if gv != "api/v1" and group not in GROUPS:
        return None
    paths = {}
    for name, (g, v, kind, namespaced, _, verbs) in RESOURCES.items():
        if g != group or "patch" not in verbs:
            continue
        ns = "namespaces/{namespace}/" if namespaced else ""
        paths[f"/{gv}/{ns}{name}/{{name}}"] = {"patch": {
            "operationId": f"patch{kind}", "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": g, "version": v, "kind": kind},
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}],
            "responses": {"200": {"description": "OK"}}}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.35.0"}, "paths": paths,
            "components": {"schemas": {}}}


class Reply(Exception):
    def __init__(self, code: int, body: dict):
        self.code, self.body = code, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:   # quiet; the lab keeps its own authenticator log
        pass

    def _send(self, code: int, body: dict, extra=(), cut: bool = False) -> None:
        data = json.dumps(body).encode()
        data = faults.truncated(data) if cut else data
        self.send_response(code)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        latency = getattr(self.server, "latency", None)
        start = latency.wait() if latency else 0.0
        body = self._body()
        api: KubeAPI = self.server.api
        fault = api.record(self.command, self.path, self.headers.get("Authorization", ""))
        if fault == "timeout":
            api.switch.hang()
        elif fault in ("throttle", "5xx", "denied"):
            code, doc, extra = faults.kube_fault(fault)
            return self._send(code, doc, extra)
        elif fault == "garbage":
            self._send_garbage(api, body)
            return
        try:
            code, doc = api.request(self.command, self.path, self.headers.get("Authorization", ""),
                                    decode_body(body, self.headers.get("Content-Type", "")), self.client_address,
                                    impersonate=(self.headers.get("Impersonate-User"),
                                                 self.headers.get_all("Impersonate-Group") or []))
        except Reply as r:
            code, doc = r.code, r.body
        self._send(code, doc)
        if latency:
            latency.log(start, "kube", f"{self.command} {self.path.split('?')[0]}", self.headers.get("User-Agent", ""))

    def _send_garbage(self, api: "KubeAPI", body: bytes) -> None:
        try:
            code, doc = api.request(self.command, self.path, self.headers.get("Authorization", ""),
                                    decode_body(body, self.headers.get("Content-Type", "")), self.client_address)
        except Reply as r:
            code, doc = r.code, r.body
        self._send(code, doc, cut=True)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def decode_body(body: bytes, content_type: str) -> dict:
    """A request body (JSON, or the protobuf kubectl sends for built-in kinds) as a JSON object."""
    if not body:
        return {}
    if content_type.startswith("application/vnd.kubernetes.protobuf"):
        try:
            return kproto.decode(body)
        except (ValueError, KeyError, IndexError) as exc:
            raise Reply(415, status(415, "UnsupportedMediaType", str(exc), {})) from None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Reply(400, status(400, "BadRequest", f"the object provided is unrecognized: {exc}", {})) from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):   # a client refusing our CA is fine
            super().handle_error(request, client_address)

    def get_request(self):
        sock, addr = super().get_request()
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


class KubeAPI:
    """The request logic, apart from the HTTP plumbing."""

    def __init__(self, cluster: ClusterState, sts_address: tuple[str, int], clock=now, switch=None):
        self.cluster = cluster
        self.sts_address = sts_address
        self.clock = clock
        self.switch = switch or faults.Switch()

    def record(self, method: str, target: str, authorization: str) -> str | None:
        """Log the request (verb and resource as the authorizer sees them); the fault to inject, if any."""
        parts = urlsplit(target)
        a = self.attributes(method, parts.path, parse_qs(parts.query)) if method in ("GET", "POST", "PUT", "PATCH", "DELETE") else None
        self.switch.seen.append({"service": "kubernetes", "method": method, "path": parts.path, "origin": "client",
                                 "verb": a.verb if a else method.lower(), "resource": a.resource if a else "",
                                 "group": a.group if a else "", "subresource": a.subresource if a else "",
                                 "at": time.time()})
        if authorization.lower().startswith("bearer "):
            self.switch.tokens.add(authorization[7:].strip())
        return self.switch.active("kubernetes")

    # -- authentication ---------------------------------------------------------------------------
    def _log(self, level: str, msg: str, client, **fields) -> None:
        parts = [f'time="{self.clock():%Y-%m-%dT%H:%M:%SZ}"', f"level={level}", f'msg="{msg}"']
        fields.update(client=f"{client[0]}:{client[1]}", method="POST", path="/authenticate")
        parts += [f"{k}={_logfmt(v)}" for k, v in sorted(fields.items())]
        line = " ".join(parts)
        with self.cluster.lock:
            self.cluster.authenticator_log.append(line)
            ship = self.cluster.log_sink if self.cluster.authenticator_logging else None
        if ship:
            ship(line)

    def _sts(self, url: str, host: str) -> tuple[int, str]:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(*self.sts_address, timeout=10)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}", headers={
                "Host": host, "x-k8s-aws-id": self.cluster.name, "accept": "application/json",
                faults.ORIGIN_HEADER: "apiserver"})   # the server's own replay: recorded, never faulted or delayed
            resp = conn.getresponse()
            return resp.status, resp.read().decode(errors="replace")
        finally:
            conn.close()

    def authenticate(self, token: str, client) -> dict:
        """TokenReview user info, or Reply(401)."""
        c = self.cluster
        ident = None
        try:
            url, host, region, params = authn.parse_token(token, now=self.clock())
            try:
                code, text = self._sts(url, host)
            except OSError as exc:
                raise authn.AuthError(f"sts getCallerIdentity failed: error during GET: {exc} on {region} endpoint") from None
            ident = authn.identity_from_sts(code, text, host=host, region=region, params=params)
            self._log("info", "STS response", client, accesskeyid=ident.access_key_id, accountid=ident.account,
                      arn=ident.arn, session=ident.session_name, stsendpoint=host, userid=ident.user_id)
            mapped = self.map(ident)
        except authn.AuthError as exc:
            self._log("warning", "access denied", client, error=str(exc),
                      **({"arn": ident.canonical_arn} if ident else {}))
            raise Reply(401, status(401, "Unauthorized", "Unauthorized")) from None
        uid = f"aws-iam-authenticator:{ident.account}:{ident.user_id}"
        self._log("info", "access granted", client, arn=ident.canonical_arn, groups="[" + " ".join(mapped.groups) + "]",
                  stsendpoint=host, uid=uid, username=mapped.username)
        return {"username": mapped.username, "uid": uid, "groups": mapped.groups + ["system:authenticated"],
                "extra": {"arn": [ident.arn], "canonicalArn": [ident.canonical_arn],
                          "sessionName": [ident.session_name], "accessKeyId": [ident.access_key_id],
                          "principalId": [ident.user_id],
                          "sigs.k8s.io/aws-iam-authenticator/principalId": [ident.user_id]},
                "_access_entry": mapped.access_entry}

    def map(self, ident: authn.Identity) -> authn.Mapped:
        """The cluster's mapping of a verified identity, as it stands now (or authn.AuthError)."""
        c = self.cluster
        with c.lock:
            entries = list(c.access_entries.values())
            cm = c.objects.get("configmaps", {}).get(("kube-system", "aws-auth"))
            aws_auth = copy.deepcopy(cm.get("data")) if cm else None
        return authn.map_identity(ident, mode=c.auth_mode, entries=entries, aws_auth_data=aws_auth,
                                  creator_arn=c.creator_arn, sso_gate=c.sso_role_match)

    # -- routing ------------------------------------------------------------------------------------
    @staticmethod
    def attributes(method: str, path: str, query: dict) -> authz.Attributes:
        seg = [s for s in path.split("/") if s]
        verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
        if seg[:2] == ["api", "v1"] and len(seg) > 2:
            group, rest = "", seg[2:]
        elif seg[:1] == ["apis"] and len(seg) > 3:
            group, rest = seg[1], seg[3:]
        else:
            return authz.Attributes(verb=verb if method != "GET" else "get", path=path)
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource, name, sub = rest[0], (rest[1] if len(rest) > 1 else ""), (rest[2] if len(rest) > 2 else "")
        if rest[0] == "namespaces" and len(rest) == 2:
            resource, name = "namespaces", rest[1]
        if method == "GET" and not name:
            verb = "watch" if query.get("watch", [""])[0] in ("true", "1") else "list"
        return authz.Attributes(verb=verb, resource=resource, group=group, namespace=namespace, name=name,
                                subresource=sub, path=path)

    def request(self, method: str, target: str, authorization: str, body: dict, client,
                impersonate=(None, [])) -> tuple[int, dict]:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        if authorization.lower().startswith("bearer "):
            user = self.authenticate(authorization[7:].strip(), client)
        else:
            user = {"username": "system:anonymous", "uid": "", "groups": ["system:unauthenticated"], "extra": {},
                    "_access_entry": None}
        if impersonate[0]:
            user = self.impersonate(user, *impersonate)
        attrs = self.attributes(method, parts.path, query)
        c = self.cluster
        with c.lock:
            entry = c.access_entries.get(user["_access_entry"]) if user["_access_entry"] else None
            policies = copy.deepcopy(entry.policies) if entry else {}
            allowed = authz.authorize(c.objects, user["username"], user["groups"], attrs, policies)
        if not allowed:
            details = {"kind": attrs.resource} if attrs.resource else None
            if details is not None and attrs.name:
                details["name"] = attrs.name
            if details is not None and attrs.group:
                details["group"] = attrs.group
            raise Reply(403, status(403, "Forbidden", authz.forbidden_message(user["username"], attrs), details))
        if not attrs.resource:
            return self.non_resource(parts.path)
        return self.resource(method, attrs, body, user)

    def impersonate(self, user: dict, name: str, groups: list[str]) -> dict:
        """Impersonation: allowed by RBAC/system:masters only; access policies do not apply to the result."""
        c = self.cluster
        for resource, value in [("users", name)] + [("groups", g) for g in groups]:
            a = authz.Attributes(verb="impersonate", resource=resource, name=value)
            with c.lock:
                allowed = authz.authorize(c.objects, user["username"], user["groups"], a, {})
            if not allowed:
                raise Reply(403, status(403, "Forbidden", authz.forbidden_message(user["username"], a),
                                        {"name": value, "kind": resource}))
        return {"username": name, "uid": "", "groups": list(groups) + ["system:authenticated"], "extra": {},
                "_access_entry": None}

    def non_resource(self, path: str) -> tuple[int, dict]:
        if path == "/version":
            return 200, VERSION
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:443"}]}
        if path == "/apis":
            return 200, group_list()
        if path == "/api/v1":
            return 200, resource_list("", "v1")
        seg = [s for s in path.split("/") if s]
        if len(seg) == 3 and seg[0] == "apis" and seg[1] in GROUPS and seg[2] == "v1":
            return 200, resource_list(seg[1], "v1")
        if path == "/openapi/v3":
            return 200, openapi_root()
        if path.startswith("/openapi/v3/") and openapi_group(path) is not None:
            return 200, openapi_group(path)
        if path in ("/healthz", "/livez", "/readyz"):
            return 200, {"kind": "Status", "status": "Success"}
        raise Reply(404, status(404, "NotFound", "the server could not find the requested resource", {}))

    # -- resources ----------------------------------------------------------------------------------
    def resource(self, method: str, a: authz.Attributes, body: dict, user: dict) -> tuple[int, dict]:
        if a.resource not in RESOURCES or RESOURCES[a.resource][0] != a.group:
            raise Reply(404, status(404, "NotFound", "the server could not find the requested resource", {}))
        if a.resource == "selfsubjectreviews" and method == "POST":
            info = {k: v for k, v in user.items() if not k.startswith("_")}
            return 201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                         "metadata": {"creationTimestamp": None}, "status": {"userInfo": info}}
        if a.resource == "selfsubjectaccessreviews" and method == "POST":
            return 201, self.access_review(body, user)
        _, _, kind, namespaced, _, _ = RESOURCES[a.resource]
        c = self.cluster
        store = c.objects.setdefault(a.resource, {})
        qualified = a.resource if not a.group else f"{a.resource}.{a.group}"
        key = (a.namespace if namespaced else "", a.name)

        def not_found():
            return Reply(404, status(404, "NotFound", f'{qualified} "{a.name}" not found',
                                     {"name": a.name, **({"group": a.group} if a.group else {}), "kind": a.resource}))

        with c.lock:
            if method == "GET" and not a.name:
                items = [self._bare(o) for (ns, _), o in sorted(store.items())
                         if not namespaced or not a.namespace or ns == a.namespace]
                return 200, {"kind": f"{kind}List", "apiVersion": _api_version(a.resource),
                             "metadata": {"resourceVersion": str(c._version)}, "items": items}
            if method == "GET":
                if key not in store:
                    raise not_found()
                return 200, store[key]
            if method == "DELETE":
                if store.pop(key, None) is None:
                    raise not_found()
                return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                             "details": {"name": a.name, "kind": a.resource}}
            obj = copy.deepcopy(body)
            if method == "PATCH":
                if key not in store:
                    raise not_found()
                obj = _merge(copy.deepcopy(store[key]), obj)
            meta = obj.setdefault("metadata", {})
            name = meta.get("name") or a.name
            if method == "POST":
                key = (a.namespace if namespaced else "", name)
                if key in store:
                    raise Reply(409, status(409, "AlreadyExists", f'{qualified} "{name}" already exists',
                                            {"name": name, **({"group": a.group} if a.group else {}), "kind": a.resource}))
                meta.update(uid=str(uuid.uuid4()), creationTimestamp=f"{now():%Y-%m-%dT%H:%M:%SZ}")
            else:
                if key not in store:
                    raise not_found()
                current = store[key]["metadata"]
                if method == "PUT" and meta.get("resourceVersion") and meta["resourceVersion"] != current.get("resourceVersion"):
                    raise Reply(409, status(409, "Conflict",
                                            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
                                            f"modified; please apply your changes to the latest version and try again",
                                            {"name": name, **({"group": a.group} if a.group else {}), "kind": a.resource}))
                meta.update(uid=current.get("uid"), creationTimestamp=current.get("creationTimestamp"))
            meta["name"] = name
            if namespaced:
                meta["namespace"] = key[0]
            meta["resourceVersion"] = c.next_version()
            obj.update(apiVersion=_api_version(a.resource), kind=kind)
            store[key] = obj
            return (201 if method == "POST" else 200), obj

    @staticmethod
    def _bare(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}

    def access_review(self, review: dict, user: dict) -> dict:
        spec = review.get("spec", {})
        if "resourceAttributes" in spec:
            r = spec["resourceAttributes"]
            a = authz.Attributes(verb=r.get("verb", ""), resource=r.get("resource", ""), group=r.get("group", ""),
                                 namespace=r.get("namespace", ""), name=r.get("name", ""),
                                 subresource=r.get("subresource", ""))
        else:
            n = spec.get("nonResourceAttributes", {})
            a = authz.Attributes(verb=n.get("verb", ""), path=n.get("path", ""))
        c = self.cluster
        with c.lock:
            entry = c.access_entries.get(user["_access_entry"]) if user["_access_entry"] else None
            reason = authz.authorize(c.objects, user["username"], user["groups"], a,
                                     copy.deepcopy(entry.policies) if entry else {})
        result = {"allowed": bool(reason)}
        if reason:
            result["reason"] = reason
        return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                "metadata": {"creationTimestamp": None}, "spec": spec, "status": result}


def _merge(target, patch):
    """JSON merge patch (RFC 7386)."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = _merge(target.get(k), v)
    return target


class KubeServer:
    def __init__(self, cluster: ClusterState, ca: CA, sts_address: tuple[str, int], clock=now, switch=None,
                 latency=None):
        self.api = KubeAPI(cluster, sts_address, clock, switch)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self.api
        self._server.latency = latency  # latency.Latency: delay and log each request (bench/latency.py)
        self._server.ssl_context = ca.server_context("127.0.0.1")
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "KubeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def seed_objects(cluster: ClusterState, rbac: dict[str, list[dict]], aws_auth: dict | None) -> None:
    """A fresh cluster's objects: namespaces, bootstrap RBAC plus the scenario's, and aws-auth."""
    def put(resource: str, obj: dict) -> None:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        namespaced = RESOURCES[resource][3]
        if namespaced:
            meta.setdefault("namespace", "default")
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", f"{now() - dt.timedelta(days=30):%Y-%m-%dT%H:%M:%SZ}")
        meta["resourceVersion"] = cluster.next_version()
        obj.update(apiVersion=_api_version(resource), kind=RESOURCES[resource][2])
        cluster.objects.setdefault(resource, {})[(meta.get("namespace", "") if namespaced else "", meta["name"])] = obj

    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        put("namespaces", {"metadata": {"name": ns}, "spec": {"finalizers": ["kubernetes"]},
                           "status": {"phase": "Active"}})
    for resource, objs in {**{k: list(v) for k, v in authz.builtin_rbac().items()}}.items():
        for obj in objs:
            put(resource, obj)
    for resource, objs in rbac.items():
        for obj in objs:
            put(resource, obj)
    if aws_auth is not None:
        put("configmaps", {"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": aws_auth})

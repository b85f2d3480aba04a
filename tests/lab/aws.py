"""The lab's AWS endpoint: moto's WSGI app behind a small front that behaves like the real services
where moto does not.

- EKS access entries/policies (moto has none) are served from the ClusterState, with EKS's errors;
- DescribeCluster of the lab cluster gets the stand-in's endpoint, the lab CA and the scenario's
  accessConfig / logging / resourcesVpcConfig (moto drops accessConfig);
- CloudTrail LookupEvents is served from the scenario's trail;
- STS checks SigV4 signatures with the secrets it issued (moto accepts anything), so a token signed for
  another cluster name fails with SignatureDoesNotMatch as on AWS; presigned GetCallerIdentity is
  re-expressed with an Authorization header for moto, and answered in JSON when asked for JSON.
Everything else passes through to moto unchanged. Every request is recorded in `switch.seen` (service,
operation, access key, caller) and may be faulted by `switch` (faults.py). Lab-only; never imports eksdoctor.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import threading
import uuid
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote
from xml.etree import ElementTree

from . import faults, sigv4
from .state import AccessEntry, ClusterState, now

POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ACCESS_POLICIES = [
    "AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy",
    "AmazonEKSAdminViewPolicy", "AmazonEKSSecretReaderPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSHybridPolicy",
]
SKEW = dt.timedelta(minutes=15)
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
NODE_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX")
API_MODES_ONLY = ("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
                  "to perform this operation.")


class Reply(Exception):
    """Raised by a handler to answer at once: (status, headers, body)."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json", headers=()):
        self.status, self.body, self.content_type, self.headers = status, body, content_type, list(headers)


def _json(status: int, obj, headers=()) -> Reply:
    return Reply(status, json.dumps(obj, default=_default, separators=(",", ":")).encode(), "application/json", headers)


def _default(value):
    if isinstance(value, dt.datetime):
        return value.timestamp()
    raise TypeError(type(value))


def eks_error(status: int, code: str, message: str, **extra) -> Reply:
    return _json(status, {"message": message, **extra}, [("x-amzn-ErrorType", f"{code}:")])


def sts_error(status: int, code: str, message: str, as_json: bool) -> Reply:
    request_id = str(uuid.uuid4())
    if as_json:
        return _json(status, {"Error": {"Code": code, "Message": message, "Type": "Sender"}, "RequestId": request_id})
    body = (f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return Reply(status, body.encode(), "text/xml")


def _amz_date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def _xml_fields(body: bytes) -> dict[str, str]:
    """Leaf elements of an XML document by local name (enough for the few responses read here)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return {}
    return {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter() if len(el) == 0}


# ---------------------------------------------------------------------------------------------
# Canned EKS / CloudTrail shapes (tests/lab/test_front_shapes.py validates them against botocore)

def access_entry_json(cluster: ClusterState, e: AccessEntry) -> dict:
    kind, _, rest = e.principal_arn.split(":", 5)[5].partition("/")
    return {
        "clusterName": cluster.name, "principalArn": e.principal_arn, "kubernetesGroups": list(e.groups),
        "accessEntryArn": (f"arn:aws:eks:{cluster.region}:{cluster.account}:access-entry/{cluster.name}/"
                           f"{kind}/{cluster.account}/{rest.rsplit('/', 1)[-1]}/{e.uid}"),
        "createdAt": e.created_at, "modifiedAt": e.modified_at, "tags": {}, "username": e.username, "type": e.type,
    }


def associated_policy_json(policy_arn: str, assoc: dict) -> dict:
    return {"policyArn": policy_arn, "accessScope": assoc["accessScope"],
            "associatedAt": assoc["associatedAt"], "modifiedAt": assoc["modifiedAt"]}


def access_policies_json() -> dict:
    return {"accessPolicies": [{"name": n, "arn": POLICY_PREFIX + n} for n in ACCESS_POLICIES]}


def cluster_overlay(cluster: ClusterState, described: dict) -> dict:
    """DescribeCluster as EKS would return it for the lab cluster, starting from moto's answer."""
    c = dict(described)
    c.update(endpoint=cluster.endpoint, status="ACTIVE", certificateAuthority={"data": cluster.ca_data},
             accessConfig={"authenticationMode": cluster.auth_mode,
                           "bootstrapClusterCreatorAdminPermissions": cluster.bootstrap_admin},
             logging={"clusterLogging": cluster.logging})
    c["resourcesVpcConfig"] = {**c.get("resourcesVpcConfig", {}), **cluster.vpc}
    return c


def trail_event_json(event: dict) -> dict:
    return {k: event[k] for k in ("EventId", "EventName", "ReadOnly", "AccessKeyId", "EventTime", "EventSource",
                                  "Username", "Resources", "CloudTrailEvent") if k in event}


def default_username(cluster: ClusterState, principal_arn: str, entry_type: str) -> str:
    if entry_type in ("EC2_LINUX", "EC2_WINDOWS"):
        return "system:node:{{EC2PrivateDNSName}}"
    if entry_type in ("FARGATE_LINUX", "HYBRID_LINUX"):
        return "system:node:{{SessionName}}"
    resource = principal_arn.split(":", 5)[5]
    if resource.startswith("role/"):
        return f"arn:aws:sts::{cluster.account}:assumed-role/{resource.rsplit('/', 1)[-1]}/{{{{SessionName}}}}"
    return principal_arn


IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def iam_error(code: str, message: str) -> bytes:
    return (f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()


def simulate_xml(results: list[tuple[str, str, bool]]) -> bytes:
    members = "".join(
        f"<member><EvalActionName>{action}</EvalActionName><EvalResourceName>{resource}</EvalResourceName>"
        + ("<EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>AdministratorAccess"
           "</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements>"
           if allowed else "<EvalDecision>implicitDeny</EvalDecision><MatchedStatements/>")
        + "<MissingContextValues/></member>" for action, resource, allowed in results)
    return (f'<SimulatePrincipalPolicyResponse xmlns="{IAM_NS}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            f"</ResponseMetadata></SimulatePrincipalPolicyResponse>").encode()


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, operation) for a REST service, from botocore's service model."""
    import botocore.session
    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(http["requestUri"].split("?")[0]))
        routes.append((http["method"], re.compile(f"^{path}$"), name))
    return routes


def operation_name(service: str, method: str, raw_path: str, form: dict, headers: dict) -> str:
    """The API operation a request calls, whatever the service's protocol."""
    if form.get("Action"):
        return form["Action"]
    if headers.get("x-amz-target"):
        return headers["x-amz-target"].rsplit(".", 1)[-1]
    for verb, pattern, name in _rest_routes(service) if service in ("eks",) else ():
        if verb == method and pattern.match(raw_path):
            return name
    return f"{method} {raw_path}"


# ---------------------------------------------------------------------------------------------

class Front:
    """WSGI app in front of moto. `resolve_principal(arn) -> principal id or None` looks the ARN up in IAM."""

    def __init__(self, moto_app, cluster: ClusterState, resolve_principal, switch: faults.Switch | None = None):
        self.moto = moto_app
        self.cluster = cluster
        self.resolve_principal = resolve_principal
        self.switch = switch or faults.Switch()
        self.credentials: dict[str, dict] = {}     # access key id -> {"secret", "token", "expires", "arn"}
        self.clusters: set[str] = set()            # created through this front
        self.lock = threading.Lock()

    # -- credentials STS and IAM issued (seen passing through) --
    def remember(self, key: str, secret: str, token: str | None = None, expires: str | None = None,
                 arn: str | None = None) -> None:
        exp = dt.datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None
        with self.lock:
            self.credentials[key] = {"secret": secret, "token": token, "expires": exp, "arn": arn}

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        raw_path = raw.split("?", 1)[0]
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        signed = sigv4.parse(query, headers)
        service = signed.scope.split("/")[2] if signed and signed.scope.count("/") >= 3 else \
            headers.get("host", "").split(".")[0]
        fault = self._record(service, environ["REQUEST_METHOD"], raw_path, query, headers, body, signed)
        if fault == "garbage":   # the real answer, cut in half
            captured = {}
            out = b"".join(self._handle(environ, lambda st, hd, exc=None: captured.update(st=st, hd=hd),
                                        raw_path, query, headers, body, signed, service))
            out = faults.truncated(out)
            start_response(captured["st"], [(k, v) for k, v in captured["hd"] if k.lower() != "content-length"]
                           + [("Content-Length", str(len(out)))])
            return [out]
        if fault == "cut":   # held, then dropped: it never reaches moto (see Switch.cut_at)
            self.switch.released.wait()
            fault = "5xx"
        if fault == "timeout":
            self.switch.hang()
        elif fault:
            record = self.switch.seen[-1]
            status, hdrs, out = faults.aws_fault(fault, service, record["operation"], record["caller"] or "anonymous")
            start_response(f"{status} {HTTPStatus(status).phrase}", hdrs + [("Content-Length", str(len(out)))])
            return [out]
        return self._handle(environ, start_response, raw_path, query, headers, body, signed, service)

    def _handle(self, environ, start_response, raw_path, query, headers, body, signed, service):
        try:
            if service == "sts":
                return self._sts(environ, start_response, raw_path, query, headers, body, signed)
            if service == "eks":
                self._eks(environ, raw_path, query, body)
            if service == "cloudtrail" and headers.get("x-amz-target", "").endswith(".LookupEvents"):
                self._lookup_events(json.loads(body or b"{}"))
            if service == "iam" and b"Action=SimulatePrincipalPolicy" in body:
                self._simulate(parse_qsl(body.decode()))
            status, out_headers, out = self._moto(environ, start_response)
            if service == "iam":
                self._observe(out)
            if service == "eks" and environ["REQUEST_METHOD"] == "GET":
                out, out_headers = self._patch_cluster(raw_path, status, out, out_headers)
            if service == "eks" and raw_path == "/clusters" and status.startswith("200"):
                self.clusters.add(json.loads(out)["cluster"]["name"])   # moto fails sub-resources of unknown ones
            start_response(status, out_headers)
            return [out]
        except Reply as r:
            start_response(f"{r.status} {HTTPStatus(r.status).phrase}", [("Content-Type", r.content_type),
                                             ("Content-Length", str(len(r.body))), *r.headers])
            return [r.body]

    def _record(self, service, method, raw_path, query, headers, body, signed) -> str | None:
        """Log the request; the fault to inject into it, if any (never into the lab's own requests)."""
        form = dict(query) | (dict(parse_qsl(body.decode(errors="replace"))) if service in faults.QUERY and body else {})
        key = signed.access_key if signed else None
        with self.lock:
            caller = (self.credentials.get(key) or {}).get("arn") if key else None
        origin = headers.get(faults.ORIGIN_HEADER) or "client"
        record = {"service": service, "operation": operation_name(service, method, raw_path, form, headers),
                  "access_key": key, "caller": caller, "origin": origin}
        if record["operation"] == "AssumeRole":
            record["role_arn"] = form.get("RoleArn")
        self.switch.seen.append(record)
        if origin == "client" and self.switch.is_cut(record["operation"]):
            return "cut"
        fault = self.switch.active(service) if origin == "client" else None
        if fault == "denied" and service == "sts" and record["operation"] != "AssumeRole":
            return None   # GetCallerIdentity needs no permission: STS denies only what a policy can deny
        return fault

    def _moto(self, environ, start_response):
        captured, chunks = {}, []

        def sr(status, hdrs, exc_info=None):
            captured.update(status=status, headers=hdrs)
            return chunks.append

        result = self.moto(environ, sr)
        try:
            chunks.extend(result)
        finally:
            getattr(result, "close", lambda: None)()
        return captured["status"], captured["headers"], b"".join(chunks)

    def _observe(self, out: bytes) -> None:
        f = _xml_fields(out)
        if f.get("AccessKeyId") and f.get("SecretAccessKey"):
            arn = f.get("Arn") or (f"arn:aws:iam::{self.cluster.account}:user/{f['UserName']}" if f.get("UserName") else None)
            self.remember(f["AccessKeyId"], f["SecretAccessKey"], f.get("SessionToken"), f.get("Expiration"), arn)

    # -- STS --
    def _sts(self, environ, start_response, raw_path, query, headers, body, signed):
        form = dict(query) | dict(parse_qsl(body.decode(errors="replace"))) if body else dict(query)
        action = form.get("Action", "")
        as_json = "application/json" in headers.get("accept", "")
        if signed:
            self._check_signature(environ["REQUEST_METHOD"], raw_path, query, headers, body, signed, as_json)
        if signed and signed.presigned:
            # moto routes a presigned GET without Authorization to S3: restate it as a header-signed call.
            environ["HTTP_AUTHORIZATION"] = (f"{sigv4.ALGORITHM} Credential={dict(query)['X-Amz-Credential']}, "
                                             f"SignedHeaders={';'.join(signed.signed_headers)}, "
                                             f"Signature={signed.signature}")
            environ["HTTP_X_AMZ_DATE"] = signed.amz_date
            if "X-Amz-Security-Token" in dict(query):
                environ["HTTP_X_AMZ_SECURITY_TOKEN"] = dict(query)["X-Amz-Security-Token"]
            environ["QUERY_STRING"] = "&".join(f"{k}={v}" for k, v in query if not k.startswith("X-Amz-"))
        status, out_headers, out = self._moto(environ, start_response)
        self._observe(out)
        if action == "GetCallerIdentity" and as_json and status.startswith("200"):
            f = _xml_fields(out)
            doc = {"GetCallerIdentityResponse": {
                "GetCallerIdentityResult": {"Account": f.get("Account"), "Arn": f.get("Arn"), "UserId": f.get("UserId")},
                "ResponseMetadata": {"RequestId": f.get("RequestId") or str(uuid.uuid4())}}}
            raise _json(200, doc)
        start_response(status, out_headers)
        return [out]

    def _check_signature(self, method, raw_path, query, headers, body, signed, as_json) -> None:
        with self.lock:
            cred = self.credentials.get(signed.access_key)
        token = dict(query).get("X-Amz-Security-Token") if signed.presigned else headers.get("x-amz-security-token")
        if cred is None or (cred["token"] or None) != (token or None):
            raise sts_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.", as_json)
        if cred["expires"] and now() > cred["expires"]:
            raise sts_error(403, "ExpiredToken", "The security token included in the request is expired", as_json)
        date = _amz_date(signed.amz_date)
        if date is None:
            raise sts_error(400, "IncompleteSignature", "Date must be in ISO-8601 'basic format'.", as_json)
        if not signed.presigned and abs(now() - date) > SKEW:
            fmt = "%Y%m%dT%H%M%SZ"
            cur = now()
            if date < cur:
                msg = (f"Signature expired: {signed.amz_date} is now earlier than {(cur - SKEW).strftime(fmt)} "
                       f"({cur.strftime(fmt)} - 15 min.)")
            else:
                msg = (f"Signature not yet current: {signed.amz_date} is still later than "
                       f"{(cur + SKEW).strftime(fmt)} ({cur.strftime(fmt)} + 15 min.)")
            raise sts_error(403, "SignatureDoesNotMatch", msg, as_json)
        if not sigv4.verify(signed, cred["secret"], method, raw_path, query, headers, body):
            raise sts_error(403, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature you provided. "
                            "Check your AWS Secret Access Key and signing method. Consult the service "
                            "documentation for details.", as_json)

    # -- EKS --
    def _eks(self, environ, raw_path, query, body) -> None:
        """Answer the EKS calls moto lacks (raises Reply); return to pass the request to moto."""
        seg = [unquote(s) for s in raw_path.strip("/").split("/")]
        method = environ["REQUEST_METHOD"]
        c = self.cluster
        if seg == ["access-policies"] and method == "GET":
            raise _json(200, access_policies_json())
        if len(seg) >= 3 and seg[0] == "clusters" and seg[1] not in self.clusters:
            raise eks_error(404, "ResourceNotFoundException", f"No cluster found for name: {seg[1]}.")
        if seg == ["clusters", c.name, "update-config"] and method == "POST":
            self._update_config(json.loads(body or b"{}"))
        if seg == ["clusters", c.name, "identity-provider-configs"] and method == "GET":
            raise _json(200, {"identityProviderConfigs": []})   # the lab's cluster trusts no OIDC provider
        if seg == ["clusters", c.name, "identity-provider-configs", "describe"] and method == "POST":
            raise eks_error(404, "ResourceNotFoundException", "No identity provider config found.")
        if len(seg) < 3 or seg[0] != "clusters" or seg[2] != "access-entries":
            return
        if seg[1] != c.name:
            raise eks_error(404, "ResourceNotFoundException", f"No cluster found for name: {seg[1]}.")
        if c.auth_mode == "CONFIG_MAP":
            raise eks_error(400, "InvalidRequestException", API_MODES_ONLY)
        data = json.loads(body or b"{}")
        with c.lock:
            if len(seg) == 3:
                if method == "GET":
                    wanted = dict(query).get("associatedPolicyArn")
                    arns = [a for a, e in c.access_entries.items() if not wanted or wanted in e.policies]
                    raise _json(200, {"accessEntries": arns})
                if method == "POST":
                    raise _json(200, {"accessEntry": access_entry_json(c, self._create_entry(data))})
            arn = seg[3]
            entry = c.access_entries.get(arn)
            if entry is None:
                raise eks_error(404, "ResourceNotFoundException",
                                f"The specified principalArn could not be found. You can view your available "
                                f"access entries with 'list-access-entries'.", clusterName=c.name)
            if len(seg) == 4:
                if method == "GET":
                    raise _json(200, {"accessEntry": access_entry_json(c, entry)})
                if method == "DELETE":
                    del c.access_entries[arn]
                    raise _json(200, {})
                if method == "POST":
                    if "kubernetesGroups" in data:
                        entry.groups = list(data["kubernetesGroups"])
                    if "username" in data:
                        entry.username = data["username"]
                    entry.modified_at = now()
                    raise _json(200, {"accessEntry": access_entry_json(c, entry)})
            if len(seg) >= 5 and seg[4] == "access-policies":
                if len(seg) == 5 and method == "GET":
                    raise _json(200, {"clusterName": c.name, "principalArn": arn, "associatedAccessPolicies": [
                        associated_policy_json(p, a) for p, a in entry.policies.items()]})
                if len(seg) == 5 and method == "POST":
                    raise _json(200, {"clusterName": c.name, "principalArn": arn, "associatedAccessPolicy":
                                      associated_policy_json(data["policyArn"], self._associate(entry, data))})
                if len(seg) == 6 and method == "DELETE":
                    entry.policies.pop(seg[5], None)
                    raise _json(200, {})
        raise eks_error(404, "NotFoundException", "Unknown operation")

    def _create_entry(self, data: dict) -> AccessEntry:
        c, arn = self.cluster, data.get("principalArn", "")
        if arn in c.access_entries:
            raise eks_error(409, "ResourceInUseException",
                            "The specified access entry resource is already in use on this cluster.", clusterName=c.name)
        principal_id = self.resolve_principal(arn)
        if principal_id is None:
            raise eks_error(400, "InvalidParameterException",
                            "The specified principalArn is invalid: invalid principal.", clusterName=c.name)
        groups = list(data.get("kubernetesGroups") or [])
        for group in groups:
            if group.startswith("system:"):
                raise eks_error(400, "InvalidParameterException",
                                f"The kubernetes group name {group} is invalid, it cannot start with system:",
                                clusterName=c.name)
        entry_type = data.get("type") or "STANDARD"
        if entry_type in NODE_TYPES:
            groups = ["system:nodes"]   # [EKS?] node entries take no custom groups; EKS puts them in system:nodes
        entry = AccessEntry(principal_arn=arn, principal_id=principal_id, groups=groups, type=entry_type,
                            username=data.get("username") or default_username(c, arn, entry_type),
                            uid=uuid.uuid4().hex[:24])
        c.access_entries[arn] = entry
        return entry

    @staticmethod
    def _associate(entry: AccessEntry, data: dict) -> dict:
        scope = data.get("accessScope") or {"type": "cluster"}
        scope = {"type": scope.get("type", "cluster"), "namespaces": list(scope.get("namespaces") or [])}
        old = entry.policies.get(data["policyArn"])
        assoc = {"accessScope": scope, "associatedAt": old["associatedAt"] if old else now(), "modifiedAt": now()}
        entry.policies[data["policyArn"]] = assoc
        return assoc

    def _update_config(self, data: dict) -> None:
        c = self.cluster
        with c.lock:
            if "accessConfig" in data:
                mode = data["accessConfig"].get("authenticationMode")
                order = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]
                if mode and order.index(mode) < order.index(c.auth_mode):
                    raise eks_error(400, "InvalidParameterException",
                                    f"Unsupported authentication mode update from {c.auth_mode} to {mode}",
                                    clusterName=c.name)
                c.auth_mode = mode or c.auth_mode
                kind = "AccessConfigUpdate"
                params = [{"type": "AuthenticationMode", "value": c.auth_mode}]
            elif "logging" in data:
                c.logging = data["logging"].get("clusterLogging", c.logging)
                kind = "LoggingUpdate"
                params = [{"type": "ClusterLogging", "value": json.dumps({"clusterLogging": c.logging})}]
            else:
                return
        raise _json(200, {"update": {"id": str(uuid.uuid4()), "status": "Successful", "type": kind,
                                     "params": params, "createdAt": now(), "errors": []}})

    def _patch_cluster(self, raw_path, status, out, out_headers):
        seg = [unquote(s) for s in raw_path.strip("/").split("/")]
        if seg != ["clusters", self.cluster.name] or not status.startswith("200"):
            return out, out_headers
        doc = json.loads(out)
        doc["cluster"] = cluster_overlay(self.cluster, doc["cluster"])
        out = json.dumps(doc).encode()
        hdrs = [(k, v) for k, v in out_headers if k.lower() != "content-length"] + [("Content-Length", str(len(out)))]
        return out, hdrs

    # -- IAM --
    def _simulate(self, form: list[tuple[str, str]]) -> None:
        """SimulatePrincipalPolicy (moto lacks it): lab principals hold AdministratorAccess unless the
        scenario denies an action."""
        params = dict(form)
        source = params.get("PolicySourceArn", "")
        if self.resolve_principal(source) is None:
            raise Reply(404, iam_error("NoSuchEntity", f"The principal {source} does not exist."), "text/xml")
        actions = [v for k, v in form if k.startswith("ActionNames.member.")]
        resources = [v for k, v in form if k.startswith("ResourceArns.member.")] or ["*"]
        raise Reply(200, simulate_xml([(a, r, a not in self.cluster.iam_denied_actions)
                                       for a in actions for r in resources]), "text/xml")

    # -- CloudTrail --
    def _lookup_events(self, data: dict) -> None:
        events = list(reversed(self.cluster.trail))
        for attr in data.get("LookupAttributes", []):
            key, value = attr.get("AttributeKey"), attr.get("AttributeValue")
            if key == "EventName":
                events = [e for e in events if e["EventName"] == value]
            elif key == "ResourceName":
                events = [e for e in events if any(r.get("ResourceName") == value for r in e.get("Resources", []))]
            elif key == "Username":
                events = [e for e in events if e.get("Username") == value]
        raise _json(200, {"Events": [trail_event_json(e) for e in events]})


"""The lab's aws-iam-authenticator: token verification (authenticator.md §2), ARN canonicalisation (§3)
and mapping through access entries and aws-auth (§4), written from that document alone.

It is the server side eksdoctor's predictions are checked against, so it must never import eksdoctor.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import yaml

PREFIX = "k8s-aws-v1."
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
DOMAINS = {"aws": ("amazonaws.com", "api.aws"), "aws-cn": ("amazonaws.com.cn", "api.amazonwebservices.com.cn"),
           "aws-us-gov": ("amazonaws.com", "api.aws")}
ALLOWED_PARAMS = {"action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
                  "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders"}
REGION_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?$")
EXPIRY = dt.timedelta(minutes=15)
NOT_MAPPED = "identity is not mapped"


class AuthError(Exception):
    """Verification or mapping failed: the API server answers 401 and the log says why."""


def _format(msg: str) -> AuthError:
    return AuthError(f"input token was not properly formatted: {msg}")


@dataclass
class Identity:
    arn: str
    canonical_arn: str
    account: str
    user_id: str
    session_name: str
    access_key_id: str
    sts_endpoint: str


@dataclass
class Mapped:
    username: str
    groups: list[str]
    identity: Identity
    backend: str
    access_entry: str | None = None           # principal ARN of the matched access entry
    extra: dict[str, list[str]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- §2

def check_host(host: str, partition: str) -> str:
    """The token host's region, or AuthError as verifyHost words it (simplified resolver, §2.1)."""
    if host == "sts.amazonaws.com":
        if partition != "aws":
            raise _format(f"global endpoint unsupported in partition {partition}")
        return "global"
    labels = host.split(".")
    if len(labels) < 3:
        raise _format(f"could not parse region for pre-signed URL {host}, invalid host format: {host}")
    region = labels[1]
    if not REGION_RE.match(region):
        raise _format(f"invalid region identifier format provided: {region}")
    domains = DOMAINS.get(partition, ())
    if labels[0] not in ("sts", "sts-fips") or ".".join(labels[2:]) not in domains:
        raise _format(f'unexpected hostname "{host}" in pre-signed URL')
    return region


def parse_token(token: str, *, now: dt.datetime, partition: str = "aws"):
    """Rows 1–17 of §2, in order. Returns (url, host, params) ready for the STS call."""
    if len(token) > 4096:
        raise _format("token is too large")
    if not token.startswith(PREFIX):
        raise _format(f'token is missing expected "{PREFIX}" prefix')
    body = token[len(PREFIX):]
    if re.search(r"[^A-Za-z0-9_-]", body) or len(body) % 4 == 1:
        bad = re.search(r"[^A-Za-z0-9_-]", body)
        raise _format(f"illegal base64 data at input byte {bad.start() if bad else len(body)}")
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        parts = urlsplit(url)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _format(str(exc)) from None
    if parts.scheme != "https":
        raise _format(f'unexpected scheme "{parts.scheme}" in pre-signed URL')
    region = check_host(parts.netloc, partition)
    if parts.path != "/":
        raise _format("unexpected path in pre-signed URL")
    if "%" in parts.query and re.search(r"%(?![0-9A-Fa-f]{2})", parts.query) or ";" in parts.query:
        raise _format("malformed query parameter")
    raw = parse_qs(parts.query, keep_blank_values=True)
    seen: dict[str, str] = {}
    for name in raw:
        if name.lower() in seen:
            raise _format(f'duplicate query parameter found: "{name}"')
        seen[name.lower()] = name
    for name in raw:
        if name.lower() not in ALLOWED_PARAMS:
            raise _format(f'non-whitelisted query parameter "{name}"')
    if any(len(v) != 1 for v in raw.values()):
        raise _format("query parameter with multiple values not supported")
    params = {k.lower(): v[0] for k, v in raw.items()}
    if params.get("action") != "GetCallerIdentity":
        raise _format("unexpected action parameter in pre-signed URL")
    if "x-k8s-aws-id" not in [h.lower() for h in params.get("x-amz-signedheaders", "").split(";")]:
        raise _format("client did not sign the x-k8s-aws-id header in the pre-signed URL")
    try:
        expires = int(params.get("x-amz-expires", ""))
    except ValueError:
        expires = 0
        raise _format(f"invalid X-Amz-Expires parameter in pre-signed URL: {expires}") from None
    if not 0 <= expires <= 900:
        raise _format(f"invalid X-Amz-Expires parameter in pre-signed URL: {expires}")
    if "x-amz-date" not in params:
        raise _format("X-Amz-Date parameter must be present in pre-signed URL")
    try:
        date = dt.datetime.strptime(params["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise _format(f"error parsing X-Amz-Date parameter {params['x-amz-date']} into format "
                      f"20060102T150405Z: {exc}") from None
    if now > date + EXPIRY:
        raise _format(f"X-Amz-Date parameter is expired (15 minute expiration) {date:%Y-%m-%d %H:%M:%S} +0000 UTC")
    return url, parts.netloc, region, params


def identity_from_sts(status: int, body: str, *, host: str, region: str, params: dict) -> Identity:
    """Rows 20–24: the STS answer to an Identity, or AuthError."""
    if status != 200:
        if "Throttling" in body:
            raise AuthError(f"sts getCallerIdentity was throttled: {body}")
        raise AuthError(f"sts getCallerIdentity failed: error from AWS (expected 200, got {status}) "
                        f"on {region} endpoint. Body: {body}")
    try:
        result = json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
        arn, account, user_id = result["Arn"], result["Account"], result["UserId"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"sts getCallerIdentity failed: {exc}") from None
    canonical, kind = canonicalize(arn)
    session = ""
    if kind not in ("USER", "ROOT", "FEDERATED_USER"):
        pieces = user_id.split(":")
        if len(pieces) != 2:
            raise AuthError(f'sts getCallerIdentity failed: malformed UserID "{user_id}"')
        user_id, session = pieces
    return Identity(arn=arn, canonical_arn=canonical, account=account, user_id=user_id, session_name=session,
                    access_key_id=params.get("x-amz-credential", "").split("/", 1)[0], sts_endpoint=host)


# ---------------------------------------------------------------------------------------------- §3

def canonicalize(arn: str) -> tuple[str, str]:
    """(canonical ARN, principal type) — never strips a path, never changes case."""
    parts = arn.split(":", 5)
    if not arn.startswith("arn:"):
        raise AuthError(f"sts getCallerIdentity failed: arn '{arn}' is invalid: 'arn: invalid prefix'")
    if len(parts) < 6:
        raise AuthError(f"sts getCallerIdentity failed: arn '{arn}' is invalid: 'arn: not enough sections'")
    _, partition, service, _, account, resource = parts
    if partition not in PARTITIONS:
        raise AuthError(f"sts getCallerIdentity failed: arn '{arn}' does not have a recognized partition")
    pieces = resource.split("/")
    if service == "sts":
        if pieces[0] == "federated-user":
            return arn, "FEDERATED_USER"
        if pieces[0] == "assumed-role":
            if len(pieces) < 3:
                raise AuthError(f"sts getCallerIdentity failed: assumed-role arn '{arn}' does not have a role")
            return f"arn:{partition}:iam::{account}:role/{'/'.join(pieces[1:-1])}", "ASSUMED_ROLE"
        raise AuthError(f"sts getCallerIdentity failed: unrecognized resource {resource} for service sts")
    if service == "iam":
        kinds = {"role": "ROLE", "user": "USER", "root": "ROOT"}
        if pieces[0] in kinds:
            return arn, kinds[pieces[0]]
        raise AuthError(f"sts getCallerIdentity failed: unrecognized resource {resource} for service iam")
    raise AuthError(f"sts getCallerIdentity failed: service {service} in arn {arn} is not a valid service for identities")


def strip_path(arn: str) -> str:
    head, _, resource = arn.rpartition(":")
    pieces = resource.split("/")
    if pieces[0] == "role" and len(pieces) > 2:
        return f"{head}:role/{pieces[-1]}"
    return arn


# ---------------------------------------------------------------------------------------------- §4

def render(template: str, ident: Identity) -> str:
    """§4.7: plain substitutions; an EC2 node name cannot be resolved in the lab (only instance sessions)."""
    if "{{EC2PrivateDNSName}}" in template:
        if not re.match(r"^i-(\w{8}|\w{17})$", ident.session_name):
            raise AuthError(f'error rendering username template "{template}": SessionName did not contain an instance id')
        template = template.replace("{{EC2PrivateDNSName}}", "ip-10-0-0-1.ec2.internal")
    return (template.replace("{{AccountID}}", ident.account)
            .replace("{{SessionName}}", ident.session_name.replace("@", "-"))
            .replace("{{SessionNameRaw}}", ident.session_name)
            .replace("{{AccessKeyID}}", ident.access_key_id))


def _ci(entry: dict) -> dict:
    """encoding/json matches field names case-insensitively."""
    return {str(k).lower(): v for k, v in entry.items()} if isinstance(entry, dict) else {}


def _string(value) -> str:
    return value if isinstance(value, str) else ""          # a JSON type error leaves the field empty


def _groups(value) -> list[str]:
    return [g if isinstance(g, str) else "" for g in value] if isinstance(value, list) else []


@dataclass
class AwsAuth:
    roles: list[dict]
    users: list[dict]
    accounts: list[str]
    errors: list[str]


def parse_aws_auth(data: dict | None) -> AwsAuth:
    """§4.2: each key parsed on its own; a key whose YAML fails contributes nothing; bad entries are dropped."""
    result = AwsAuth([], [], [], [])
    data = data or {}

    def load(key: str):
        text = data.get(key)
        if text is None or not str(text).strip() or str(text).strip() in ('``', '""', "''"):
            return []
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            result.errors.append(f"{key}: {exc}")
            return []
        if not isinstance(value, list):
            result.errors.append(f"{key}: not a list")
            return []
        return value

    for raw in load("mapRoles"):
        e = _ci(raw)
        sso = _ci(e.get("sso")) if isinstance(e.get("sso"), dict) else None
        entry = {"rolearn": _string(e.get("rolearn")), "username": _string(e.get("username")),
                 "groups": _groups(e.get("groups")), "sso": sso}
        if not entry["rolearn"] and not sso:
            result.errors.append("one of rolearn or SSO must be supplied")
        elif entry["rolearn"] and sso:
            result.errors.append("only one of rolearn or SSO can be supplied")
        elif sso and not re.match(r"^[0-9]{12}$", _string(sso.get("accountid"))):
            result.errors.append(f"AccountID '{_string(sso.get('accountid'))}' is not a valid AWS Account ID")
        elif sso and not re.match(r"^[\w+=,.@-]{1,32}$", _string(sso.get("permissionsetname"))):
            result.errors.append(f"PermissionSetName '{_string(sso.get('permissionsetname'))}' is not valid")
        else:
            result.roles.append(entry)
    for raw in load("mapUsers"):
        e = _ci(raw)
        entry = {"userarn": _string(e.get("userarn")), "username": _string(e.get("username")),
                 "groups": _groups(e.get("groups"))}
        if not entry["userarn"]:
            result.errors.append("value for userarn must be supplied")
        else:
            result.users.append(entry)
    result.accounts = [str(a) for a in load("mapAccounts")]
    return result


def _sso_matches(sso: dict, canonical: str) -> bool:
    partition = "aws" if not _string(sso.get("partition")) else ""   # the upstream bug (§4.3), kept on purpose
    pattern = (f"arn:{partition}:iam::{_string(sso.get('accountid'))}:role/"
               f"AWSReservedSSO_{_string(sso.get('permissionsetname'))}_*").lower()
    want, have = pattern.split(":", 5), canonical.lower().split(":", 5)
    return len(have) == 6 and all(re.fullmatch(re.escape(w).replace(r"\*", ".*").replace(r"\?", ".?"), h)
                                  for w, h in zip(want, have))


def map_config_map(auth: AwsAuth, ident: Identity, sso_gate: bool) -> tuple[str, list[str]] | None:
    """EKSConfigMap backend: roles, then users; last duplicate role wins; ARNs compared case-insensitively."""
    roles: dict[str, dict] = {}
    for r in auth.roles:
        roles[r["rolearn"].lower() if r["rolearn"] else json.dumps(r["sso"], sort_keys=True)] = r
    for r in roles.values():
        if r["rolearn"] and r["rolearn"].lower() == ident.canonical_arn.lower():
            return r["username"], r["groups"]
        if r["sso"] and sso_gate and _sso_matches(r["sso"], ident.canonical_arn):
            return r["username"], r["groups"]
    for u in auth.users:
        if u["userarn"].lower() == ident.canonical_arn.lower():
            return u["username"], u["groups"]
    return None


def map_identity(ident: Identity, *, mode: str, entries, aws_auth_data: dict | None, creator_arn: str,
                 sso_gate: bool = False) -> Mapped:
    """The backend chain of §4.1 for an EKS authentication mode.

    CONFIG_MAP: the hidden creator mapping, then aws-auth. API_AND_CONFIG_MAP: access entries (which hold
    the creator's bootstrap entry), then aws-auth. API: access entries only.
    """
    errors: list[str] = []
    backends = {"CONFIG_MAP": ["creator", "configmap"], "API_AND_CONFIG_MAP": ["entries", "configmap"],
                "API": ["entries"]}[mode]
    for backend in backends:
        found = None
        if backend == "creator" and strip_path(creator_arn).lower() == ident.canonical_arn.lower():
            found = ("kubernetes-admin", ["system:masters"], None)
        elif backend == "entries":
            for entry in entries:
                if entry.principal_id != ident.user_id:
                    continue
                if strip_path(entry.principal_arn).lower() != ident.canonical_arn.lower():
                    errors.append("mapper DynamicFile Map error: ARN does not match User ID")
                    continue
                found = (entry.username, list(entry.groups), entry.principal_arn)
                break
        elif backend == "configmap":
            auth = parse_aws_auth(aws_auth_data)
            hit = map_config_map(auth, ident, sso_gate)
            if hit:
                found = (hit[0], hit[1], None)
            elif ident.account in auth.accounts:
                return Mapped(ident.canonical_arn, [], ident, backend)
        if found:
            try:
                username = render(found[0], ident)
                groups = [render(g, ident) for g in found[1]]
            except AuthError as exc:
                raise AuthError(f"mapper {backend} renderTemplates error: {exc}") from None
            return Mapped(username, groups, ident, backend, access_entry=found[2])
    if errors:
        raise AuthError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    raise AuthError(NOT_MAPPED)


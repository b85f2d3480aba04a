"""AWS calls for collectors: named credential sets (`as`), one call → one bundle record.

Each record is what `aws <service> <operation> --output json` prints (pages merged, timestamps as
ISO 8601, no ResponseMetadata) or the error. Only read-only operations are called here.
Endpoints come from the normal configuration (AWS_ENDPOINT_URL and friends), never from code.
"""
from __future__ import annotations

import datetime as _dt
import json
import threading

from .. import __version__
from .graph import user_agent

_clients_lock = threading.Lock()
_operations: set[str] = set()  # every AWS operation this process called, as "service:Operation"

# Everything diagnose may call; docs/iam-policy.json grants exactly these. Anything else is refused
# before it is sent, so collection is read-only by construction (writes live in eksdoctor/act/).
READ_OPERATIONS = frozenset({
    "sts:GetCallerIdentity", "sts:AssumeRole",
    "eks:DescribeCluster", "eks:ListClusters", "eks:ListAccessEntries", "eks:DescribeAccessEntry",
    "eks:ListAssociatedAccessPolicies", "eks:ListAccessPolicies", "eks:ListNodegroups", "eks:DescribeNodegroup",
    "eks:ListFargateProfiles", "eks:DescribeFargateProfile",
    "eks:ListIdentityProviderConfigs", "eks:DescribeIdentityProviderConfig",
    "iam:GetRole", "iam:GetUser", "iam:SimulatePrincipalPolicy",
    "cloudtrail:LookupEvents",
    "logs:StartQuery", "logs:GetQueryResults", "logs:FilterLogEvents", "logs:StopQuery",
})


def _audit(model=None, **_) -> None:
    if model is None:
        return
    name = f"{model.service_model.endpoint_prefix}:{model.name}"
    if name not in READ_OPERATIONS:
        raise _read_only_violation(name)
    with _clients_lock:
        _operations.add(name)


def _name_collector(request=None, **_) -> None:
    """before-send: the User-Agent names the collector (SigV4 never signs it, so it may change here)."""
    agent = request.headers.get("User-Agent") if request is not None else None
    if agent:
        request.headers["User-Agent"] = user_agent(agent.decode() if isinstance(agent, bytes) else agent)


def _check_body(http_response=None, model=None, parsed=None, **_) -> None:
    """botocore reads a JSON answer that does not parse as {"message": body}, which then looks like an
    empty success; a 2xx answer must parse, or the call fails with InvalidResponse. Only an answer that
    came out empty is parsed again (large log pages are not)."""
    if http_response is None or model is None or not 200 <= http_response.status_code < 300:
        return
    if model.service_model.protocol not in ("json", "rest-json") or not http_response.content:
        return
    if isinstance(parsed, dict) and set(parsed) - {"ResponseMetadata", "message"}:
        return
    try:
        json.loads(http_response.content)
    except ValueError:
        raise _invalid_response(f"{model.service_model.endpoint_prefix}:{model.name}") from None


def _invalid_response(operation: str):
    from botocore.exceptions import BotoCoreError

    class InvalidResponse(BotoCoreError):
        fmt = "{operation} answered HTTP 2xx with a body that is not valid JSON (truncated?)"
    return InvalidResponse(operation=operation)


def _read_only_violation(operation: str):
    from botocore.exceptions import BotoCoreError

    class ReadOnlyViolation(BotoCoreError):
        fmt = "eksdoctor diagnose is read-only and refused to call {operation}"
    return ReadOnlyViolation(operation=operation)


def operations_made() -> list[str]:
    with _clients_lock:
        return sorted(_operations)


def client_config():
    from botocore.config import Config
    return Config(retries={"mode": "adaptive", "max_attempts": 4}, connect_timeout=5, read_timeout=15,
                  user_agent_extra=f"eksdoctor/{__version__}")


class Credentials:
    """A named way to call AWS: a botocore Session (or the reason none could be made), and its clients,
    each made once (client creation costs tens of milliseconds of CPU). `guard` sees every call before
    it is sent and refuses what is not allowed: the read-only list here, act/client.py's for --apply."""

    def __init__(self, label: str, session=None, problem: dict | None = None, guard=_audit):
        self.label = label
        self.session = session
        self.problem = problem
        self.guard = guard
        self._clients: dict = {}
        self._lock = threading.Lock()  # one session makes one client at a time; other sessions go on

    def client(self, service: str, region: str | None):
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                client = self.session.create_client(service, region_name=region, config=client_config())
                client.meta.events.register("before-call", self.guard)
                client.meta.events.register("before-send", _name_collector)
                client.meta.events.register("after-call", _check_body)
                self._clients[key] = client
            return self._clients[key]


_loader = None  # botocore's service models, read once per process and shared by every session


def new_session(region: str | None = None):
    """A botocore Session (boto3 adds nothing eksdoctor uses, and importing it costs ~0.1 s more)."""
    global _loader
    import botocore.session
    from botocore.loaders import create_loader
    core = botocore.session.Session()
    with _clients_lock:
        if _loader is None:
            _loader = create_loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", _loader)
    if region:
        core.set_config_variable("region", region)
    return core


def make_session(label: str, *, profile: str | None = None, region: str | None = None,
                 config_file: str | None = None, credentials_file: str | None = None, guard=_audit) -> Credentials:
    from botocore.exceptions import BotoCoreError
    try:
        core = new_session(region)
        if config_file:
            core.set_config_variable("config_file", config_file)
        if credentials_file:
            core.set_config_variable("credentials_file", credentials_file)
        if profile:
            core.set_config_variable("profile", profile)
            core.get_scoped_config()  # raises ProfileNotFound now rather than mid-call
        return Credentials(label, core, guard=guard)
    except BotoCoreError as exc:
        return Credentials(label, None, error_record(exc), guard=guard)


def from_keys(label: str, access_key: str, secret_key: str, token: str | None, region: str | None) -> Credentials:
    core = new_session(region)
    core.set_credentials(access_key, secret_key, token)
    return Credentials(label, core)


def to_cli_json(value):
    """Shape a boto3 response like the AWS CLI prints it."""
    if isinstance(value, dict):
        return {k: to_cli_json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [to_cli_json(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def call_errors() -> tuple[type[BaseException], ...]:
    """What a botocore call raises when AWS (or the way to it) fails: caught and recorded, never a crash.
    ResponseParserError (an answer that would not parse) is not a BotoCoreError."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError
    return BotoCoreError, ClientError, ResponseParserError


def error_record(exc: BaseException) -> dict:
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError
    if isinstance(exc, ResponseParserError) or type(exc).__name__ == "InvalidResponse":
        return {"code": "InvalidResponse", "message": str(exc).split("\n", 1)[0][:300]}
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = str(err.get("Message") or exc)
        if message.lstrip().startswith("<"):  # a page botocore could not read as an AWS error: name it, not quote it
            message = (f"HTTP {status or '?'} with a web page, not an AWS error: a proxy or gateway answered, "
                       "or the endpoint does not serve this API")
        record = {"code": err.get("Code") or "ClientError", "message": message}
        if status:
            record["http_status"] = status
        return record
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return {"code": "Timeout", "message": str(exc)}
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ConnectionError)):
        return {"code": "ConnectError", "message": str(exc)}
    if isinstance(exc, bx.NoCredentialsError):
        return {"code": "NoCredentials", "message": str(exc)}
    if isinstance(exc, bx.NoRegionError):
        return {"code": "NoRegion", "message": str(exc)}
    return {"code": type(exc).__name__, "message": str(exc)}


def snake(operation: str) -> str:
    from botocore import xform_name
    return xform_name(operation)


def invoke(client, operation: str, params: dict):
    """One operation, every page merged when it paginates; the response as the AWS CLI prints it."""
    method = snake(operation)
    if client.can_paginate(method):
        return to_cli_json(client.get_paginator(method).paginate(**params).build_full_result())
    return to_cli_json(getattr(client, method)(**params))


def call(ctx, creds: Credentials, service: str, operation: str, request: dict | None = None, *,
         region: str | None = None, record: bool = True):
    """Call one operation (all pages when it paginates); record it; return the response or None."""
    entry = call_entry(ctx, creds, service, operation, request, region=region)
    if record:
        ctx.record("aws", f"{service}:{operation}", entry)
    return entry.get("response")


def call_entry(ctx, creds: Credentials, service: str, operation: str, request: dict | None = None, *,
               region: str | None = None) -> dict:
    """Call one operation (all pages when it paginates) and return its bundle record, not recorded yet
    (a collector that fans calls out records them in a fixed order)."""
    request = dict(request or {})
    entry: dict = {"as": creds.label, "request": request}
    target_region = ctx.data["target"].get("region")
    if region and region != target_region:
        entry["region"] = region
    if creds.session is None:
        entry["error"] = creds.problem or {"code": "NoCredentials", "message": "no credentials"}
        return entry
    try:
        entry["response"] = invoke(creds.client(service, region or target_region), operation, request)
    except call_errors() as exc:
        entry["error"] = error_record(exc)
    return entry

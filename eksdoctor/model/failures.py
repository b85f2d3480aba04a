"""Why a recorded call failed, in three kinds: `denied` (IAM refused the read), `unavailable` (throttled
after retries, a 5xx, a timeout, no connection, an answer that would not parse: says nothing about
access) or another answer (NotFound, 401, …: evidence in itself). Pure; reads bundle records only."""
from __future__ import annotations

from ..bundle import Bundle, Call

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"})
UNAVAILABLE = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "TooManyRequests",
    "RequestLimitExceeded", "SlowDown", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
    "InternalError", "InternalServerError", "ServerException", "Timeout", "ConnectError", "InvalidResponse",
    "UnexpectedResponse",
})
# A probe that never reached the server is the network checks' to explain (private_endpoint_unreachable…).
_PROBE_OWNED = frozenset({"Timeout", "ConnectError", "TLSError", "NotSent"})


def is_denied(call: Call) -> bool:
    return call.source == "aws" and call.error_code in DENIED


def _busy(status) -> bool:
    return isinstance(status, int) and (status >= 500 or status == 429)


def _probe_answer(call: Call) -> dict:
    """The probe keeps the API server's answer as its response, whatever the status."""
    response = call.response if call.key == "probe" and isinstance(call.response, dict) else {}
    return response


def is_unavailable(call: Call) -> bool:
    if call.error is None:
        return _busy(_probe_answer(call).get("status"))
    # botocore names an error by its HTTP status when the answer had no error code it could read
    return call.error_code in UNAVAILABLE or call.error_code.isdigit() or _busy(call.error.get("http_status"))


def describe(call: Call) -> str:
    """`Code (HTTP n): message` of a failed call."""
    answer = _probe_answer(call)
    if call.error is None and answer:
        body = answer.get("body") if isinstance(answer.get("body"), dict) else {}
        return f"{body.get('reason') or 'HTTP error'} (HTTP {answer.get('status')}): {str(body.get('message') or '')[:200]}"
    err = call.error or {}
    status = f" (HTTP {err['http_status']})" if isinstance(err.get("http_status"), int) else ""
    return f"{call.error_code}{status}: {str(err.get('message') or '')[:200]}"


def unavailable_calls(bundle: Bundle) -> list[Call]:
    """Calls that failed for a reason that says nothing about access, the probe's network failures aside."""
    return [c for c in bundle.all_calls() if is_unavailable(c)
            and not (c.source == "kubernetes" and c.key == "probe" and c.error_code in _PROBE_OWNED)]


def collection_errors(bundle: Bundle) -> list[dict]:
    """`collection.errors`: collectors abandoned at a timeout, or that crashed (with --debug, a traceback)."""
    section = bundle.data.get("collection")
    errors = section.get("errors") if isinstance(section, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

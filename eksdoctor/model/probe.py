"""What the API server said to the exec plugin's token (the `kubernetes.probe` record), and the one
sentence every client-side finding carries: did kubectl's request reach the server, and what did it say.
401 = identity/token/mapping, 403 = permissions, neither = a client or network problem."""
from __future__ import annotations

from dataclasses import dataclass

from ..bundle import Bundle


@dataclass(frozen=True)
class ProbeOutcome:
    kind: str  # ok, unauthorized, forbidden, connect, not_sent, http_error, absent
    status: int | None = None
    message: str = ""
    date: str | None = None
    pointer: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    @property
    def reached_server(self) -> bool:
        return self.kind in ("ok", "unauthorized", "forbidden", "http_error")

    def describe(self) -> str:
        if self.kind == "ok":
            return f"HTTP {self.status}"
        if self.kind == "unauthorized":
            return "the API server answered 401 Unauthorized (it did not accept the identity)"
        if self.kind == "forbidden":
            return f"the API server answered 403 Forbidden ({self.message or 'authenticated, not allowed'})"
        if self.kind == "connect":
            return f"the request never reached the API server ({self.message})"
        if self.kind == "not_sent":
            return f"kubectl would not send the request ({self.message})"
        if self.kind == "http_error":
            return f"the API server answered HTTP {self.status} ({self.message})"
        return "the API server was not probed"


def probe_outcome(bundle: Bundle) -> ProbeOutcome:
    calls = bundle.kube("probe")
    if not calls:
        return ProbeOutcome("absent")
    call = calls[-1]
    if call.error and call.error_code == "NotSent":
        return ProbeOutcome("not_sent", message=str(call.error.get("message", "")), pointer=call.pointer)
    if call.error:
        return ProbeOutcome("connect", message=f"{call.error_code}: {call.error.get('message', '')}".strip(": "), pointer=call.pointer)
    response = call.response if isinstance(call.response, dict) else {}
    status = response.get("status")
    body = response.get("body") if isinstance(response.get("body"), dict) else {}
    headers = response.get("headers") if isinstance(response.get("headers"), dict) else {}
    date = next((v for k, v in headers.items() if str(k).lower() == "date"), None)
    message = str(body.get("message") or "")
    if not isinstance(status, int):
        return ProbeOutcome("absent", pointer=call.pointer)
    if 200 <= status < 300:
        kind = "ok"
    elif status == 401:
        kind = "unauthorized"
    elif status == 403:
        kind = "forbidden"
    else:
        kind = "http_error"
    return ProbeOutcome(kind, status, message, date, call.pointer)


def reach_sentence(outcome: ProbeOutcome) -> str:
    """Plainly: did kubectl's request reach the API server, and what did the server say?"""
    if outcome.kind == "ok":
        return f"kubectl's request reached the API server and was accepted (HTTP {outcome.status})."
    if outcome.kind == "unauthorized":
        return ("kubectl's request reached the API server, which answered 401 Unauthorized: it did not accept "
                "the identity (a token, identity or mapping problem).")
    if outcome.kind == "forbidden":
        said = f": {outcome.message}" if outcome.message else ""
        return ("kubectl's request reached the API server, which answered 403 Forbidden: the identity was accepted "
                f"but is not allowed (a permissions problem){said}.")
    if outcome.kind == "connect":
        return (f"kubectl's request never reached the API server ({outcome.message}): a client or network problem, "
                "not an authentication one; the server said nothing.")
    if outcome.kind == "not_sent":
        return f"kubectl never sends the request: {outcome.message.removeprefix('kubectl stops before sending the request: ')}. The API server said nothing."
    if outcome.kind == "http_error":
        return f"kubectl's request reached the API server, which answered HTTP {outcome.status} ({outcome.message})."
    return "The API server was not probed, so whether kubectl's request reaches it is unknown."

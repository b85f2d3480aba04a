"""Fault injection and request recording for the lab's servers (issue 10): what a client sees when a
remote dependency throttles, fails, hangs, refuses, cannot be resolved, denies, or answers garbage.

`Switch` is shared by the AWS front and the Kubernetes stand-in: `switch.set(target, kind)` turns one
fault on (target: sts, eks, iam, cloudtrail, logs, kubernetes), `switch.clear()` turns it off. HTTP-level
kinds are answered by the servers; `refused` and `dns` are endpoint changes (World.fault_env). Requests
the lab makes for itself (set-up key, log shipping, the stand-in's own token replay) are never faulted.
Lab-only; never imports eksdoctor.
"""
from __future__ import annotations

import json
import threading
import uuid

KINDS = ("throttle", "5xx", "timeout", "refused", "dns", "denied", "garbage")
HTTP_KINDS = ("throttle", "5xx", "timeout", "denied", "garbage")
HANG_SECONDS = 60.0           # a "timeout" holds the request this long (or until the world stops)
ORIGIN_HEADER = "x-lab-origin"  # marks the lab's own requests: "lab" (set-up), "apiserver" (token replays)
QUERY = ("sts", "iam")          # awsquery protocol (XML); cloudtrail and logs speak JSON 1.1, eks REST-JSON
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


class Switch:
    """One fault at a time, and a log of every request the servers saw (for the read-only proof)."""

    def __init__(self):
        self.target: str | None = None
        self.kind: str | None = None
        self.released = threading.Event()   # set when the world stops: hung requests return
        self.seen: list[dict] = []          # appended by the servers; list.append is atomic
        self.tokens: set[str] = set()       # bearer tokens the stand-in received
        self.cut: tuple[str, int] | None = None   # (AWS operation, nth client request of it): see cut_at
        self.cut_count = 0
        self.cut_reached = threading.Event()     # set when the cut request arrives and is being held

    def set(self, target: str, kind: str) -> None:
        assert kind in KINDS, kind
        self.target, self.kind = target, kind

    def clear(self) -> None:
        self.target = self.kind = None

    def active(self, target: str) -> str | None:
        return self.kind if self.target == target and self.kind in HTTP_KINDS else None

    def hang(self) -> None:
        self.released.wait(HANG_SECONDS)

    def cut_at(self, operation: str, nth: int = 1) -> None:
        """Hold the nth client request for this AWS operation (until the world stops), and then drop it
        unapplied: a test can kill the client while it waits, a crash at a known point, and knows
        exactly which writes reached the cloud."""
        self.cut, self.cut_count = (operation, nth), 0
        self.cut_reached.clear()

    def is_cut(self, operation: str) -> bool:
        if self.cut is None or operation != self.cut[0]:
            return False
        self.cut_count += 1
        if self.cut_count != self.cut[1]:
            return False
        self.cut_reached.set()
        return True


# -- AWS error bodies in each protocol --------------------------------------------------------------

def _query_error(service: str, status: int, code: str, message: str) -> tuple[int, list, bytes]:
    ns = STS_NS if service == "sts" else IAM_NS
    body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{"Receiver" if status >= 500 else "Sender"}</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>").encode()
    return status, [("Content-Type", "text/xml")], body


def _json_error(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", f"{code}:")], body


def _rest_error(status: int, code: str, message: str) -> tuple[int, list, bytes]:
    return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", f"{code}:")], \
        json.dumps({"message": message}).encode()


def aws_fault(kind: str, service: str, operation: str, caller: str) -> tuple[int, list, bytes]:
    """(status, headers, body) for throttle, 5xx or denied, as `service` words it."""
    if kind == "throttle":
        code, status, message = ("Throttling" if service in QUERY else "ThrottlingException"), 400, "Rate exceeded"
        if service == "eks":
            status = 429
    elif kind == "5xx":
        code, status, message = "ServiceUnavailable", 503, "Service is unavailable, please try again later."
        if service in QUERY:
            code = "ServiceUnavailable"
    else:
        action = f"{service}:{operation}"
        message = (f"User: {caller} is not authorized to perform: {action} on resource: * because no "
                   f"identity-based policy allows the {action} action")
        code, status = ("AccessDenied", 403) if service in QUERY else ("AccessDeniedException", 400 if service != "eks" else 403)
    if service in QUERY:
        return _query_error(service, status, code, message)
    if service == "eks":
        return _rest_error(status, code, message)
    return _json_error(status, code, message)


def truncated(body: bytes) -> bytes:
    """A response body cut in half (sent with a matching Content-Length: it parses as garbage)."""
    return body[: max(1, len(body) // 2)]


# -- Kubernetes ---------------------------------------------------------------------------------------

def kube_fault(kind: str) -> tuple[int, dict, list]:
    """(status, Status body, extra headers) for throttle, 5xx or denied."""
    if kind == "throttle":
        return 429, _status(429, "TooManyRequests", "Too many requests, please try again later."), [("Retry-After", "1")]
    if kind == "5xx":
        return 503, _status(503, "ServiceUnavailable", "the server is currently unable to handle the request"), []
    return 403, _status(403, "Forbidden", "forbidden: the lab denies every request"), []


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}

"""Network latency for the lab: every request a client sends to the AWS front or the Kubernetes stand-in
waits a fixed delay before it is answered, and is logged (when, what, which client) for bench/latency.py.

The lab's own requests (marked with faults.ORIGIN_HEADER: its set-up, the stand-in's STS replays) are not delayed: they stand for the
authenticator's hop inside AWS, not for the user's network. Lab-only; never imports eksdoctor.
"""
from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .faults import ORIGIN_HEADER

_COLLECTOR = re.compile(r"\bcollector/(\w+)")


@dataclass(frozen=True)
class Request:
    start: float  # time.monotonic() when it arrived
    end: float  # when it was answered
    server: str  # "aws" or "kube"
    label: str  # "sts:AssumeRole", "eks:GET /clusters/prod", "GET /api"
    agent: str  # "eksdoctor", "aws-cli", "kubectl", "python" (botocore's own, e.g. an assume-role provider)
    collector: str  # the eksdoctor collector that sent it ("collector/NAME" in the User-Agent), or ""


class Latency:
    def __init__(self, delay: float):
        self.delay = delay
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def wait(self) -> float:
        start = time.monotonic()
        time.sleep(self.delay)
        return start

    def log(self, start: float, server: str, label: str, user_agent: str) -> None:
        sender = _COLLECTOR.search(user_agent)
        with self._lock:
            self.requests.append(Request(start, time.monotonic(), server, label, agent(user_agent),
                                         sender.group(1) if sender else ""))

    def wsgi(self, app):
        """The AWS front, delayed and logged."""
        def delayed(environ, start_response):
            if environ.get("HTTP_" + ORIGIN_HEADER.upper().replace("-", "_")):
                return app(environ, start_response)
            start = self.wait()
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                return app(environ, start_response)
            finally:
                self.log(start, "aws", aws_label(environ, body), environ.get("HTTP_USER_AGENT", ""))
        return delayed


def agent(user_agent: str) -> str:
    ua = user_agent.lower()
    for name in ("eksdoctor", "aws-cli", "kubectl"):
        if name in ua:
            return name
    return "python"


def aws_label(environ: dict, body: bytes) -> str:
    """service:Operation from the request (query protocol Action, JSON X-Amz-Target, or REST method+path)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0] if "Credential=" in auth else query.get("X-Amz-Credential", "")
    parts = scope.split("/")
    service = parts[3] if len(parts) > 3 else environ.get("HTTP_HOST", "?").split(".")[0]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    action = query.get("Action") or dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action")
    if action:
        return f"{service}:{action}"
    return f"{service}:{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '/')}"

"""How far the local clock is from AWS's and the API server's, from the bundle alone.

Sources: the `Date` header of the probe's answer and of the token's replay to STS, against the local
time each request was sent (`sent_at`, else `collected_at`); and STS's own verdict in an error message
(`Signature expired: …` / `Signature not yet current: …`). Pure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from ..bundle import Bundle, parse_time

_STS_SKEW = re.compile(r"Signature (expired|not yet current): (\d{8}T\d{6}Z) is (?:now earlier|still later) than (\d{8}T\d{6}Z)")


@dataclass(frozen=True)
class Sample:
    skew: timedelta  # server time minus local time: positive when the local clock is behind
    source: str  # what the server time came from
    pointer: str


def _http_date(value) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sent(call, bundle: Bundle) -> datetime:
    try:
        return parse_time(call.raw["sent_at"])
    except Exception:  # absent or malformed: the collection's start is the best we have
        return bundle.collected_at


def samples(bundle: Bundle) -> list[Sample]:
    found = []
    for call in bundle.kube("probe"):
        headers = call.response.get("headers") if isinstance(call.response, dict) else None
        date = next((v for k, v in (headers or {}).items() if str(k).lower() == "date"), None)
        server = _http_date(date) if date else None
        if server:
            found.append(Sample(server - _sent(call, bundle), "the API server's Date header", call.pointer))
    for call in bundle.aws("sts:GetCallerIdentity", as_="token"):
        server = _http_date(call.raw.get("server_date")) if call.raw.get("server_date") else None
        if server:
            found.append(Sample(server - _sent(call, bundle), "STS's Date header", call.pointer))
    return found


def sts_verdict(bundle: Bundle) -> tuple[str, str, timedelta] | None:
    """STS said the signature was made at a time too far from its own: (message, pointer, skew)."""
    for call in bundle.aws("sts:GetCallerIdentity"):
        message = str((call.error or {}).get("message") or "")
        match = _STS_SKEW.search(message)
        if match:
            signed = datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            now = datetime.strptime(match.group(3), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            skew = now - signed if match.group(1) == "expired" else -(signed - now)
            if match.group(1) == "expired":
                skew += timedelta(minutes=15)  # "X is now earlier than Y (Z - 15 min.)": Y is STS's now minus 15 minutes
            else:
                skew -= timedelta(minutes=15)
            return message, call.pointer, skew
    return None


def describe(skew: timedelta) -> str:
    seconds = int(abs(skew.total_seconds()))
    amount = f"{seconds // 3600}h {seconds % 3600 // 60}m" if seconds >= 3600 else f"{seconds // 60}m {seconds % 60}s"
    return f"{amount} {'behind' if skew > timedelta(0) else 'ahead of'}"

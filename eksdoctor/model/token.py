"""Decode an EKS token's non-secret parts and run the authenticator's format checks on it.

A token is `k8s-aws-v1.` + base64url(presigned STS GetCallerIdentity URL) (authenticator.md §1).
decode() keeps only what a diagnosis needs — never the signature, credential or security token —
and reports the first format check (§2 rows 1–16) that the server would fail, in its own words.
"""
from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from .arn import PARTITIONS

PREFIX = "k8s-aws-v1."
MAX_TOKEN_BYTES = 4096
VALID_FOR = timedelta(minutes=15)
_ALLOWED_PARAMS = {"action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
                   "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders"}
_REGION = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?$")
_FORMAT = "input token was not properly formatted: "


def _first_format_error(token: str, url, query: dict) -> str | None:
    if url.scheme != "https":
        return _FORMAT + f'unexpected scheme "{url.scheme}" in pre-signed URL'
    host_error = host_problem(url.hostname or "")
    if host_error:
        return _FORMAT + host_error
    if url.path != "/":
        return _FORMAT + "unexpected path in pre-signed URL"
    lowered: dict[str, list[str]] = {}
    for name, values in query.items():
        if name.lower() in lowered:
            return _FORMAT + f'duplicate query parameter found: "{name}"'
        lowered[name.lower()] = values
    for name in query:
        if name.lower() not in _ALLOWED_PARAMS:
            return _FORMAT + f'non-whitelisted query parameter "{name}"'
    if any(len(v) != 1 for v in lowered.values()):
        return _FORMAT + "query parameter with multiple values not supported"
    if lowered.get("action", [""])[0] != "GetCallerIdentity":
        return _FORMAT + "unexpected action parameter in pre-signed URL"
    signed = [h.lower() for h in lowered.get("x-amz-signedheaders", [""])[0].split(";")]
    if "x-k8s-aws-id" not in signed:
        return _FORMAT + "client did not sign the x-k8s-aws-id header in the pre-signed URL"
    expires = lowered.get("x-amz-expires", ["0"])[0]
    if not expires.isdigit() or not 0 <= int(expires) <= 900:
        return _FORMAT + f"invalid X-Amz-Expires parameter in pre-signed URL: {expires if expires.isdigit() else 0}"
    date = lowered.get("x-amz-date", [""])[0]
    if not date:
        return _FORMAT + "X-Amz-Date parameter must be present in pre-signed URL"
    if parse_amz_date(date) is None:
        return _FORMAT + f"error parsing X-Amz-Date parameter {date} into format 20060102T150405Z"
    return None


def host_problem(host: str, partition: str = "aws") -> str | None:
    """The host allow-list, simplified to what the SDK resolver accepts (authenticator.md §2.1):
    sts or sts-fips, a well-formed region, and the partition's domain or dual-stack domain."""
    if host == "sts.amazonaws.com":
        return None if partition == "aws" else f"global endpoint unsupported in partition {partition}"
    labels = host.split(".")
    if len(labels) < 3:
        return f"could not parse region for pre-signed URL {host}, invalid host format: {host}"
    if not _REGION.match(labels[1]):
        return f"invalid region identifier format provided: {labels[1]}"
    domain = ".".join(labels[2:])
    known = {d for pair in PARTITIONS.values() for d in pair if d}
    if labels[0] not in ("sts", "sts-fips") or domain not in known:
        return f'unexpected hostname "{host}" in pre-signed URL'
    if domain not in PARTITIONS.get(partition, PARTITIONS["aws"]):
        return f"partition {{{partition}}} does not support hostname {host}"
    return None


def parse_amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def presigned_url(token: str) -> str | None:
    """The URL inside a token, for replaying it to STS in memory; never store or print it."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > MAX_TOKEN_BYTES:
        return None
    body = token[len(PREFIX):]
    if re.search(r"[^A-Za-z0-9_\-]", body):
        return None
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def age(x_amz_date: str | None, now: datetime) -> timedelta | None:
    """How long before `now` the token was signed (negative when signed in the future)."""
    signed = parse_amz_date(x_amz_date or "")
    return None if signed is None else now - signed


def decode(token: str) -> dict:
    """The non-secret parts of a token, and the first format error the server would report."""
    info: dict = {"length": len(token.encode("utf-8", "replace"))}
    if len(token) > MAX_TOKEN_BYTES:
        return {**info, "format_error": _FORMAT + "token is too large"}
    if not token.startswith(PREFIX):
        return {**info, "format_error": _FORMAT + 'token is missing expected "k8s-aws-v1." prefix'}
    body = token[len(PREFIX):]
    try:
        if re.search(r"[^A-Za-z0-9_\-]", body):
            raise binascii.Error("illegal base64 data")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {**info, "format_error": _FORMAT + "illegal base64 data"}
    url = urlsplit(raw)
    query = parse_qs(url.query, keep_blank_values=True)
    lowered = {k.lower(): v[0] for k, v in query.items() if v}
    credential = lowered.get("x-amz-credential", "")
    access_key = credential.split("/", 1)[0]
    scope = credential.split("/")
    info.update({
        "scheme": url.scheme,
        "host": url.hostname or "",
        "region": scope[2] if len(scope) > 2 else None,
        "x_amz_date": lowered.get("x-amz-date"),
        "x_amz_expires": lowered.get("x-amz-expires"),
        "signed_headers": lowered.get("x-amz-signedheaders", "").split(";") if lowered.get("x-amz-signedheaders") else [],
        "access_key_type": access_key[:4] if access_key else None,
        "has_security_token": "x-amz-security-token" in lowered,
        "format_error": _first_format_error(token, url, query),
    })
    return info


def expiry_problem(x_amz_date: str | None, now: datetime) -> str | None:
    """Row 17: the server rejects a token whose X-Amz-Date is more than 15 minutes before its clock."""
    signed = parse_amz_date(x_amz_date or "")
    if signed is None or now <= signed + VALID_FOR:
        return None
    return _FORMAT + f"X-Amz-Date parameter is expired (15 minute expiration) {signed.strftime('%Y-%m-%d %H:%M:%S +0000 UTC')}"

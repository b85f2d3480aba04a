"""Remove secrets from anything eksdoctor stores or prints: keys by name, tokens by shape.

Applied by collectors as they record and again by save_bundle, so a bundle never holds a secret
access key, session token, bearer/EKS token, presigned signature or credential, client key or
password (bundle spec, Redaction). It never removes what a diagnosis needs (ARNs, CA data).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .bundle import MAX_JSON_DEPTH, BundleError

REDACTED = "REDACTED"
SET = "<set>"  # how local.env says a secret variable is set without saying its value

# Keys whose values are secrets wherever they appear (compared case-insensitively, - and _ ignored).
SECRET_KEYS = {
    "secretaccesskey", "awssecretaccesskey", "sessiontoken", "awssessiontoken", "securitytoken",
    "awssecuritytoken", "token", "bearertoken", "accesstoken", "refreshtoken", "idtoken",
    "clientkeydata", "clientkey", "password", "clientsecret", "authorization",
    "xamzsecuritytoken", "xamzsignature", "xamzcredential",
}
# Keys whose whole value goes, whatever its shape (an sts:AssumeRole response's Credentials).
# Other secret keys only redact scalars: `exec.token` is a dict of the token's decoded, non-secret parts.
WHOLE_VALUE_KEYS = {"credentials"}
# `{"name": "AWS_SECRET_ACCESS_KEY", "value": …}` (a kubeconfig exec env entry): the value is a secret too.
SECRET_NAMED_VALUES = SECRET_KEYS | {"awsaccesskeyid"}

_PATTERNS = [
    (re.compile(r"k8s-aws-v1\.[A-Za-z0-9_\-=]+"), "k8s-aws-v1." + REDACTED),
    (re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)(?:=|%3D|\"?\s*[:=]\s*\"?))[^&\s\"',;]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\1" + REDACTED),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"), REDACTED),  # JWTs (OIDC tokens)
    (re.compile(r"\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9+/=]{20,}"), REDACTED),  # STS session tokens
    (re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"), r"\1" + REDACTED),
    # an STS answer quoted in an error message (a response that would not parse), XML or JSON, maybe cut off
    (re.compile(r"(?i)(<(?:SecretAccessKey|SessionToken)>)[^<]*"), r"\1" + REDACTED),
    (re.compile(r'(?i)("(?:SecretAccessKey|SessionToken)"\s*:\s*")[^"]*'), r"\1" + REDACTED),
    (re.compile(r"(?i)(aws_session_token\s*[=:]\s*)\S+"), r"\1" + REDACTED),
]


@lru_cache(maxsize=4096)
def _normal(key: str) -> str:
    return re.sub(r"[-_\s]", "", key).lower()


def _may_hold_secret(text: str) -> bool:
    """False when no pattern above can match: each needs one of these substrings. Plain `in` tests run
    at C speed, so the regexes only run on the rare string that might hold a secret."""
    if ("k8s-aws-v1." in text or "eyJ" in text or "PRIVATE KEY-----" in text or "IQoJb3JpZ2lu" in text
            or "FwoGZXIvYXdz" in text or "FQoGZXIvYXdz" in text):
        return True
    low = text.lower()
    return ("x-amz-" in low or "bearer" in low or "aws_secret_access_key" in low or "aws_session_token" in low
            or "secretaccesskey" in low or "sessiontoken" in low)


def redact_text(text: str) -> str:
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, depth: int = 1) -> Any:
    """A redacted deep copy: secret-named keys get REDACTED, every string is scrubbed by shape.

    The one walk over every value of a bundle, so it is also the one that refuses containers nested
    deeper than MAX_JSON_DEPTH (BundleError): every later walk (anonymising, writing) stays far from
    Python's recursion limit. (`depth` is the nesting level of `value`, the document itself is 1.)"""
    kind = type(value)
    if kind is str:
        return redact_text(value)
    if depth > MAX_JSON_DEPTH and isinstance(value, (dict, list)):
        raise BundleError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if kind is list:
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, dict):
        out = {}
        named_secret = isinstance(value.get("name"), str) and _normal(value["name"]) in SECRET_NAMED_VALUES
        for key, item in value.items():
            if named_secret and key == "value" and item not in (None, ""):
                out[key] = REDACTED
                continue
            normal = _normal(key) if isinstance(key, str) else ""
            if normal in WHOLE_VALUE_KEYS and item is not None:
                out[key] = REDACTED
            elif normal in SECRET_KEYS and not isinstance(item, (dict, type(None))) and item not in ("", REDACTED, SET):
                out[key] = REDACTED
            else:
                out[key] = redact(item, depth + 1)
        return out
    if isinstance(value, list):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


# Log lines an analysis reads by the hundred thousand but shows only a few of (model/authlog.py).
LOG_LINES = {"logs:GetQueryResults": "results", "logs:FilterLogEvents": "events"}


def redact_bundle(data: dict, *, keep_log_lines: bool = False) -> dict:
    """A redacted copy of a bundle. keep_log_lines (an analysis in memory; never for a bundle that is
    written or a report): the log lines of LOG_LINES records are not copied, because copying 100,000 of
    them costs more than the whole analysis; every line shown passes redact_text (authlog.Line.text)."""
    kept: dict = {}
    if keep_log_lines:
        data, kept = _without_log_lines(data)
    result = redact(data)
    for (key, index, field), lines in kept.items():
        result["aws"][key][index]["response"][field] = lines
    result.setdefault("redaction", {})
    if isinstance(result["redaction"], dict):
        result["redaction"]["secrets"] = True
        result["redaction"].setdefault("anonymized", False)
    return result


def _without_log_lines(data: dict) -> tuple[dict, dict]:
    """A shallow copy of the bundle with the log lines taken out, and the lines by (key, index, field)."""
    aws = data.get("aws") if isinstance(data, dict) else None
    if not isinstance(aws, dict):
        return data, {}
    kept: dict = {}
    aws = dict(aws)
    for key, field in LOG_LINES.items():
        records = aws.get(key)
        if not isinstance(records, list):
            continue
        aws[key] = records = list(records)
        for index, record in enumerate(records):
            response = record.get("response") if isinstance(record, dict) else None
            if isinstance(response, dict) and isinstance(response.get(field), list):
                kept[(key, index, field)] = response[field]
                records[index] = {**record, "response": {k: v for k, v in response.items() if k != field}}
    return {**data, "aws": aws}, kept

"""Signature V4 verification for the lab's STS (moto accepts any signature; real STS does not).

Recomputes the signature of a header-signed or presigned request from the secret the lab knows
for its access key. Lab-only and independent of eksdoctor; it decides, it never signs.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass
class Signed:
    access_key: str
    scope: str            # date/region/service/aws4_request
    amz_date: str
    signed_headers: list[str]
    signature: str
    presigned: bool


def _q(text: str) -> str:
    return quote(text, safe="-_.~")


def parse(query: list[tuple[str, str]], headers: dict[str, str]) -> Signed | None:
    """The signature parameters, from the query (presigned) or the Authorization header; None if unsigned."""
    params = dict(query)
    if params.get("X-Amz-Algorithm") == ALGORITHM:
        key, _, scope = params.get("X-Amz-Credential", "").partition("/")
        return Signed(key, scope, params.get("X-Amz-Date", ""), params.get("X-Amz-SignedHeaders", "").split(";"),
                      params.get("X-Amz-Signature", ""), True)
    auth = headers.get("authorization", "")
    if not auth.startswith(ALGORITHM + " "):
        return None
    fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM) + 1:].split(",") if "=" in part)
    key, _, scope = fields.get("Credential", "").partition("/")
    return Signed(key, scope, headers.get("x-amz-date", ""), fields.get("SignedHeaders", "").split(";"),
                  fields.get("Signature", ""), False)


def expected_signature(signed: Signed, secret: str, method: str, path: str, query: list[tuple[str, str]],
                       headers: dict[str, str], body: bytes) -> str:
    pairs = sorted((_q(k), _q(v)) for k, v in query if not (signed.presigned and k == "X-Amz-Signature"))
    canonical_headers = "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed.signed_headers)
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method, quote(path or "/", safe="/~"), "&".join(f"{k}={v}" for k, v in pairs),
                           canonical_headers, ";".join(signed.signed_headers), payload])
    to_sign = "\n".join([ALGORITHM, signed.amz_date, signed.scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in signed.scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(signed: Signed, secret: str, method: str, path: str, query: list[tuple[str, str]],
           headers: dict[str, str], body: bytes) -> bool:
    want = expected_signature(signed, secret, method, path, query, headers, body)
    return hmac.compare_digest(want, signed.signature)

"""Minimal "does this principal have access to the cluster?" for the client-side checks, and which
identity kubectl really presents. A stand-in: the `server` branch's model/identity.explain is the full
model (templates, duplicates, principal IDs, reserved prefixes) and should replace `principal_access`
(same question, same answer shape). Evidence used, all from the bundle: aws-auth rows (exact
canonical ARN, case-insensitive, so a pathed rolearn never matches), mapAccounts, access entries
(full ARN, or a role's path-less form), and the cluster creator from CloudTrail. Pure.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..bundle import Bundle
from . import arn as arns
from .evidence import Identity, aws_auth, cluster, identity


@dataclass(frozen=True)
class Access:
    mapped: bool | None  # True: found; False: not in any source read; None: nothing to judge by
    via: str  # where it was found, or what was consulted
    gaps: tuple[str, ...] = ()  # sources that could not be read (a False is then less certain)
    pointer: str = ""


def presented_identity(bundle: Bundle) -> Identity | None:
    """What kubectl presents: the identity the token itself carried at STS, else the rebuilt exec chain."""
    return identity(bundle, as_="token") or identity(bundle, as_="exec")


def creator_arn(bundle: Bundle) -> tuple[str | None, str]:
    """The CreateCluster caller (a role's issuer ARN for sessions) from cloudtrail:LookupEvents."""
    name = bundle.target.get("cluster")
    for call in bundle.aws("cloudtrail:LookupEvents"):
        for event in (call.response or {}).get("Events", []) if call.ok and isinstance(call.response, dict) else []:
            try:
                doc = json.loads(event.get("CloudTrailEvent") or "{}")
            except (TypeError, ValueError):
                continue
            params = doc.get("requestParameters") or {}
            if doc.get("eventName") != "CreateCluster" or (name and params.get("name") != name):
                continue
            who = doc.get("userIdentity") or {}
            issuer = ((who.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
            return issuer or who.get("arn"), call.pointer
    return None, ""


def _matches(candidate: str, canonical: str) -> bool:
    return arns.same_principal(candidate, canonical) or arns.same_principal(arns.strip_path(candidate), canonical)


def principal_access(bundle: Bundle, arn: str) -> Access:
    try:
        canonical = arns.canonicalize(arn)
    except arns.ArnError as exc:
        return Access(False, f"the authenticator rejects this ARN: {exc}")
    c = cluster(bundle)
    mode = c.auth_mode if c else None
    gaps, consulted = [], []
    if mode != "API":
        parsed, call = aws_auth(bundle)
        if parsed is None:
            gaps.append("aws-auth" + (f" ({call.error_code})" if call is not None and call.error_code else " (not read)"))
        else:
            consulted.append("aws-auth")
            for row in parsed.mappings:
                if row.valid and row.arn and arns.same_principal(row.arn, canonical):
                    return Access(True, f"aws-auth {row.where}", pointer=call.pointer)
            if arns.account_of(canonical) in parsed.accounts:
                return Access(True, "aws-auth mapAccounts", pointer=call.pointer)
    if mode != "CONFIG_MAP":
        entries = bundle.first_ok("aws", "eks:ListAccessEntries")
        if entries is None:
            if mode is not None:
                gaps.append("access entries (not read)")
        else:
            consulted.append("access entries")
            for entry in (entries.response or {}).get("accessEntries", []):
                if isinstance(entry, str) and _matches(entry, canonical):
                    return Access(True, f"access entry {entry}", pointer=entries.pointer)
    creator, pointer = creator_arn(bundle)
    if creator:
        consulted.append("cluster creator")
        if mode in (None, "CONFIG_MAP") and _matches(creator, canonical):
            return Access(True, "cluster creator", pointer=pointer)
    else:
        gaps.append("cluster creator (unknown)")
    if not consulted:
        return Access(None, "no mapping evidence was collected", tuple(gaps))
    return Access(False, "not in " + ", ".join(consulted), tuple(gaps))

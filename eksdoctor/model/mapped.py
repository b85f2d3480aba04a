"""For the client-side checks: which identity kubectl really presents, and "does this other identity
of the user have access?" — answered by the one identity model (model/identity.explain), reduced to
mapped / not mapped / cannot tell with what was consulted. Pure.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..bundle import Bundle
from .evidence import Identity, cluster_evidence, explain_for, identity


@dataclass(frozen=True)
class Access:
    mapped: bool | None  # True: found; False: not in any source read; None: nothing to judge by
    via: str  # where it was found, or what was consulted
    gaps: tuple[str, ...] = ()  # evidence that was missing (a False is then less certain)
    pointer: str = ""


def presented_identity(bundle: Bundle) -> Identity | None:
    """What kubectl presents: the identity the token itself carried at STS, else the rebuilt exec chain."""
    return identity(bundle, as_="token") or identity(bundle, as_="exec")


def principal_access(bundle: Bundle, arn: str) -> Access:
    x = explain_for(bundle, arn)
    if x.principal.error:
        return Access(False, f"the authenticator rejects this ARN: {x.principal.error}")
    if x.authenticated:
        return Access(True, x.matched_by or "mapped", x.unknowns)
    ev = cluster_evidence(bundle)
    consulted = [name for name, seen in (("aws-auth", ev.aws_auth is not None),
                                          ("access entries", ev.entries is not None and ev.entries.readable),
                                          ("cluster creator", ev.creator is not None)) if seen]
    if not consulted:
        return Access(None, "no mapping evidence was collected", x.unknowns)
    return Access(False, "not in " + ", ".join(consulted), x.unknowns)

"""Shared by the near-miss checks: a mapping or entry meant for the caller that does not match it.

Each check owns some NearMiss kinds (eksdoctor.model.identity); it fails when one of them is why
the caller is blocked now, and warns about the same mistake in rows that concern others.
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, failed, passed
from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.evidence import target
from eksdoctor.model.identity import NearMiss

from ._server import blocked, caller, cannot_tell, confidence, entry_arn, evidence_of, grant, log_lines


def caller_near_misses(bundle: Bundle, kinds: tuple[str, ...]) -> tuple[object, list[NearMiss]] | Result:
    """(explanation, matching near misses) when the caller is blocked; else a passing Result."""
    x = caller(bundle)
    if x is None:
        return cannot_tell("the caller's identity was not read", missing=("aws:sts:GetCallerIdentity",))
    if not blocked(bundle, x):
        return passed(f"the caller is mapped ({x.matched_by or 'accepted by the API server'})")
    near = x.near(*kinds)
    if not near:
        return passed("no mapping or entry meant for the caller is written this way")
    return x, near


def fix_near_miss(bundle: Bundle, x, near: list[NearMiss], why: str) -> tuple[FixStep, ...]:
    """Correct the written ARN where it is: an aws-auth row is rewritten to the caller's canonical
    ARN (or replaced by an access entry where the mode allows); a wrong entry is replaced."""
    t = target(bundle)
    p = x.principal
    rows = [n for n in near if n.mapping is not None]
    entries = [n for n in near if n.entry is not None]
    steps: list[FixStep] = []
    for n in entries:
        steps.extend(fixes.grant_with_access_entry(t, entry_arn(p), _policy_of(n), why))
        steps.append(FixStep(f"aws eks delete-access-entry{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} "
                             f"--principal-arn {fixes.q(n.entry.principal_arn)}", CLUSTER_ADMIN,
                             "removes the entry that names a principal other than the caller"))
    if rows:
        if uses_entries(t.auth_mode):
            groups = rows[0].mapping.groups
            steps.extend(grant(bundle, p, f"maps {p.canonical} with an access entry instead of aws-auth {rows[0].where}, "
                                          f"whose ARN never matches", groups=groups))
        else:
            steps.extend(fixes.rewrite_aws_auth_arns([(n.arn, arns.strip_path(p.canonical)) for n in rows], why))
    return tuple(steps)


def _policy_of(n: NearMiss) -> str:
    names = [pol.name for pol in (n.entry.policies or ())] if n.entry else []
    return names[0] if names else fixes.VIEW_POLICY


def near_failure(bundle: Bundle, x, near: list[NearMiss], title: str, why: str, extra: str = "") -> Result:
    logged, pointers = log_lines(bundle, x)
    detail = "\n".join([n.detail for n in near] + ([extra] if extra else []) + logged)
    facts = [("caller", x.principal.input_arn), ("canonical_arn", x.principal.canonical), ("written", near[0].arn)]
    return failed(title, detail, evidence=evidence_of(bundle, x) + pointers, fix=fix_near_miss(bundle, x, near, why),
                  facts=facts, confidence=confidence(bundle, x))

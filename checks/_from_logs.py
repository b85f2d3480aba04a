"""Shared by authenticator_log_evidence and the checks that own a catalog cause: phrase what the
authenticator's log lines say (title, detail with the deciding lines, fix) as a Result.

A check that owns a cause reports it from the logs when its own evidence is missing, in one line:
    return from_logs(bundle, "aws_auth_yaml_broken") or not_applicable("aws-auth was not read")
and its id is then listed in eksdoctor.model.logevidence.REPORTED_BY_OWNER. Pure; no check logic.
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, failed, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, CLUSTER_CREATOR, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.authlog import creator_from_logs
from eksdoctor.model.evidence import target
from eksdoctor.model.logevidence import Reading, for_cause


def from_logs(bundle: Bundle, catalog_id: str, fix: tuple[FixStep, ...] = ()) -> Result | None:
    """This cause as the authenticator logs show it, or None when they do not point at it."""
    r = for_cause(bundle, catalog_id)
    if r is None:
        return None
    kw = dict(evidence=[line.pointer for line in r.lines], facts=[*r.facts, ("source", "authenticator logs")],
              confidence=r.confidence, fix=fix or fix_for(bundle, r))
    return failed(title(r), detail(r), **kw) if r.breaks_access else warned(title(r), detail(r), **kw)


def title(r: Reading) -> str:
    if r.outcome == "denied" and r.cause:
        if r.catalog_id == "aws_auth_yaml_broken":
            return f"The authenticator does not map {r.principal}, and could not parse aws-auth"
        return f"The authenticator denied {r.principal}: {r.cause.label}"
    if r.outcome == "token" and r.cause:
        return f"The authenticator refused tokens: {r.cause.label}"
    if r.outcome == "configmap":
        return "The authenticator could not parse aws-auth"
    if r.outcome == "silent":
        return "No authenticator log line explains the caller's 401"
    if r.outcome == "granted":
        return "The authenticator accepted the caller"
    return "The authenticator logs say nothing against the caller"


def detail(r: Reading, *, own: bool = True) -> str:
    """The headline, what it points at, the deciding lines (newest first), then notes. `own`: said by
    the check that owns the cause (else by authenticator_log_evidence, which may only confirm)."""
    out = [r.headline[0].upper() + r.headline[1:] + "."]
    sure = f" ({r.confidence})" if r.confidence else ""
    if r.catalog_id and (own or r.only_evidence):
        out.append(f"Cause: {r.catalog_id}{sure}, from the authenticator's log lines"
                   + (" alone: the evidence this cause is usually decided from was not collected." if r.only_evidence else "."))
    elif r.catalog_id:
        mapping = r.cause is not None and r.cause.side == "mapping" and r.catalog_id in r.cause.catalog
        family = r.cause.catalog if mapping else (r.catalog_id,)  # "not mapped" fits several mapping causes
        out.append(f"Consistent with: {', '.join(family)}{sure}; the checks that read the cluster's own evidence "
                   "name the exact cause and its fix.")
    if r.lines:
        out.append("Deciding log lines, newest first:")
        out += [f"  {line.show()}" for line in r.lines]
    out += list(r.notes)
    return "\n".join(out)


def fix_for(bundle: Bundle, r: Reading) -> tuple[FixStep, ...]:
    t = target(bundle)
    creator = creator_from_logs(bundle)
    if r.catalog_id == "aws_auth_yaml_broken":
        steps = fixes.rewrite_aws_auth_arns([], "the authenticator drops a whole section on a YAML error")
        who = CLUSTER_CREATOR if creator else CLUSTER_ADMIN
        why = "fix the YAML error the authenticator's line names"
        if creator:
            why += f" (the cluster creator, {creator[0]}, is granted in these logs and can)"
        return (steps[0], FixStep("${EDITOR:-vi} aws-auth.yaml", who, why), steps[-1])
    if r.catalog_id == "expired_or_invalid_static_creds":
        return (FixStep("aws sts get-caller-identity", AFFECTED_USER,
                        "fails with ExpiredToken or InvalidClientTokenId while the credentials are bad: sign in again "
                        "(aws sso login --profile <profile>) or re-run the tool that issued them"),)
    if r.catalog_id == "clock_skew":
        return (FixStep(fixes.clock_sync(bundle.local.get("platform")), AFFECTED_USER,
                        "the token's signing time comes from this machine's clock"),)
    if r.catalog_id in ("wrong_cluster_name_in_token", "token_reused_over_15min", "sts_endpoint_problem") or \
            (r.cause is not None and r.cause.key == "unsigned_header"):
        return (FixStep(fixes.update_kubeconfig(t), AFFECTED_USER,
                        "rewrites the kubeconfig to run `aws eks get-token` with this cluster's exact name and region, "
                        "fetching a fresh, correctly signed token for every request"),)
    return ()


"""principal_not_mapped: the caller is in no access entry, no aws-auth row and is not the creator.

The generic 401 cause. It depends on every near-miss check, so a specific cause (a path, a typo,
a broken section, a stale entry, …) ranks first and this one is then not reported at all.
"""
from eksdoctor.bundle import collect_hint
from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import cluster_evidence, identity
from eksdoctor.model.failures import is_unavailable
from eksdoctor.model.logevidence import log_confidence
from eksdoctor.model.probe import probe_outcome

from ._server import admin_steps, blocked, caller, confidence, evidence_of, grant, log_lines

SPECIFIC_CAUSES = (
    "sso_role_suffix_changed", "wrong_section_or_arn_kind",
    "arn_typo_account_partition", "aws_auth_yaml_broken", "aws_auth_deleted", "auth_mode_api_ignores_aws_auth",
    "access_entry_stale_principal_id", "access_entry_path_stripped", "cross_account_principal", "creator_only_access",
    "creator_unknown_or_deleted", "bootstrap_admin_disabled",
)
# A token the server cannot verify is refused before any mapping is consulted: then a 401 (on the probe and
# on the caller's own aws-auth read) says nothing about whether the principal is mapped.
TOKEN_CAUSES = ("wrong_cluster_name_in_token", "token_reused_over_15min", "clock_skew", "sts_endpoint_problem")
# These can be skipped for missing evidence (aws-auth, the partition), and a skipped dependency would block
# this check even where they do not apply; so it steps aside for them itself, on the condition they fail on.
DEFERRED = {"path": "role_path_in_aws_auth", "sso_path": "sso_role_in_aws_auth", "partition": "partition_arn_format"}


def _unanswered(bundle, need: str) -> bool:
    """Read, but never answered (throttled, 5xx, timed out, cut off): no evidence either way."""
    source, _, key = need.partition(":")
    calls = bundle.calls(source, key)
    return bool(calls) and all(is_unavailable(c) for c in calls)


def run(bundle):
    x = caller(bundle)
    if x is None:
        return skipped("the caller's identity (sts:GetCallerIdentity as exec) was not read successfully",
                       missing=("aws:sts:GetCallerIdentity",))
    if x.authenticated:
        return passed(f"{x.principal.canonical} is mapped by {x.matched_by}: username {x.username}", evidence=evidence_of(bundle, x))
    if not blocked(bundle, x):
        return passed(f"the API server accepted the caller ({probe_outcome(bundle).describe()}), although the evidence "
                      f"shows no mapping for it: {'; '.join(x.unknowns) or 'the evidence is incomplete'}")
    # A source the mode consults that was not even tried leaves nothing to judge by (a refused read is
    # evidence), unless the authenticator's own log says the caller is not mapped.
    sources = {"kubernetes:configmaps/kube-system/aws-auth": x.mode != "API", "aws:eks:ListAccessEntries": x.mode != "CONFIG_MAP"}
    missing = [need for need, used in sources.items() if used and (not bundle.has(need) or _unanswered(bundle, need))]
    if missing and not log_confidence(bundle, x.principal.canonical)[0]:
        return skipped(f"cannot tell whether {x.principal.canonical} is mapped: {'; '.join(x.unknowns)} (collect with: "
                       + "; ".join(collect_hint(need, bundle.target) for need in missing) + ")")
    ev = cluster_evidence(bundle)
    specific = [DEFERRED[n.kind] for n in x.near(*DEFERRED) if ev.mode != "API" or n.kind == "partition"]
    if specific:
        return skipped(f"blocked by {specific[0]} (the more specific cause)")
    p = x.principal
    lines = list(x.reasons)
    if ev.creator is not None and not x.is_creator:
        lines.append(f"The cluster creator is {ev.creator.describe()}; it (or any cluster admin) can add you.")
    if arns.is_sso_role(p.canonical) and ev.mode != "API" and ev.aws_auth_state == "unreadable":
        lines.append(f"This is an IAM Identity Center role. If aws-auth has a row for it, that row must name "
                     f"{arns.strip_path(p.canonical)} without the aws-reserved/sso.amazonaws.com/… path: a row with "
                     "the path never matches (sso_role_in_aws_auth), the usual cause for these roles.")
    # The grant first (an admin runs it); when the caller could not read the mapping sources, the read-only
    # commands an admin can run to confirm it follow.
    fix = grant(bundle, p, f"maps {p.canonical} to a Kubernetes identity") + admin_steps(bundle, x)
    ident = identity(bundle)
    facts = [("caller", ident.arn if ident else p.input_arn), ("canonical_arn", p.canonical), ("mode", x.mode or "unknown")]
    if x.unknowns:
        lines.append("Not seen: " + "; ".join(x.unknowns) + ".")
    logged, pointers = log_lines(bundle, x)
    return failed(f"{arns.strip_path(p.canonical)} is not mapped to any Kubernetes identity", "\n".join(lines + logged),
                  evidence=evidence_of(bundle, x) + pointers, fix=fix, facts=facts, confidence=confidence(bundle, x))


CHECK = Check(
    id="principal_not_mapped",
    title="The caller's IAM principal is not mapped",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    depends_on=SPECIFIC_CAUSES + TOKEN_CAUSES,
    docs="docs/checks/principal_not_mapped.md",
    summary=("The caller's canonical ARN is neither the cluster creator, nor in an access entry, nor in aws-auth, "
             "so the authenticator answers 'identity is not mapped' and kubectl prints Unauthorized."),
    remediation=("aws eks create-access-entry --cluster-name <cluster> --principal-arn <full ARN> && aws eks "
                 "associate-access-policy … --access-scope type=cluster (or eksctl create iamidentitymapping in CONFIG_MAP)"),
    run=run,
)

"""principal_not_mapped: the caller is in no access entry, no aws-auth row and is not the creator.

The generic 401 cause. It depends on every near-miss check, so a specific cause (a path, a typo,
a broken section, a stale entry, …) ranks first and this one is then not reported at all.
"""
from eksdoctor.bundle import collect_hint
from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import cluster_evidence, identity
from eksdoctor.model.probe import probe_outcome

from ._server import admin_steps, blocked, caller, confidence, evidence_of, grant

SPECIFIC_CAUSES = (
    "sso_role_suffix_changed", "wrong_section_or_arn_kind",
    "arn_typo_account_partition", "aws_auth_yaml_broken", "aws_auth_deleted", "auth_mode_api_ignores_aws_auth",
    "access_entry_stale_principal_id", "access_entry_path_stripped", "cross_account_principal", "creator_only_access",
    "creator_unknown_or_deleted", "bootstrap_admin_disabled",
)
# These two need aws-auth in the bundle, and a dependency skipped for missing evidence would block this
# check even in mode API; so this check steps aside for them itself, on the same condition they fail on.
PATH_CAUSES = {"path": "role_path_in_aws_auth", "sso_path": "sso_role_in_aws_auth"}


def run(bundle):
    x = caller(bundle)
    if x is None:
        return skipped("the caller's identity (sts:GetCallerIdentity as exec) was not read successfully")
    if x.authenticated:
        return passed(f"{x.principal.canonical} is mapped by {x.matched_by}: username {x.username}", evidence=evidence_of(bundle, x))
    if not blocked(bundle, x):
        return passed(f"the API server accepted the caller ({probe_outcome(bundle).describe()}), although the evidence "
                      f"shows no mapping for it: {'; '.join(x.unknowns) or 'the evidence is incomplete'}")
    if x.unknowns and probe_outcome(bundle).kind != "unauthorized":
        # Neither the mapping sources nor the API server's answer: not enough to call it broken.
        sources = {"kubernetes:configmaps/kube-system/aws-auth": x.mode != "API", "aws:eks:ListAccessEntries": x.mode != "CONFIG_MAP"}
        hints = [collect_hint(need, bundle.target) for need, used in sources.items() if used and not bundle.has(need)]
        return skipped(f"cannot tell whether {x.principal.canonical} is mapped: {'; '.join(x.unknowns)}"
                       + (f" (collect with: {'; '.join(hints)})" if hints else ""))
    ev = cluster_evidence(bundle)
    specific = [PATH_CAUSES[n.kind] for n in x.near(*PATH_CAUSES) if ev.mode != "API"]
    if specific:
        return skipped(f"blocked by {specific[0]} (the more specific cause)")
    p = x.principal
    lines = list(x.reasons)
    if ev.creator is not None and not x.is_creator:
        lines.append(f"The cluster creator is {ev.creator.describe()}; it (or any cluster admin) can add you.")
    # When the caller cannot read the mapping sources, an admin checks first, then grants if it is missing.
    fix = admin_steps(bundle, x) + grant(bundle, p, f"maps {p.canonical} to a Kubernetes identity")
    ident = identity(bundle)
    facts = [("caller", ident.arn if ident else p.input_arn), ("canonical_arn", p.canonical), ("mode", x.mode or "unknown")]
    if x.unknowns:
        lines.append("Not seen: " + "; ".join(x.unknowns) + ".")
    return failed(f"{arns.strip_path(p.canonical)} is not mapped to any Kubernetes identity", "\n".join(lines),
                  evidence=evidence_of(bundle, x), fix=fix, facts=facts, confidence=confidence(bundle, x))


CHECK = Check(
    id="principal_not_mapped",
    title="The caller's IAM principal is not mapped",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    depends_on=SPECIFIC_CAUSES,
    docs="docs/checks/principal_not_mapped.md",
    summary=("The caller's canonical ARN is neither the cluster creator, nor in an access entry, nor in aws-auth, "
             "so the authenticator answers 'identity is not mapped' and kubectl prints Unauthorized."),
    remediation=("aws eks create-access-entry --cluster-name <cluster> --principal-arn <full ARN> && aws eks "
                 "associate-access-policy … --access-scope type=cluster (or eksctl create iamidentitymapping in CONFIG_MAP)"),
    run=run,
)

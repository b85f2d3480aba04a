"""principal_not_mapped: the caller is in no access entry, no aws-auth row and is not the creator.

The generic 401 cause. It depends on every near-miss check, so a specific cause (a path, a typo,
a broken section, a stale entry, …) ranks first and this one is then not reported at all.
"""
from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import cluster_evidence, identity
from eksdoctor.model.probe import probe_outcome

from ._server import admin_steps, blocked, caller, confidence, evidence_of, grant, log_lines

SPECIFIC_CAUSES = (
    "role_path_in_aws_auth", "sso_role_in_aws_auth", "sso_role_suffix_changed", "wrong_section_or_arn_kind",
    "arn_typo_account_partition", "aws_auth_yaml_broken", "aws_auth_deleted", "auth_mode_api_ignores_aws_auth",
    "access_entry_stale_principal_id", "access_entry_path_stripped", "cross_account_principal", "creator_only_access",
    "creator_unknown_or_deleted", "bootstrap_admin_disabled",
)


def run(bundle):
    x = caller(bundle)
    if x is None:
        return skipped("the caller's identity (sts:GetCallerIdentity as exec) was not read successfully")
    if x.authenticated:
        return passed(f"{x.principal.canonical} is mapped by {x.matched_by}: username {x.username}", evidence=evidence_of(bundle, x))
    if not blocked(bundle, x):
        return passed(f"the API server accepted the caller ({probe_outcome(bundle).describe()}), although the evidence "
                      f"shows no mapping for it: {'; '.join(x.unknowns) or 'the evidence is incomplete'}")
    ev = cluster_evidence(bundle)
    p = x.principal
    lines = list(x.reasons)
    if ev.creator is not None and not x.is_creator:
        lines.append(f"The cluster creator is {ev.creator.describe()}; it (or any cluster admin) can add you.")
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
    depends_on=SPECIFIC_CAUSES,
    docs="docs/checks/principal_not_mapped.md",
    summary=("The caller's canonical ARN is neither the cluster creator, nor in an access entry, nor in aws-auth, "
             "so the authenticator answers 'identity is not mapped' and kubectl prints Unauthorized."),
    remediation=("aws eks create-access-entry --cluster-name <cluster> --principal-arn <full ARN> && aws eks "
                 "associate-access-policy … --access-scope type=cluster (or eksctl create iamidentitymapping in CONFIG_MAP)"),
    run=run,
)

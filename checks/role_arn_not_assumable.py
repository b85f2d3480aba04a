"""role_arn_not_assumable: the kubeconfig's --role-arn / -r role cannot be assumed by the base identity."""
from __future__ import annotations

import re

from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.evidence import identity
from eksdoctor.model.failures import is_unavailable

from ._client import exec_check, stderr_has

_REFUSED = re.compile(r"AccessDenied|not authorized|may not be assumed", re.IGNORECASE)
_WHO = re.compile(r"User: (arn:\S+) is not authorized to perform: sts:AssumeRole")


@exec_check
def run(v):
    bundle = v.bundle
    role = v.args.role_arn if v.args else None
    if not role:
        return passed("the kubeconfig asks for no role")
    calls = bundle.aws("sts:AssumeRole", as_="exec")
    failed_calls = [c for c in calls if c.error and c.raw.get("request", {}).get("RoleArn") == role]
    said = stderr_has(v, "AssumeRole operation", "could not get token: AccessDenied", "Roles may not be assumed")
    if failed_calls and all(is_unavailable(c) for c in failed_calls) and not (said and _REFUSED.search(said)):
        c = failed_calls[-1]
        return skipped(f"sts:AssumeRole of {role} failed with {c.error_code}, which says nothing about whether it "
                       "can be assumed (collection_incomplete lists it)", evidence=[c.pointer])
    if not failed_calls and not said:
        if any(c.ok for c in calls):
            return passed(f"{role} can be assumed (session {v.how.get('session_name')})")
        return passed(f"no failure assuming {role} was seen")
    message = " ".join(str((c.error or {}).get("message", "")) for c in failed_calls) + " " + (said or "")
    who = _WHO.search(message)
    base = who.group(1) if who else (identity(bundle, as_="shell").arn if identity(bundle, as_="shell") else None)
    lines = [f"The kubeconfig's exec plugin assumes {role} before signing the token."]
    lines += [f"{c.pointer}: {c.error_code}: {(c.error or {}).get('message', '')}" for c in failed_calls]
    if said:
        lines.append(f"The plugin says: {said}")
    lines.append("kubectl prints: getting credentials: exec: executable aws failed with exit code 255, and never sends the request.")
    steps = [FixStep(v.update_kubeconfig(role_arn=None), AFFECTED_USER, "sign with your own identity instead of the role (if it has access)")]
    if "root accounts" in message:
        lines.append("The base credentials are the account's root user, which can never assume a role.")
        steps = [FixStep(v.update_kubeconfig(profile=v.how.get("profile") or None, role_arn=role), AFFECTED_USER,
                         "after switching to an IAM user or role profile (never root credentials)")]
    elif base:
        steps += list(fixes.allow_assume_role(role, base))
    return failed(f"The kubeconfig's role {role} cannot be assumed", "\n".join(lines),
                  evidence=[c.pointer for c in failed_calls] + (["local.exec"] if said else []), fix=tuple(steps),
                  facts=[("role", role)] + ([("base_identity", base)] if base else []), confidence="certain")


CHECK = Check(
    id="role_arn_not_assumable",
    title="The kubeconfig's role cannot be assumed",
    severity="high",
    stage="credentials",
    depends_on=("sso_session_expired", "expired_or_invalid_static_creds", "partition_arn_format"),
    docs="docs/checks/role_arn_not_assumable.md",
    summary=("With --role-arn (aws eks get-token) or -r (aws-iam-authenticator) the plugin first calls "
             "sts:AssumeRole. A trust policy that does not name the caller, a missing sts:AssumeRole "
             "permission, an SCP, or root credentials make it fail before any token exists."),
    remediation="fix the role's trust policy (IAM admin), or aws eks update-kubeconfig --region <region> --name <name> without --role-arn",
    run=run,
)

"""wrong_identity: kubectl presents an identity without access while another identity here has it."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import arn as arns
from eksdoctor.model.evidence import identity
from eksdoctor.model.mapped import presented_identity, principal_access

from ._client import exec_check


def _alternatives(bundle, v, presented):
    """(label, arn, fix kwargs) for identities this machine can present other than kubectl's."""
    found = []
    shell = identity(bundle, as_="shell")
    how = bundle.local.get("shell_credentials") or {}
    if shell and shell.canonical != presented.canonical:
        found.append(("your shell's identity", shell.arn, {"profile": how.get("profile"), "role_arn": None}))
    for call in bundle.aws("sts:GetCallerIdentity"):
        if call.as_.startswith("profile:") and call.ok and isinstance(call.response, dict):
            arn = str(call.response.get("Arn") or "")
            if arn and arns.try_parse(arn) and arns.canonicalize(arn) != presented.canonical:
                found.append((f"profile {call.as_[8:]}", arn, {"profile": call.as_[8:], "role_arn": None}))
    details = (bundle.local.get("aws_config") or {}).get("profile_details") or {}
    for name, row in sorted(details.items()):
        if row.get("role_arn") and arns.strip_path(row["role_arn"]) != presented.canonical:
            found.append((f"profile {name} (role {row['role_arn']})", row["role_arn"], {"profile": name, "role_arn": None}))
    return found


@exec_check
def run(v):
    bundle = v.bundle
    presented = presented_identity(bundle)
    if presented is None or not presented.canonical:
        return skipped("the identity kubectl presents is unknown (sts:GetCallerIdentity as exec failed or was not collected)")
    access = principal_access(bundle, presented.arn)
    if access.mapped:
        return passed(f"kubectl presents {presented.arn}, which has access ({access.via})", evidence=[presented.pointer])
    if v.probe.ok:
        return passed(f"the API server accepted kubectl's identity {presented.arn}", evidence=[presented.pointer])
    if access.mapped is None:
        return skipped(f"whether {presented.arn} has access is unknown: {access.via}")
    better = [(label, arn, kw) for label, arn, kw in _alternatives(bundle, v, presented) if principal_access(bundle, arn).mapped]
    if not better:
        return passed(f"kubectl presents {presented.arn}; no other identity on this machine is known to have access "
                      "(whether this one should be mapped is principal_not_mapped's question)", evidence=[presented.pointer])
    label, other, kw = better[0]
    how = v.how
    resolved = (f"profile {how['profile']} ({how.get('profile_from')})" if how.get("profile") else
                f"environment keys ({how['env_keys']})" if how.get("env_keys") else "the default credential chain")
    if how.get("role_arn"):
        resolved += f", then role {how['role_arn']} as session {how.get('session_name')}"
    lines = [f"kubectl presents: {presented.arn} (maps as {presented.canonical}), from {resolved}; {access.via}.",
             f"{label} has access: {other} ({principal_access(bundle, other).via}).", v.reach]
    if access.gaps:
        lines.append("Not consulted: " + ", ".join(access.gaps) + ".")
    # exactly the other identity: none of the entry's current profile or role carries over
    fix = (FixStep(v.update_kubeconfig(**{"profile": None, "role_arn": None, **kw}), AFFECTED_USER,
                   f"make kubectl sign as {label} ({other})"),)
    return failed("kubectl presents an identity without access; another of yours has it", "\n".join(lines),
                  evidence=[presented.pointer] + ([access.pointer] if access.pointer else []), fix=fix,
                  facts=[("presented", presented.arn), ("presented_canonical", presented.canonical), ("has_access", other)],
                  confidence="likely" if access.gaps else "certain")


CHECK = Check(
    id="wrong_identity",
    title="kubectl presents an identity that has no access",
    severity="high",
    stage="credentials",
    depends_on=("role_arn_not_assumable", "env_creds_override_profile", "profile_pinned_or_missing",
                "sso_session_expired", "expired_or_invalid_static_creds"),
    docs="docs/checks/wrong_identity.md",
    summary=("The token is signed by the identity the exec plugin resolves (its env, --profile, --role-arn), "
             "which is often not the one you tested with aws sts get-caller-identity. When that identity is "
             "not mapped but another of yours is, point the kubeconfig at the right one."),
    remediation="aws eks update-kubeconfig --region <region> --name <name> --profile <profile with access>",
    run=run,
)

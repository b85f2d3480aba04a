"""env_creds_override_profile: AWS_ACCESS_KEY_ID/… in the environment silently beat the kubeconfig's AWS_PROFILE."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import identity
from eksdoctor.model.mapped import presented_identity, principal_access

from ._client import exec_check

KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@exec_check
def run(v):
    bundle = v.bundle
    if not v.how:
        return skipped("how the exec plugin resolves credentials was not collected (local.exec_credentials)")
    ignored = v.how.get("ignored_profile") if v.how.get("env_keys") else None
    if not ignored:
        won = f"profile {v.how['profile']} ({v.how.get('profile_from')})" if v.how.get("profile") else \
            f"environment keys ({v.how['env_keys']})" if v.how.get("env_keys") else "the default credential chain"
        return passed(f"no AWS_PROFILE is overridden by environment keys; the plugin uses {won}")
    name = ignored["name"]
    used = presented_identity(bundle)
    meant = identity(bundle, as_=f"profile:{name}")
    where = ignored.get("from", "")
    detail = (f"{where} asks for profile {name}, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set in the "
              f"{v.how.get('env_keys')} environment, and environment keys beat AWS_PROFILE (only an explicit --profile beats them).")
    facts = [("ignored_profile", name)]
    evidence = ["local.exec_credentials"] + [i.pointer for i in (used, meant) if i]
    if used:
        detail += f"\nkubectl presents: {used.arn}"
        facts.append(("presented", used.arn))
    if meant:
        detail += f"\nProfile {name} is: {meant.arn}"
        facts.append(("profile_identity", meant.arn))
    fix = (FixStep(fixes.unset_env(KEYS), AFFECTED_USER, f"then the plugin uses profile {name}, as the kubeconfig asks"),
           FixStep(fixes.set_exec_credentials(v.user, v.command, [*v.exec_arg_list, "--profile", name],
                                              api_version=v.api_version, env_unset=("AWS_PROFILE",)),
                   AFFECTED_USER, "or make the kubeconfig pass --profile, which beats environment keys"))
    if used and meant and used.canonical == meant.canonical:
        return warned("Environment keys override the kubeconfig's AWS_PROFILE (same identity today)", detail,
                      evidence=evidence, fix=fix, facts=facts, severity=Severity.LOW)
    detail += f"\n{v.reach}"
    if v.probe.ok:
        return warned("Environment keys override the kubeconfig's AWS_PROFILE", detail, evidence=evidence,
                      fix=fix, facts=facts, severity=Severity.MEDIUM)
    if meant is None:
        return warned("Environment keys override the kubeconfig's AWS_PROFILE", detail +
                      f"\nProfile {name}'s identity could not be read, so whether it would work is unknown.",
                      evidence=evidence, fix=fix, facts=facts, severity=Severity.MEDIUM)
    access = principal_access(bundle, meant.arn)
    confidence = "certain" if access.mapped and not v.probe.ok else "likely"
    if access.mapped:
        detail += f"\nProfile {name}'s identity has access ({access.via})."
    return failed("Environment keys override the kubeconfig's AWS_PROFILE, so kubectl signs as someone else",
                  detail, evidence=evidence, fix=fix, facts=facts, confidence=confidence)


CHECK = Check(
    id="env_creds_override_profile",
    title="Environment keys override the kubeconfig's AWS_PROFILE",
    severity="high",
    stage="credentials",
    depends_on=("aws_cli_too_old", "legacy_authenticator_binary"),
    docs="docs/checks/env_creds_override_profile.md",
    summary=("aws eks update-kubeconfig --profile P writes AWS_PROFILE=P into the exec env. Environment keys "
             "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) still win over AWS_PROFILE, so the token is signed "
             "by whoever those keys belong to."),
    remediation="unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
    run=run,
)

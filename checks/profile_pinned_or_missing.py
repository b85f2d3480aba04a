"""profile_pinned_or_missing: the exec plugin's AWS profile does not exist here, or is pinned against the shell's choice."""
from __future__ import annotations

import re

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import identity
from eksdoctor.model.mapped import presented_identity

from ._client import exec_check, stderr_has

_NOT_FOUND = re.compile(r"config profile \(([^)]+)\) could not be found")


def _candidate(v, profiles: list[str]) -> str | None:
    env = v.local.get("env") or {}
    for name in (env.get("AWS_PROFILE"), env.get("AWS_DEFAULT_PROFILE"), "default"):
        if name and name in profiles:
            return name
    return profiles[0] if profiles else None


@exec_check
def run(v):
    bundle = v.bundle
    config = v.local.get("aws_config") or {}
    profiles = list(config.get("profiles") or [])
    said = stderr_has(v, "could not be found")
    match = _NOT_FOUND.search(said or "")
    profile = v.how.get("profile") or (match.group(1) if match else None)
    origin = v.how.get("profile_from") or "the exec plugin"
    if not v.how and not said:
        return skipped("how the exec plugin resolves credentials was not collected (local.exec_credentials)")
    if profile and (match or (config and profile not in profiles)):
        other = _candidate(v, [p for p in profiles if p != profile])
        detail = (f'The kubeconfig asks for AWS profile "{profile}" ({origin}), which is not in '
                  f"{config.get('config_file', '~/.aws/config')} or {config.get('credentials_file', '~/.aws/credentials')}.\n"
                  + (f"The plugin says: {said}\n" if said else "")
                  + f"Profiles on this machine: {', '.join(profiles) or 'none'}.\n"
                  "kubectl prints: getting credentials: exec: executable aws failed with exit code 255 (253 on newer CLIs), "
                  "and never sends the request.")
        if other:
            fix = (FixStep(v.update_kubeconfig(profile=other), AFFECTED_USER,
                           f"use a profile that exists here ({other}; others: {', '.join(p for p in profiles if p != other) or 'none'})"),)
        else:
            fix = (FixStep(f"aws configure sso --profile {fixes.q(profile)}", AFFECTED_USER,
                           f"create profile {profile} here (or `aws configure --profile {profile}` for access keys)"),)
        return failed(f'The kubeconfig\'s AWS profile "{profile}" does not exist on this machine', detail,
                      evidence=["local.exec_credentials", "local.aws_config"] + (["local.exec"] if said else []),
                      fix=fix, facts=[("profile", profile), ("from", origin)], confidence="certain")
    beaten = v.how.get("ignored_profile") if not v.how.get("env_keys") else None
    if beaten and beaten.get("beaten_by"):
        return _beaten(bundle, v, beaten)
    shell = (v.local.get("env") or {}).get("AWS_PROFILE") or (v.local.get("env") or {}).get("AWS_DEFAULT_PROFILE")
    if profile and origin.startswith("exec.env") and shell and shell != profile:
        used, theirs = presented_identity(bundle), identity(bundle, as_="shell")
        detail = (f"The kubeconfig's exec env pins AWS_PROFILE={profile}; it overrides the shell's AWS_PROFILE={shell}, "
                  f"so `export AWS_PROFILE={shell}` has no effect on kubectl.")
        if used and theirs:
            detail += f"\nkubectl presents {used.arn}; the shell is {theirs.arn}."
        fix = (FixStep(v.update_kubeconfig(profile=shell), AFFECTED_USER, f"pin the profile you chose ({shell}) instead"),
               FixStep(fixes.set_exec_credentials(v.user, v.command, v.exec_arg_list, api_version=v.api_version,
                                                  env_unset=("AWS_PROFILE",)),
                       AFFECTED_USER, "or drop the pin so kubectl follows the shell's AWS_PROFILE"))
        differs = used and theirs and used.canonical != theirs.canonical
        if differs and not v.probe.ok:
            return failed(f"The kubeconfig pins AWS_PROFILE={profile}, so your AWS_PROFILE={shell} is ignored",
                          detail + f"\n{v.reach}", evidence=["local.exec_credentials", "local.env"],
                          fix=fix, facts=[("pinned", profile), ("shell", shell)], confidence="likely")
        return warned(f"The kubeconfig pins AWS_PROFILE={profile}; the shell's AWS_PROFILE={shell} is ignored",
                      detail, evidence=["local.exec_credentials", "local.env"], fix=fix, severity=Severity.LOW)
    if profile:
        return passed(f"profile {profile} ({origin}) exists here")
    return passed("the exec plugin names no AWS profile")


def _beaten(bundle, v, beaten: dict):
    """The shell's AWS_DEFAULT_PROFILE beats the kubeconfig's AWS_PROFILE: the AWS CLI reads it first."""
    name, winner = beaten["name"], v.how.get("profile")
    used, meant = presented_identity(bundle), identity(bundle, as_=f"profile:{name}")
    detail = (f"The kubeconfig's exec env sets AWS_PROFILE={name}, but the shell sets AWS_DEFAULT_PROFILE={winner}, "
              "which the AWS CLI reads first: the plugin signs with profile " + str(winner) + ".")
    if used and meant:
        detail += f"\nkubectl presents {used.arn}; profile {name} is {meant.arn}."
    fix = (FixStep(fixes.unset_env(("AWS_DEFAULT_PROFILE",)), AFFECTED_USER, f"then the kubeconfig's profile {name} applies"),
           FixStep(fixes.set_exec_credentials(v.user, v.command, [*v.exec_arg_list, "--profile", name], api_version=v.api_version,
                                              env_unset=("AWS_PROFILE",)),
                   AFFECTED_USER, "or pass --profile in the exec args, which beats every environment variable"))
    facts = [("kubeconfig_profile", name), ("winner", str(winner))]
    if used and meant and used.canonical != meant.canonical and not v.probe.ok:
        return failed(f"The shell's AWS_DEFAULT_PROFILE={winner} overrides the kubeconfig's AWS_PROFILE={name}",
                      detail + f"\n{v.reach}", evidence=["local.exec_credentials", "local.env"], fix=fix, facts=facts,
                      confidence="likely")
    return warned(f"The shell's AWS_DEFAULT_PROFILE={winner} overrides the kubeconfig's AWS_PROFILE={name}", detail,
                  evidence=["local.exec_credentials", "local.env"], fix=fix, facts=facts, severity=Severity.MEDIUM)


CHECK = Check(
    id="profile_pinned_or_missing",
    title="The exec plugin's AWS profile is missing here, or pinned",
    severity="high",
    stage="credentials",
    depends_on=("aws_cli_too_old", "legacy_authenticator_binary"),
    docs="docs/checks/profile_pinned_or_missing.md",
    summary=("The exec env's AWS_PROFILE beats the shell's, and a kubeconfig copied from another machine may "
             "name a profile that does not exist here ('The config profile (X) could not be found')."),
    remediation="aws eks update-kubeconfig --region <region> --name <name> --profile <local profile>",
    run=run,
)

"""expired_or_invalid_static_creds: the exec plugin's access keys or session credentials are expired or invalid."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import fixes

from ._client import exec_check

CODES = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
         "InvalidAccessKeyId", "AuthFailure", "SignatureDoesNotMatch", "RequestExpired"}


def _bad(call) -> bool:
    message = str((call.error or {}).get("message", ""))
    if call.error_code == "SignatureDoesNotMatch" and ("Signature expired" in message or "not yet current" in message):
        return False  # the clock, not the keys (clock_skew)
    return call.error_code in CODES


@exec_check
def run(v):
    bundle = v.bundle
    if v.how.get("provider") == "sso":
        return passed("the exec plugin's credentials come from IAM Identity Center (see sso_session_expired)")
    # a replayed token's SignatureDoesNotMatch can be the cluster name; only the plugin's own calls judge the keys
    calls = [c for c in bundle.aws("sts:GetCallerIdentity", as_="exec") + bundle.aws("sts:AssumeRole", as_="exec") if _bad(c)]
    replay = [c for c in bundle.aws("sts:GetCallerIdentity", as_="token") if _bad(c) and c.error_code != "SignatureDoesNotMatch"]
    calls += replay
    if not calls:
        return passed("STS accepts the exec plugin's credentials")
    keys = v.how.get("env_keys")
    profile = v.how.get("profile")
    lines = [f"{c.pointer}: {c.error_code}: {(c.error or {}).get('message', '')}" for c in calls]
    lines.append("aws eks get-token still prints a token (it signs locally), but STS rejects it, so the API server "
                 "answers 401 Unauthorized.")
    lines.append(v.reach)
    if keys:
        source = f"environment keys ({keys})" + (" with AWS_SESSION_TOKEN: pasted session credentials" if v.how.get("has_session_token") else "")
        fix = (FixStep(fixes.unset_env(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")), AFFECTED_USER,
                       "drop the stale keys, then get fresh ones from the tool that issued them (aws sts assume-role, aws-vault, saml2aws …)"),)
    else:
        source = f"profile {profile or 'default'}"
        fix = (FixStep(f"aws configure --profile {fixes.q(profile or 'default')}", AFFECTED_USER,
                       "enter a working access key (the old one is expired, deactivated or deleted)"),)
    return failed("STS rejects the exec plugin's credentials (expired or invalid)", "\n".join(lines),
                  evidence=[c.pointer for c in calls] + ["local.exec_credentials"], fix=fix,
                  facts=[("source", source), ("code", calls[0].error_code)], confidence="certain")


CHECK = Check(
    id="expired_or_invalid_static_creds",
    title="The exec plugin's credentials are expired or invalid",
    severity="high",
    stage="credentials",
    depends_on=("profile_pinned_or_missing", "env_creds_override_profile"),
    docs="docs/checks/expired_or_invalid_static_creds.md",
    summary=("aws eks get-token signs locally, so it prints a token even with dead credentials. Session "
             "credentials pasted from sts assume-role/aws-vault/saml2aws expire; deleted access keys are "
             "invalid. STS then rejects the token and the API server answers 401."),
    remediation="refresh the credentials (re-run the login/assume tool, or aws configure --profile <profile>)",
    run=run,
)

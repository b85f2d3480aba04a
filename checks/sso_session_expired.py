"""sso_session_expired: the IAM Identity Center session behind the exec plugin's profile has expired."""
from __future__ import annotations

from eksdoctor.bundle import parse_time
from eksdoctor.check import Check, failed, passed
from eksdoctor.findings import AFFECTED_USER, FixStep
from eksdoctor.model import fixes

from ._client import exec_check, stderr_has

SAID = ("SSO access token has either expired", "SSO session associated with this profile has expired",
        "Token has expired and refresh failed", "Error loading SSO Token", "Error when retrieving token from sso")
CODES = {"UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError", "InvalidGrantException"}


def sso_profile(v) -> str | None:
    """Follow source_profile from the exec plugin's profile to the one that logs in with SSO."""
    details = (v.local.get("aws_config") or {}).get("profile_details") or {}
    name, seen = v.how.get("profile") or ("default" if not v.how.get("env_keys") else None), set()
    while name and name not in seen and name in details:
        seen.add(name)
        if details[name].get("kind") == "sso":
            return name
        name = details[name].get("source_profile")
    return None


def _expired(v, profile: str) -> dict | None:
    for row in (v.local.get("aws_config") or {}).get("sso") or []:
        if row.get("profile") != profile:
            continue
        try:
            expires = parse_time(row["expires_at"]) if row.get("expires_at") else None
            registration = parse_time(row["registration_expires_at"]) if row.get("registration_expires_at") else None
        except Exception:
            return None
        now = v.bundle.collected_at
        refresh_ok = row.get("refreshable") and (registration is None or registration > now)
        if row.get("cache") == "missing" or (expires and expires <= now and not refresh_ok):
            return row
    return None


@exec_check
def run(v):
    bundle = v.bundle
    said = stderr_has(v, *SAID)
    errors = [c for c in bundle.aws("sts:GetCallerIdentity", as_="exec") + bundle.aws("sts:AssumeRole", as_="exec")
              if c.error_code in CODES or any(s.lower() in str((c.error or {}).get("message", "")).lower() for s in SAID)]
    profile = sso_profile(v)
    row = _expired(v, profile) if profile else None
    if not (said or errors or row):
        if profile:
            return passed(f"the SSO session of profile {profile} is valid")
        return passed("the exec plugin's credentials do not come from IAM Identity Center (SSO)")
    details = (v.local.get("aws_config") or {}).get("profile_details") or {}
    session = (details.get(profile) or {}).get("sso_session") if profile else None
    lines = []
    if said:
        lines.append(f"The plugin says: {said}")
    for call in errors:
        lines.append(f"{call.pointer}: {call.error_code}: {(call.error or {}).get('message', '')}")
    if row:
        lines.append(f"The SSO token cache for {session or profile} "
                     + ("is missing (never logged in here)" if row.get("cache") == "missing" else f"expired at {row.get('expires_at')}")
                     + " and cannot be refreshed.")
    lines.append("kubectl prints: getting credentials: exec: executable aws failed with exit code 255, and never sends the request.")
    login = fixes.sso_login(profile, session)
    return failed("The IAM Identity Center (SSO) session has expired", "\n".join(lines),
                  evidence=["local.exec", "local.aws_config"] + [c.pointer for c in errors],
                  fix=(FixStep(login, AFFECTED_USER, "log in again; kubectl works as soon as the SSO session is fresh"),),
                  facts=[("profile", profile or ""), ("sso_session", session or "")],
                  confidence="certain" if (said or errors) else "likely")


CHECK = Check(
    id="sso_session_expired",
    title="The IAM Identity Center (SSO) session has expired",
    severity="high",
    stage="credentials",
    depends_on=("profile_pinned_or_missing",),
    docs="docs/checks/sso_session_expired.md",
    summary=("Profiles that log in with IAM Identity Center need a fresh SSO session (typically 8–12 hours). "
             "When it expires, aws eks get-token fails and kubectl stops before sending anything."),
    remediation="aws sso login --profile <profile>",
    run=run,
)

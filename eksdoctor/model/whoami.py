"""`eksdoctor whoami`: who kubectl presents for a context, how that identity was resolved, the token
it sends, and the shell's own identity. Pure: a function of a bundle (from the whoami sub-plan or a
saved diagnose bundle); no clock but `collected_at`, no secrets (the bundle holds none).
"""
from __future__ import annotations

from ..bundle import Bundle
from . import kubeconfig as kcm
from . import token as tokens
from .evidence import Identity, identity


def _identity(ident: Identity | None, source: str) -> dict:
    if ident is None:
        return {}
    return {"arn": ident.arn, "canonical_arn": ident.canonical, "account": ident.account, "user_id": ident.user_id,
            "source": source}


def _error(bundle: Bundle, as_: str) -> str | None:
    for call in bundle.aws("sts:GetCallerIdentity", as_=as_):
        if call.error:
            return f"{call.error_code}: {call.error.get('message', '')}".strip()
    return None


def describe_resolution(how: dict) -> str:
    """One line: which credentials the plugin uses and why (env keys, profile and where it came from, role)."""
    if not how:
        return "unknown (not collected)"
    if how.get("env_keys"):
        text = f"environment keys AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (from the {how['env_keys']})"
        ignored = how.get("ignored_profile")
        if ignored:
            text += f"; they beat AWS_PROFILE={ignored['name']} ({ignored.get('from')})"
    elif how.get("profile"):
        text = f"profile {how['profile']} (from {how.get('profile_from')})"
        if how.get("ignored_profile"):
            text += f"; it beats AWS_PROFILE={how['ignored_profile']['name']} ({how['ignored_profile'].get('from')})"
    else:
        text = "the default credential chain (profile default, then container/instance credentials)"
    if how.get("provider"):
        text += f" via {how['provider']}"
    if how.get("role_arn"):
        text += f", then role {how['role_arn']} assumed as session {how.get('session_name')}"
        if how.get("role_assumed") is False:
            text += " (assuming it failed)"
    if how.get("endpoint_url"):
        text += f"; endpoint {how['endpoint_url']}"
    return text


def whoami(bundle: Bundle) -> dict:
    sel = kcm.selected(bundle)
    run = bundle.local.get("exec") if isinstance(bundle.local.get("exec"), dict) else {}
    how = bundle.local.get("exec_credentials") if isinstance(bundle.local.get("exec_credentials"), dict) else {}
    report: dict = {
        "context": sel.context_name if sel else None,
        "kubeconfig": (kcm.view(bundle).get("files") or []),
        "problem": sel.problem if sel else "the kubeconfig was not collected",
        "cluster": bundle.target.get("cluster"), "region": bundle.target.get("region"),
        "auth": sel.auth_kind if sel else None,
        "impersonate": sel.impersonation if sel else {},
    }
    token_ident = identity(bundle, as_="token")
    exec_ident = identity(bundle, as_="exec")
    kubectl = _identity(token_ident, "the token itself, replayed to STS") or _identity(exec_ident, "the exec plugin's credential chain")
    if kubectl:
        if token_ident and exec_ident and token_ident.canonical != exec_ident.canonical:
            kubectl["rebuilt_chain_arn"] = exec_ident.arn
    else:
        kubectl["error"] = (_error(bundle, "token") or _error(bundle, "exec") or run.get("error")
                            or (sel.problem if sel and sel.problem else None)
                            or (f"the context's user authenticates by {sel.auth_kind.replace('_', ' ')}, not an AWS exec plugin"
                                if sel and not sel.exec else "unknown"))
    report["kubectl"] = kubectl
    if sel and sel.exec:
        report["resolved"] = {**how, "description": describe_resolution(how), "command": run.get("resolved_path") or run.get("command")}
        report["exec"] = {k: run.get(k) for k in ("exit_code", "error", "timed_out") if run.get(k) is not None}
        stderr = [line for line in str(run.get("stderr") or "").splitlines() if line.strip()]
        if stderr:
            report["exec"]["stderr"] = stderr[-1][:300]
    token = run.get("token") or kcm.view(bundle).get("static_token")
    if token and token.get("x_amz_date"):
        age = tokens.age(token["x_amz_date"], bundle.collected_at)
        report["token"] = {"host": token.get("host"), "x_amz_date": token["x_amz_date"],
                           "age_seconds": int(age.total_seconds()) if age is not None else None,
                           "access_key_type": token.get("access_key_type"),
                           "signed_headers": token.get("signed_headers"), "format_error": token.get("format_error"),
                           "static": bool(not run.get("token"))}
    shell = identity(bundle, as_="shell")
    report["shell"] = _identity(shell, "aws sts get-caller-identity in this shell") or {"error": _error(bundle, "shell") or "unknown"}
    if shell and kubectl.get("arn"):
        report["shell"]["same_as_kubectl"] = (shell.canonical or shell.arn) == (kubectl.get("canonical_arn") or kubectl["arn"])
    report["shell"]["resolved"] = describe_resolution(bundle.local.get("shell_credentials") or {})
    return report

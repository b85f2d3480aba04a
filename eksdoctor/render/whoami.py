"""`eksdoctor whoami` as text or JSON: the identity kubectl presents first, then how, the token, the shell."""
from __future__ import annotations

import json


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "unknown age"
    if seconds <= 5:
        return "signed just now"
    return f"signed {seconds // 60}m {seconds % 60}s before this run" + ("  (expired: over 15 minutes)" if seconds > 900 else "")


def render_whoami_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_whoami_text(report: dict) -> str:
    k = report.get("kubectl") or {}
    lines = [f"Context:        {report.get('context') or '(none)'}" + (f"  [{report['problem']}]" if report.get("problem") else ""),
             f"Cluster:        {report.get('cluster') or '?'} ({report.get('region') or '?'})", ""]
    if k.get("arn"):
        lines += ["kubectl presents", f"  ARN:           {k['arn']}", f"  Canonical ARN: {k.get('canonical_arn') or '(rejected by the authenticator)'}",
                  f"  Account:       {k.get('account')}", f"  Seen by:       {k.get('source')}"]
        if k.get("rebuilt_chain_arn"):
            lines.append(f"  (the rebuilt credential chain gives {k['rebuilt_chain_arn']}; the token is what counts)")
    else:
        lines += ["kubectl presents", f"  unknown: {k.get('error')}"]
    resolved = report.get("resolved")
    if resolved:
        lines.append(f"  Resolved by:   {resolved.get('description')}")
        lines.append(f"  Command:       {resolved.get('command')}")
    run = report.get("exec") or {}
    if run.get("exit_code") not in (None, 0) or run.get("error"):
        lines.append(f"  Exec plugin:   {run.get('error') or 'exit code ' + str(run.get('exit_code'))}"
                     + (f" — {run['stderr']}" if run.get("stderr") else ""))
    token = report.get("token")
    if token:
        lines.append(f"  Token:         host {token.get('host')}, {_age(token.get('age_seconds'))}"
                     + (", static token from the kubeconfig" if token.get("static") else "")
                     + (f", {token.get('access_key_type')} key" if token.get("access_key_type") else ""))
        if token.get("format_error"):
            lines.append(f"  Token problem: {token['format_error']}")
    if report.get("impersonate"):
        lines.append(f"  Impersonates:  {json.dumps(report['impersonate'], sort_keys=True)}")
    shell = report.get("shell") or {}
    lines.append("")
    if shell.get("arn"):
        same = shell.get("same_as_kubectl")
        lines.append("Your shell" + (" (the same identity)" if same else " (a DIFFERENT identity)" if same is False else ""))
        if not same:
            lines += [f"  ARN:           {shell['arn']}", f"  Canonical ARN: {shell.get('canonical_arn')}"]
    else:
        lines.append(f"Your shell:     unknown: {shell.get('error')}")
    lines.append(f"  Resolved by:   {shell.get('resolved')}")
    return "\n".join(lines) + "\n"

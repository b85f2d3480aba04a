"""get_token_session_name: `aws eks get-token --role-arn` without --session-name: every user is EKSGetTokenAuth."""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import AFFECTED_USER, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.evidence import aws_auth
from eksdoctor.model.execargs import AWS_CLI

from ._client import exec_check

DEFAULT = "EKSGetTokenAuth"


@exec_check
def run(v):
    bundle = v.bundle
    if not v.args or v.args.tool != AWS_CLI or not v.args.role_arn:
        return passed("the kubeconfig does not assume a role with aws eks get-token")
    if v.args.session_name:
        return passed(f"the role session is named {v.args.session_name}")
    role = v.args.role_arn
    user = (v.local.get("process") or {}).get("user") or "me"
    base = v.how.get("profile") or "default"
    name = arns.try_parse(role).name if arns.try_parse(role) else "eks-role"
    steps = (
        FixStep(f"aws configure set role_arn {fixes.q(role)} --profile {fixes.q(name)}", AFFECTED_USER,
                "a profile that assumes the role …"),
        FixStep(f"aws configure set source_profile {fixes.q(base)} --profile {fixes.q(name)}", AFFECTED_USER,
                f"… from your current credentials (profile {base}) …"),
        FixStep(f"aws configure set role_session_name {fixes.q(user)} --profile {fixes.q(name)}", AFFECTED_USER,
                f"… with your own session name ({user})"),
        FixStep(fixes.update_kubeconfig(v.target, profile=name, alias=v.alias()), AFFECTED_USER,
                "use that profile instead of --role-arn"),
    )
    detail = (f"aws eks get-token --role-arn {role} names every session {DEFAULT}, so the API server, audit logs and "
              "username templates ({{SessionName}}) see the same name for every person using this kubeconfig.")
    parsed, call = aws_auth(bundle)
    templated = []
    if parsed:
        canonical = arns.strip_path(role)
        templated = [m for m in parsed.roles if m.valid and arns.same_principal(m.arn, canonical)
                     and "{{SessionName" in m.username]
    if templated and v.probe.kind == "forbidden":
        row = templated[0]
        rendered = row.username.replace("{{SessionNameRaw}}", DEFAULT).replace("{{SessionName}}", DEFAULT)
        return failed(f"Every user of {role} becomes {rendered!r}, so per-user RBAC does not match",
                      detail + f"\naws-auth {row.where} maps the role to username {row.username!r} → {rendered!r}.\n{v.reach}",
                      evidence=[call.pointer, "local.kubeconfig"], fix=steps, facts=[("username", rendered)], confidence="likely",
                      severity=Severity.HIGH)
    return warned(f"The role session is always named {DEFAULT}", detail, evidence=["local.kubeconfig"], fix=steps,
                  severity=Severity.LOW, facts=[("role", role)])


CHECK = Check(
    id="get_token_session_name",
    title="aws eks get-token --role-arn names every session EKSGetTokenAuth",
    severity="medium",
    stage="credentials",
    depends_on=("role_arn_not_assumable",),
    docs="docs/checks/get_token_session_name.md",
    summary=("Without --session-name, aws eks get-token --role-arn uses the session name EKSGetTokenAuth for "
             "everyone: per-user RBAC via {{SessionName}} and audit trails cannot tell people apart."),
    remediation="assume the role through a profile with role_session_name, then aws eks update-kubeconfig --profile <it>",
    run=run,
)

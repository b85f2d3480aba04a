"""session_name_transliteration: {{SessionName}} turns `@` into `-`, so a username built from an e-mail
session is alice-example.com while RBAC binds alice@example.com ({{SessionNameRaw}} keeps the `@`)."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.awsauth import Session, render_template
from eksdoctor.model.evidence import caller_decision, question, rbac, target

from ._authz import authz_confidence
from ._server import caller, cannot_tell, evidence_of, not_applicable


def run(bundle):
    x = caller(bundle)
    if x is None or not x.authenticated or not x.principal.session_name or "@" not in x.principal.session_name:
        return not_applicable("the caller is not authenticated with a session name containing @")
    template = (x.entry.effective_username if x.entry is not None else
                x.configmap.mapping.username if x.configmap is not None and x.configmap.mapping is not None else "")
    if "{{SessionName}}" not in template:
        return passed(f"the username template ({template or 'none'}) does not use {{{{SessionName}}}}")
    raw, _ = render_template(template.replace("{{SessionName}}", "{{SessionNameRaw}}"), Session(x.principal.account, x.principal.session_name))
    r = rbac(bundle)
    if r is None:
        return cannot_tell("RBAC bindings were not collected", missing=("kubernetes:clusterrolebindings", "kubernetes:rolebindings"))
    bound_raw = [b for b in r.bindings if ("User", raw) in b.subjects]
    if not bound_raw:
        return passed(f"no RBAC binding names the untransliterated user {raw}")
    d = caller_decision(bundle, question(bundle))
    t = target(bundle)
    new_template = template.replace("{{SessionName}}", "{{SessionNameRaw}}")
    if x.entry is not None:
        change = FixStep(f"aws eks update-access-entry{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} --principal-arn "
                         f"{fixes.q(x.entry.principal_arn)} --username {fixes.q(new_template)}", CLUSTER_ADMIN,
                         "keeps the @ of the session name in the username")
    else:
        change = FixStep("kubectl edit -n kube-system configmap/aws-auth", CLUSTER_ADMIN,
                         f"in {x.configmap.via}, change username: {template} to username: {new_template}")
    role = bound_raw[0].role_name
    alt = FixStep(fixes.bind_user(x.username, role), CLUSTER_ADMIN, f"or bind the transliterated name {x.username}")
    detail = (f"The caller's session is {x.principal.session_name}; {{{{SessionName}}}} renders it as {x.username}, but "
              f"{', '.join(b.where for b in bound_raw)} bind{'s' if len(bound_raw) == 1 else ''} the user {raw}.")
    if d is not None and d.allowed is False:
        return failed(f"RBAC binds {raw}, the caller is {x.username}", detail, evidence=evidence_of(bundle, x),
                      fix=(change, alt), confidence=authz_confidence(bundle, d))
    return warned(f"RBAC binds {raw}, the caller is {x.username}", detail, fix=(change, alt), severity=Severity.LOW)


CHECK = Check(
    id="session_name_transliteration",
    title="{{SessionName}} turned @ into - in the username",
    severity="high",
    stage="authorization",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/session_name_transliteration.md",
    summary=("Username templates render {{SessionName}} with every @ replaced by -, so alice@example.com becomes "
             "alice-example.com; RBAC User subjects written with the e-mail never match. {{SessionNameRaw}} keeps it."),
    remediation="use {{SessionNameRaw}} in the username, or bind the transliterated name",
    run=run,
)

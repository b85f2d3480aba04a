"""duplicate_mapping_shadowed: the same ARN is mapped more than once in aws-auth; the authenticator keeps
the last mapRoles row (users: case-distinct keys both stay and one is picked at random)."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.awsauth import effective
from eksdoctor.model.evidence import caller_decision, cluster_evidence, question, rbac, target
from eksdoctor.model.rbac import authorize

from ._authz import authz_confidence
from ._server import caller, evidence_of, not_applicable


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.aws_auth is None:
        return not_applicable(f"aws-auth is {ev.aws_auth_state}")
    _, users, replaced = effective(ev.aws_auth)
    lines = [f"{', '.join(m.where for m in rows)} replaced by a later row for {rows[0].arn or 'the same SSO pattern'}"
             for rows in replaced.values()]
    seen: dict[str, list] = {}
    for m in users:
        seen.setdefault(m.arn.casefold(), []).append(m)
    lines += [f"{', '.join(m.where for m in rows)} differ only in case: the authenticator keeps both and picks one at random"
              for rows in seen.values() if len(rows) > 1]
    role_arns = {m.arn.casefold() for m in ev.aws_auth.roles if m.valid}
    lines += [f"{m.where} {m.arn} is also under mapRoles, which is looked up first" for m in users if m.arn.casefold() in role_arns]
    if not lines:
        return passed("every ARN is mapped once")
    x = caller(bundle)
    t = target(bundle)
    title = "aws-auth maps the same ARN more than once"
    if x is not None and x.configmap is not None and x.configmap.matched and (x.configmap.shadowed or x.configmap.ambiguous):
        d = caller_decision(bundle, question(bundle))
        lost = (x.configmap.shadowed + x.configmap.ambiguous)[0]
        if d is not None and d.allowed is False and authorize(lost.username, lost.groups, (), rbac(bundle), d.question).allowed:
            fix = (FixStep(fixes.eksctl_delete_mapping(t, lost.arn), CLUSTER_ADMIN, "removes every row for this ARN"),
                   FixStep(fixes.eksctl_create_mapping(t, lost.arn, lost.username, lost.groups), CLUSTER_ADMIN,
                           f"maps it once, as {lost.where} meant"))
            return failed(f"{x.configmap.via} shadows {lost.where}, which allowed {d.question.describe()}",
                          "\n".join(lines + [f"The caller gets {x.configmap.via}: user {x.username}, groups {', '.join(x.groups) or 'none'}."]),
                          evidence=evidence_of(bundle, x), fix=fix, confidence=authz_confidence(bundle, d))
    return warned(title, "\n".join(lines), severity=Severity.MEDIUM,
                  fix=tuple(FixStep(fixes.eksctl_delete_mapping(t, rows[-1].arn), CLUSTER_ADMIN,
                                    "then recreate it once with eksctl create iamidentitymapping … --no-duplicate-arns")
                            for rows in replaced.values() if rows[-1].arn))


CHECK = Check(
    id="duplicate_mapping_shadowed",
    title="The same ARN is mapped twice in aws-auth",
    severity="high",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/duplicate_mapping_shadowed.md",
    summary=("aws-auth keeps one row per role ARN (compared lowercased): the last one. A second mapping added later "
             "silently replaces the first, giving an unexpected username or groups and so a 403."),
    remediation="eksctl delete iamidentitymapping --arn ARN --all, then create it once with --no-duplicate-arns",
    run=run,
)

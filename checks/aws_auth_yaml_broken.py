"""aws_auth_yaml_broken: a YAML error in mapRoles (or mapUsers, mapAccounts) drops that whole key, node
roles included, while the other keys keep working (reference/authenticator.md §4.2). Says who is out."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, CLUSTER_CREATOR, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.awsauth import arns_in_text, effective
from eksdoctor.model.evidence import cluster_evidence, target

from ._from_logs import from_logs
from ._server import blocked, caller, confidence, entry_arn, evidence_of, not_applicable


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.aws_auth is None:  # the authenticator's own log may still show the parse error
        return from_logs(bundle, "aws_auth_yaml_broken") or not_applicable(f"nothing to parse: aws-auth is {ev.aws_auth_state}")
    if ev.mode == "API":
        return not_applicable("mode API: aws-auth is not consulted")
    if not ev.aws_auth.errors:
        return passed("every key of aws-auth parses")
    x = caller(bundle)
    t = target(bundle)
    lines, out = [], []
    for error in ev.aws_auth.errors:
        written = arns_in_text(ev.aws_auth.raw.get(error.section, ""))
        out.extend(written)
        lines.append(f"{error.describe()}: every entry of {error.section} is dropped"
                     + (f" — locked out: {', '.join(written)}" if written else ""))
    roles, users, _ = effective(ev.aws_auth)
    still = [m.arn for m in roles + users]
    if still:
        lines.append(f"Still mapped: {', '.join(still)}.")
    mine = x is not None and any(arns.same_principal(arns.strip_path(a), x.principal.canonical) for a in out)
    who = CLUSTER_CREATOR if ev.creator else CLUSTER_ADMIN
    fix = [
        FixStep("kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml && eksdoctor lint aws-auth.yaml", who,
                "shows the exact line and what each key would map once fixed"),
        FixStep("kubectl replace -f aws-auth.yaml", who, "after correcting the YAML: restores every entry of the key"),
    ]
    if ev.creator:
        lines.append(f"Someone who can still edit it: the cluster creator {ev.creator.describe()}, or anyone mapped by a key that still parses.")
    if x is not None and uses_entries(ev.mode):
        fix.append(FixStep(fixes.create_access_entry(t, entry_arn(x.principal)), CLUSTER_ADMIN,
                           "break-glass if nobody mapped can log in: access entries do not depend on aws-auth"))
        fix.append(FixStep(fixes.associate_access_policy(t, entry_arn(x.principal), fixes.CLUSTER_ADMIN_POLICY), CLUSTER_ADMIN,
                           "gives the break-glass entry cluster-admin rights to repair aws-auth"))
    title = f"aws-auth {', '.join(ev.aws_auth.broken_sections())} does not parse: the whole key is dropped"
    if mine and blocked(bundle, x):
        return failed(title, "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(fix),
                      facts=[("broken", ",".join(ev.aws_auth.broken_sections()))], confidence=confidence(bundle, x))
    return warned(title, "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(fix), severity=Severity.CRITICAL,
                  facts=[("broken", ",".join(ev.aws_auth.broken_sections()))])


CHECK = Check(
    id="aws_auth_yaml_broken",
    title="aws-auth has a YAML error that drops a whole key",
    severity="critical",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/aws_auth_yaml_broken.md",
    summary=("The authenticator parses mapRoles, mapUsers and mapAccounts separately. One YAML error in mapRoles "
             "drops every role mapping — node roles too, so nodes go NotReady — while mapUsers keeps working."),
    remediation="kubectl edit -n kube-system configmap/aws-auth (as the creator or a still-mapped admin); eksdoctor lint FILE first",
    run=run,
)

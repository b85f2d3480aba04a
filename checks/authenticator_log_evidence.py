"""authenticator_log_evidence: what the authenticator's own log lines say about the diagnosed caller.

Thin: eksdoctor.model.logevidence decides; this phrases it and fills in the fix. Its finding carries
the catalog id the lines prove (e.g. principal_not_mapped) only when the evidence the owning check
needs (aws-auth / access entries, or the local token) was not read; otherwise it is its own id.
"""
from __future__ import annotations

from eksdoctor.bundle import Bundle
from eksdoctor.check import Check, Result, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, CLUSTER_CREATOR, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.authlog import creator_from_logs
from eksdoctor.model.evidence import Target, explain_for, target
from eksdoctor.model.logevidence import Reading, read

from ._server import entry_arn

LOG_ACTIONS = "logs:StartQuery, logs:GetQueryResults, logs:FilterLogEvents"


def run(bundle: Bundle) -> Result:
    r = read(bundle)
    if r.outcome in ("not_collected", "logging_off"):
        return skipped(r.headline)
    if r.outcome == "refused":
        t = target(bundle)
        return warned("The authenticator logs could not be read", "\n".join([
            r.headline + ".",
            f"The identity eksdoctor used needs {LOG_ACTIONS} on arn:{t.partition}:logs:{t.region}:{t.account}:"
            f"log-group:/aws/eks/{t.cluster}/cluster:*; run with a profile that has them (--profile)."]),
            severity=Severity.LOW)
    detail = _detail(r)
    evidence = [line.pointer for line in r.lines]
    facts = list(r.facts) + ([("confirms", r.catalog_id)] if r.catalog_id else [])
    if r.outcome in ("granted", "nothing"):
        return passed(detail, evidence=evidence, facts=facts, title=_title(r))
    decides = r.only_evidence or not r.catalog_id  # else the owning check decides and fixes; the logs confirm
    kw = dict(evidence=evidence, facts=facts, confidence=r.confidence, fix=_fix(bundle, r) if decides else (),
              finding_id=r.catalog_id if r.only_evidence else "")
    if r.breaks_access:
        return failed(_title(r), detail, **kw)
    return warned(_title(r), detail, severity=Severity.MEDIUM, **kw)


def _title(r: Reading) -> str:
    if r.outcome == "denied" and r.cause:
        if r.catalog_id == "aws_auth_yaml_broken":
            return f"The authenticator does not map {r.principal}, and could not parse aws-auth"
        return f"The authenticator denied {r.principal}: {r.cause.label}"
    if r.outcome == "token" and r.cause:
        return f"The authenticator rejected tokens: {r.cause.label}"
    if r.outcome == "configmap":
        return "The authenticator could not parse aws-auth"
    if r.outcome == "silent":
        return "No authenticator log line explains the caller's 401"
    if r.outcome == "granted":
        return "The authenticator accepted the caller"
    return "The authenticator logs say nothing against the caller"


def _detail(r: Reading) -> str:
    out = [r.headline[0].upper() + r.headline[1:] + "."]
    sure = f" ({r.confidence})" if r.confidence else ""
    if r.catalog_id and r.only_evidence:
        out.append(f"Cause: {r.catalog_id}{sure}, decided from these log lines alone: the evidence its own check "
                   "reads was not collected or could not be read.")
    elif r.catalog_id:
        family = (r.cause.catalog if r.cause and r.catalog_id in r.cause.catalog else ()) or (r.catalog_id,)
        out.append(f"Consistent with: {', '.join(family)}{sure}; the checks that read the cluster's own evidence "
                   "name the exact cause and its fix.")
    if r.lines:
        out.append("Deciding log lines, newest first:")
        out += [f"  {line.show()}" for line in r.lines]
    out += list(r.notes)
    return "\n".join(out)


def _fix(bundle: Bundle, r: Reading) -> tuple[FixStep, ...]:
    t = target(bundle)
    creator = creator_from_logs(bundle)
    admin_why = f" (the cluster creator, {creator[0]}, is granted in these logs and can)" if creator else ""
    if r.catalog_id == "aws_auth_yaml_broken":
        steps = fixes.rewrite_aws_auth_arns([], "the authenticator drops a whole section on a YAML error")
        edit = FixStep("${EDITOR:-vi} aws-auth.yaml", CLUSTER_CREATOR if creator else CLUSTER_ADMIN,
                       "fix the YAML error the authenticator's line names" + admin_why)
        return (steps[0], edit, steps[-1])
    if r.cause is not None and r.cause.key == "not_mapped" and r.principal:
        return _map_fix(bundle, t, r.principal, admin_why)
    if r.catalog_id == "expired_or_invalid_static_creds":
        return (FixStep("aws sts get-caller-identity", AFFECTED_USER,
                        "fails with ExpiredToken or InvalidClientTokenId while the credentials are bad: sign in again "
                        "(aws sso login --profile <profile>) or re-run the tool that issued them"),)
    if r.catalog_id == "clock_skew":
        return (FixStep(_clock_fix(bundle), AFFECTED_USER, "the token's signing time comes from this machine's clock"),)
    if r.catalog_id in ("wrong_cluster_name_in_token", "token_reused_over_15min", "sts_endpoint_problem") or \
            (r.cause is not None and r.cause.key == "unsigned_header"):
        return (FixStep(fixes.update_kubeconfig(t), AFFECTED_USER,
                        "rewrites the kubeconfig to run `aws eks get-token` with this cluster's exact name and region, "
                        "fetching a fresh, correctly signed token for every request"),)
    return ()


def _map_fix(bundle: Bundle, t: Target, principal: str, admin_why: str) -> tuple[FixStep, ...]:
    if t.auth_mode in ("API", "API_AND_CONFIG_MAP"):
        return fixes.grant_with_access_entry(
            t, entry_arn(explain_for(bundle, principal).principal, t.account), fixes.VIEW_POLICY,
            "maps the caller (read-only here; choose AmazonEKSEditPolicy or AmazonEKSClusterAdminPolicy for more)" + admin_why)
    username = arns.try_parse(principal).name if arns.try_parse(principal) else "user"
    return (
        FixStep(fixes.eksctl_create_mapping(t, principal, username, ()), CLUSTER_ADMIN,
                "adds an aws-auth row for the caller's path-less ARN, as the authenticator matches it" + admin_why),
        FixStep(fixes.bind_user(username), CLUSTER_ADMIN,
                "gives that username read-only access (bind another ClusterRole for more)"),
    )


def _clock_fix(bundle: Bundle) -> str:
    platform = str(bundle.local.get("platform") or "linux")
    if platform.startswith("win"):
        return "w32tm /resync"
    if platform == "darwin":
        return "sudo sntp -sS time.apple.com"
    return "sudo timedatectl set-ntp true"


CHECK = Check(
    id="authenticator_log_evidence",
    title="What the authenticator logs say about the caller",
    severity="high",
    stage="evidence",
    catalog=False,
    docs="docs/checks/authenticator_log_evidence.md",
    summary=("Reads the cluster's authenticator log lines (CloudWatch Logs, /aws/eks/<cluster>/cluster) and says "
             "which cause they confirm for the diagnosed caller: an `access denied … not mapped` line for its ARN "
             "(certain), token or credential errors logged before any identity was known (tied by time or by the "
             "token's date), an aws-auth parse error, or no line at all while the API server answered 401 (look at "
             "the token and credential side). Shows the lines that decided it."),
    remediation="depends on the cause the lines confirm; see the finding",
    run=run,
)

"""authenticator_logs_disabled: the cluster's `authenticator` control-plane log type is off.

An evidence gap, never the cause of a 401 (so `warn`): without it nobody can read the server's own
reason for refusing a token. Reads eks:DescribeCluster `cluster.logging.clusterLogging` only.
"""
from eksdoctor.bundle import Bundle
from eksdoctor.check import Check, Result, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.authlog import logging_enabled
from eksdoctor.model.evidence import target
from eksdoctor.model.probe import probe_outcome


def run(bundle: Bundle) -> Result:
    enabled, pointer = logging_enabled(bundle)
    if enabled is None:
        calls = bundle.aws("eks:DescribeCluster")
        if calls and not any(c.ok for c in calls):
            return skipped(f"eks:DescribeCluster could not be read ({calls[-1].error_code})", evidence=[calls[-1].pointer])
        return skipped("the eks:DescribeCluster record has no logging section", evidence=[pointer] if pointer else [],
                       missing=("aws:eks:DescribeCluster",))
    if enabled:
        return passed("the authenticator log type is enabled", evidence=[pointer])
    t = target(bundle)
    group = f"/aws/eks/{t.cluster}/cluster"
    in_trouble = probe_outcome(bundle).kind in ("unauthorized", "forbidden")
    detail = "\n".join([
        "The authenticator log type is off (the EKS default), so the server's own reason for refusing the "
        "token cannot be read: which ARN it saw, and whether it was not mapped, expired, or signed for another cluster.",
        f"Turning it on sends the authenticator's lines to the CloudWatch Logs group {group}, a few lines per "
        "kubectl request. Cost: CloudWatch Logs bills ingestion and storage per GB; set a retention on the group "
        "to bound storage. Lines arrive a few minutes after the request.",
        "Then reproduce the error, then run eksdoctor again: it queries these logs itself.",
    ])
    fix = (
        FixStep(fixes.enable_authenticator_logging(t), CLUSTER_ADMIN,
                "turns on the authenticator log type only (other types keep their state); costs CloudWatch ingestion"),
        FixStep(f"eksdoctor diagnose --cluster {fixes.q(t.cluster)}" + (f" --region {fixes.q(t.region)}" if not t.region.startswith("<") else ""),
                AFFECTED_USER, "reproduce the error, wait about 5 minutes for delivery, then run eksdoctor again"),
    )
    return warned("The cluster's authenticator logs are off: the server's reason for a 401 cannot be read", detail,
                  evidence=[pointer], fix=fix, severity=Severity.MEDIUM if in_trouble else Severity.LOW,
                  facts=[("log_group", group), ("authenticator_logging", "disabled")])


CHECK = Check(
    id="authenticator_logs_disabled",
    title="Authenticator control-plane logs are off",
    severity="low",
    stage="evidence",
    needs=("aws:eks:DescribeCluster",),
    docs="docs/checks/authenticator_logs_disabled.md",
    summary=("EKS control-plane logging is off by default. Without the authenticator log type nobody can read "
             "why the server refused a token (not mapped, expired credentials, another cluster's name, an old "
             "token). An evidence gap, not a cause: reported as a warning with the command that turns it on."),
    remediation=("aws eks update-cluster-config --region <region> --name <cluster> --logging "
                 "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'"),
    run=run,
)

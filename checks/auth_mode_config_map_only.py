"""auth_mode_config_map_only: the cluster is still CONFIG_MAP, so access entries cannot be created
(InvalidRequestException); fixes go through aws-auth, or the one-way switch to API_AND_CONFIG_MAP."""
import re

from eksdoctor.check import Check, failed, passed
from eksdoctor.findings import Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import cluster, cluster_evidence, target

from ._server import not_applicable

MODE_ERROR = "authentication mode must be set to one of"
# Minimum platform versions for access entries (failure-modes.md §2.4).
MINIMUM = {"1.23": 17, "1.24": 15, "1.25": 12, "1.26": 11, "1.27": 10, "1.28": 6, "1.29": 1, "1.30": 2}


def _platform_note(raw: dict) -> str:
    version, platform = str(raw.get("version") or ""), str(raw.get("platformVersion") or "")
    m = re.match(r"eks\.(\d+)", platform)
    if version in MINIMUM and m and int(m.group(1)) < MINIMUM[version]:
        return (f"Platform {platform} on {version} is below eks.{MINIMUM[version]}, the minimum for access entries: "
                "the cluster gets a platform update first.")
    return ""


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.mode != "CONFIG_MAP":
        return not_applicable(f"mode {ev.mode or 'unknown'}")
    t = target(bundle)
    c = cluster(bundle)
    note = _platform_note(c.raw) if c else ""
    tried = MODE_ERROR in str(bundle.symptom.get("output") or "")
    lines = ["The cluster is in CONFIG_MAP mode: access entries cannot be created until the mode is switched "
             "(one-way) to API_AND_CONFIG_MAP."] + ([note] if note else [])
    if tried:
        return failed("Access entries need mode API_AND_CONFIG_MAP; this cluster is CONFIG_MAP", "\n".join(lines),
                      fix=fixes.switch_mode(t), confidence="certain", severity=Severity.HIGH)
    return passed("CONFIG_MAP mode: access is managed in aws-auth (the fixes use it)" + (f"; {note}" if note else ""))


CHECK = Check(
    id="auth_mode_config_map_only",
    title="Cluster is in CONFIG_MAP mode (no access entries)",
    severity="medium",
    stage="authentication",
    needs=("aws:eks:DescribeCluster",),
    docs="docs/checks/auth_mode_config_map_only.md",
    summary=("Clusters created through the EKS API, SDKs or CloudFormation default to CONFIG_MAP. There, "
             "create-access-entry fails with InvalidRequestException until the mode is switched (one-way)."),
    remediation="aws eks update-cluster-config --name <cluster> --access-config authenticationMode=API_AND_CONFIG_MAP",
    run=run,
)

"""console_no_k8s_access: the console principal lacks IAM eks:AccessKubernetesApi (from
iam:SimulatePrincipalPolicy), or is not mapped in the cluster; the console shows no Kubernetes objects."""
import json

from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import IAM_ADMIN, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.evidence import explain_for

from ._server import cannot_tell, grant

ACTION = "eks:AccessKubernetesApi"
BANNER = ("does not have access to Kubernetes objects", "doesn't have access to Kubernetes objects")
CONSOLE_ACTIONS = ["eks:AccessKubernetesApi", "eks:DescribeCluster", "eks:ListClusters", "eks:ListNodegroups",
                   "eks:DescribeNodegroup", "eks:ListFargateProfiles", "eks:ListAddons", "eks:ListUpdates"]


def _put_policy(principal: str) -> str:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": CONSOLE_ACTIONS, "Resource": "*"}]},
                     separators=(",", ":"))
    parsed = arns.try_parse(principal)
    name = parsed.name if parsed else principal
    kind = "user" if arns.principal_type(principal) == "USER" else "role"
    return (f"aws iam put-{kind}-policy --{kind}-name {fixes.q(name)} --policy-name eks-console-access "
            f"--policy-document {fixes.q(doc)}")


def run(bundle):
    sims = [c for c in bundle.aws("iam:SimulatePrincipalPolicy") if c.ok and ACTION in (c.request.get("ActionNames") or [])]
    if not sims:
        return cannot_tell("iam:SimulatePrincipalPolicy for eks:AccessKubernetesApi was not recorded",
                           missing=("aws:iam:SimulatePrincipalPolicy",))
    call = sims[-1]
    principal = str(call.request.get("PolicySourceArn") or "")
    results = (call.response or {}).get("EvaluationResults") or []
    decision = next((r.get("EvalDecision") for r in results if r.get("EvalActionName") == ACTION), "implicitDeny")
    problems, fix = [], []
    if decision != "allowed":
        problems.append(f"IAM {decision} for {ACTION} on {principal}: the console cannot list Kubernetes objects")
        fix.append(FixStep(_put_policy(principal), IAM_ADMIN, "the IAM permissions the EKS console needs"))
    x = explain_for(bundle, principal) if principal else None
    if x is not None and not x.authenticated and not x.unknowns:
        problems.append(f"{principal} is not mapped in the cluster: " + x.reasons[-1])
        fix.extend(grant(bundle, x.principal, "maps the console principal (the console reads as this identity)"))
    if not problems:
        return passed(f"{principal} may call {ACTION} and is mapped")
    in_console = any(b in str(bundle.symptom.get("output") or "") for b in BANNER)
    title = f"The console principal {principal} cannot see Kubernetes objects"
    if in_console:
        return failed(title, "\n".join(problems), evidence=[call.pointer], fix=tuple(fix), confidence="certain",
                      severity=Severity.HIGH)
    return warned(title, "\n".join(problems) + "\n(kubectl does not need eks:AccessKubernetesApi; the console does.)",
                  evidence=[call.pointer], fix=tuple(fix), severity=Severity.MEDIUM)


CHECK = Check(
    id="console_no_k8s_access",
    title="Console principal lacks eks:AccessKubernetesApi or a mapping",
    severity="medium",
    stage="authorization",
    needs=("aws:iam:SimulatePrincipalPolicy",),
    docs="docs/checks/console_no_k8s_access.md",
    summary=("The EKS console reads Kubernetes objects as the signed-in IAM principal: it needs IAM "
             "eks:AccessKubernetesApi (plus describe/list) and a mapping with permissions in the cluster."),
    remediation="allow eks:AccessKubernetesApi, eks:DescribeCluster, eks:List*; create an access entry + AmazonEKSViewPolicy",
    run=run,
)

"""aws_auth_deleted: kube-system/aws-auth does not exist (404). In CONFIG_MAP only the creator still gets
in; nodes drop out. The fix recreates it (node roles first) or uses access entries where the mode allows."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, CLUSTER_CREATOR, FixStep, Severity
from eksdoctor.model import arn as arns
from eksdoctor.model import fixes
from eksdoctor.model.access import uses_entries
from eksdoctor.model.evidence import cluster_evidence, node_roles, target

from ._server import blocked, caller, confidence, evidence_of, grant, not_applicable

NODE_GROUPS = ("system:bootstrappers", "system:nodes")
FARGATE_GROUPS = NODE_GROUPS + ("system:node-proxier",)


def restore_nodes(bundle, run_as) -> list[FixStep]:
    """Node and Fargate roles first: without them no node can register."""
    t = target(bundle)
    steps = []
    for kind, owner, role, _ in node_roles(bundle):
        fargate = kind == "fargate"
        if uses_entries(t.auth_mode):
            steps.append(FixStep(fixes.create_access_entry(t, role, entry_type="FARGATE_LINUX" if fargate else
                                                           "EC2_WINDOWS" if kind.startswith("windows") else "EC2_LINUX"),
                                 run_as, f"maps the {kind} {owner}'s role"))
        else:
            username = "system:node:{{SessionName}}" if fargate else "system:node:{{EC2PrivateDNSName}}"
            groups = FARGATE_GROUPS if fargate else NODE_GROUPS + (("eks:kube-proxy-windows",) if kind.startswith("windows") else ())
            steps.append(FixStep(fixes.eksctl_create_mapping(t, arns.strip_path(role), username, groups), run_as,
                                 f"maps the {kind} {owner}'s role (eksctl creates aws-auth when it is missing)"))
    return steps


def run(bundle):
    ev = cluster_evidence(bundle)
    if ev.aws_auth_state != "absent":
        return not_applicable(f"aws-auth is {ev.aws_auth_state}" if ev.aws_auth_state != "read" else "aws-auth exists")
    if ev.mode == "API":
        return passed("aws-auth does not exist, and mode API does not use it")
    x = caller(bundle)
    who = CLUSTER_CREATOR if ev.mode != "API_AND_CONFIG_MAP" else CLUSTER_ADMIN
    steps = restore_nodes(bundle, who)
    lines = ["kube-system/aws-auth does not exist: nobody is mapped through it."]
    if ev.creator:
        lines.append(f"The cluster creator {ev.creator.describe()} still gets in through the hidden bootstrap mapping"
                     + (" and can recreate it." if ev.mode == "CONFIG_MAP" else "."))
    if x is not None and not x.authenticated:
        steps.extend(grant(bundle, x.principal, "maps the caller again", run_as=who))
    title = "The aws-auth ConfigMap does not exist"
    if blocked(bundle, x):
        return failed(title, "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(steps), confidence=confidence(bundle, x))
    return warned(title, "\n".join(lines), evidence=evidence_of(bundle, x), fix=tuple(steps), severity=Severity.HIGH)


CHECK = Check(
    id="aws_auth_deleted",
    title="The aws-auth ConfigMap was deleted",
    severity="critical",
    stage="authentication",
    needs=("aws:sts:GetCallerIdentity",),
    docs="docs/checks/aws_auth_deleted.md",
    summary=("Without kube-system/aws-auth every principal mapped there is Unauthorized and nodes cannot register; in "
             "CONFIG_MAP only the cluster creator still gets in. Recreate it (node roles first) or use access entries."),
    remediation="eksctl create iamidentitymapping … for the node roles, then the people (as the creator)",
    run=run,
)

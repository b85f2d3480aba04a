"""Fix commands with real names filled in, quoted for a POSIX shell.

One builder per kind of command, so every check phrases the same fix the same way:
aws-auth takes path-less role ARNs, access entries take the full ARN with its path.
"""
from __future__ import annotations

import shlex

from ..findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep
from . import arn as arns
from .evidence import Target

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"


def q(value: str) -> str:
    return shlex.quote(str(value))


def _region(t: Target) -> str:
    return f" --region {q(t.region)}" if t.region and not t.region.startswith("<") else ""


def update_kubeconfig(t: Target, *, profile: str | None = None, role_arn: str | None = None, alias: str | None = None) -> str:
    cmd = f"aws eks update-kubeconfig{_region(t)} --name {q(t.cluster)}"
    if profile:
        cmd += f" --profile {q(profile)}"
    if role_arn:
        cmd += f" --role-arn {q(role_arn)}"
    if alias:
        cmd += f" --alias {q(alias)}"
    return cmd


def create_access_entry(t: Target, principal: str, *, entry_type: str | None = None,
                        groups: tuple[str, ...] = (), username: str | None = None) -> str:
    cmd = f"aws eks create-access-entry{_region(t)} --cluster-name {q(t.cluster)} --principal-arn {q(principal)}"
    if entry_type and entry_type != "STANDARD":
        cmd += f" --type {entry_type}"
    if groups:
        cmd += " --kubernetes-groups " + " ".join(q(g) for g in groups)
    if username:
        cmd += f" --username {q(username)}"
    return cmd


def associate_access_policy(t: Target, principal: str, policy: str, namespaces: tuple[str, ...] = ()) -> str:
    scope = "type=cluster" if not namespaces else "type=namespace,namespaces=" + ",".join(namespaces)
    return (f"aws eks associate-access-policy{_region(t)} --cluster-name {q(t.cluster)} --principal-arn {q(principal)}"
            f" --policy-arn {q(arns.policy_arn(t.partition, policy))} --access-scope {q(scope)}")


def grant_with_access_entry(t: Target, principal: str, policy: str, why: str) -> tuple[FixStep, ...]:
    return (
        FixStep(create_access_entry(t, principal), CLUSTER_ADMIN, why),
        FixStep(associate_access_policy(t, principal, policy), CLUSTER_ADMIN,
                f"gives the entry Kubernetes permissions ({policy}, cluster-wide)"),
    )


def rewrite_aws_auth_arns(changes: list[tuple[str, str]], why: str) -> tuple[FixStep, ...]:
    """Edit ARNs in aws-auth with optimistic concurrency (replace fails if someone else edited it)."""
    edits = tuple(FixStep(f"sed -i {q(f's|{old}|{new}|')} aws-auth.yaml", CLUSTER_ADMIN, why) for old, new in changes)
    return (
        FixStep("kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml", CLUSTER_ADMIN,
                "save the current ConfigMap (also your backup); its resourceVersion guards against concurrent edits"),
        *edits,
        FixStep("kubectl replace -f aws-auth.yaml", CLUSTER_ADMIN,
                "write it back; a concurrent change makes this fail instead of being overwritten"),
    )


def affected_user(command: str, why: str) -> FixStep:
    return FixStep(command, AFFECTED_USER, why)


def grant_rbac(attributes: dict, username: str, why: str) -> tuple[FixStep, ...]:
    """The least RBAC that allows one SelfSubjectAccessReview's resourceAttributes to `username`:
    a Role + RoleBinding in its namespace, or a ClusterRole + ClusterRoleBinding when it has none."""
    verb, resource = attributes.get("verb") or "get", attributes.get("resource") or "*"
    group, sub = attributes.get("group") or "", attributes.get("subresource") or ""
    namespace = attributes.get("namespace")
    name = "-".join(p for p in ("eksdoctor", verb if verb != "*" else "all", resource if resource != "*" else "all", sub) if p)
    name = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name.lower())[:63].strip("-")
    full = resource + (f".{group}" if group else "") + (f"/{sub}" if sub else "")
    ns = f" -n {q(namespace)}" if namespace else ""
    kind = "role" if namespace else "clusterrole"
    return (
        FixStep(f"kubectl create {kind} {q(name)} --verb={q(verb)} --resource={q(full)}{ns}", CLUSTER_ADMIN,
                f"allows exactly {verb} {full}" + (f" in {namespace}" if namespace else " cluster-wide")),
        FixStep(f"kubectl create {kind}binding {q(name)} --{kind}={q(name)} --user={q(username)}{ns}", CLUSTER_ADMIN, why),
    )

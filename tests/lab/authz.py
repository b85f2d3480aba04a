"""The lab API server's authorizer: `system:masters`, RBAC, and EKS access policies (approximated by
the rules of the Kubernetes roles they mirror), plus the apiserver's exact forbidden message.

Lab-only; never imports eksdoctor.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

READ = ["get", "list", "watch"]
WRITE = ["create", "update", "patch", "delete", "deletecollection"]
_WORKLOADS = [
    {"apiGroups": [""], "resources": ["pods", "pods/log", "pods/status", "configmaps", "services", "endpoints",
                                      "persistentvolumeclaims", "events", "replicationcontrollers",
                                      "serviceaccounts", "resourcequotas", "limitranges"]},
    {"apiGroups": ["apps", "batch", "autoscaling"], "resources": ["*"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"]},
]
_NAMESPACES = {"apiGroups": [""], "resources": ["namespaces"], "verbs": READ}
VIEW = [{**r, "verbs": READ} for r in _WORKLOADS] + [_NAMESPACES]
EDIT = ([{**r, "verbs": READ + WRITE} for r in _WORKLOADS] + [_NAMESPACES]
        + [{"apiGroups": [""], "resources": ["secrets", "pods/exec", "pods/attach", "pods/portforward"],
            "verbs": READ + WRITE}])
ADMIN = EDIT + [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
                 "verbs": READ + WRITE},
                {"apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"], "verbs": ["create"]}]
EVERYTHING = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]

ACCESS_POLICY_RULES = {
    "AmazonEKSClusterAdminPolicy": EVERYTHING,
    "AmazonEKSAdminPolicy": ADMIN,
    "AmazonEKSEditPolicy": EDIT,
    "AmazonEKSViewPolicy": VIEW,
    "AmazonEKSAdminViewPolicy": [{"apiGroups": ["*"], "resources": ["*"], "verbs": READ}],
    "AmazonEKSSecretReaderPolicy": [{"apiGroups": [""], "resources": ["secrets"], "verbs": READ}],
}

_DISCOVERY = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
              "/version", "/version/"]


def _cluster_role(name: str, rules: list[dict]) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}, "rules": rules}


def cluster_role_binding(name: str, role: str, *, groups=(), users=()) -> dict:
    subjects = ([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups]
                + [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u} for u in users])
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def builtin_rbac() -> dict[str, list[dict]]:
    """The bootstrap roles every cluster has (the subset the lab's authorizer needs)."""
    roles = [
        _cluster_role("cluster-admin", EVERYTHING),
        _cluster_role("admin", ADMIN), _cluster_role("edit", EDIT), _cluster_role("view", VIEW),
        _cluster_role("system:basic-user", [
            {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
             "verbs": ["create"]},
            {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}]),
        _cluster_role("system:discovery", [{"nonResourceURLs": _DISCOVERY, "verbs": ["get"]}]),
        _cluster_role("system:public-info-viewer", [{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version",
                                                                          "/version/"], "verbs": ["get"]}]),
    ]
    bindings = [
        cluster_role_binding("cluster-admin", "cluster-admin", groups=["system:masters"]),
        cluster_role_binding("system:basic-user", "system:basic-user", groups=["system:authenticated"]),
        cluster_role_binding("system:discovery", "system:discovery", groups=["system:authenticated"]),
        cluster_role_binding("system:public-info-viewer", "system:public-info-viewer",
                             groups=["system:authenticated", "system:unauthenticated"]),
    ]
    return {"clusterroles": roles, "clusterrolebindings": bindings}


@dataclass
class Attributes:
    verb: str
    resource: str = ""          # empty for a non-resource request
    group: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    path: str = ""


def _rule_allows(rule: dict, a: Attributes) -> bool:
    if not ({"*", a.verb} & set(rule.get("verbs", []))):
        return False
    if not a.resource:
        return any(u == a.path or (u.endswith("*") and a.path.startswith(u[:-1]))
                   for u in rule.get("nonResourceURLs", []))
    if not ({"*", a.group} & set(rule.get("apiGroups", []))):
        return False
    wanted = {"*", f"{a.resource}/{a.subresource}", f"*/{a.subresource}"} if a.subresource else {"*", a.resource}
    if not wanted & set(rule.get("resources", [])):
        return False
    names = rule.get("resourceNames") or []
    return not names or a.name in names


def _subject_matches(subject: dict, user: str, groups: list[str]) -> bool:
    return ((subject.get("kind") == "User" and subject.get("name") == user)
            or (subject.get("kind") == "Group" and subject.get("name") in groups))


def rbac_allows(objects: dict, user: str, groups: list[str], a: Attributes) -> str | None:
    """The RBAC reason when allowed, else None."""
    def role_rules(ref: dict, namespace: str) -> list[dict]:
        key = ("", ref.get("name", "")) if ref.get("kind") == "ClusterRole" else (namespace, ref.get("name", ""))
        store = objects.get("clusterroles" if ref.get("kind") == "ClusterRole" else "roles", {})
        return (store.get(key) or {}).get("rules") or []

    for binding in objects.get("clusterrolebindings", {}).values():
        if any(_subject_matches(s, user, groups) for s in binding.get("subjects") or []):
            if any(_rule_allows(r, a) for r in role_rules(binding.get("roleRef", {}), "")):
                return f'RBAC: allowed by ClusterRoleBinding "{binding["metadata"]["name"]}"'
    if a.namespace:
        for (ns, _), binding in objects.get("rolebindings", {}).items():
            if ns == a.namespace and any(_subject_matches(s, user, groups) for s in binding.get("subjects") or []):
                if any(_rule_allows(r, a) for r in role_rules(binding.get("roleRef", {}), ns)):
                    return f'RBAC: allowed by RoleBinding "{binding["metadata"]["name"]}/{ns}"'
    return None


def policies_allow(policies: dict[str, dict], a: Attributes) -> str | None:
    """EKS access policies of the caller's access entry (policyArn -> association)."""
    for arn, assoc in policies.items():
        scope = assoc.get("accessScope", {})
        if scope.get("type") != "cluster" and not (
                a.namespace and any(fnmatch.fnmatchcase(a.namespace, p) for p in scope.get("namespaces", []))):
            continue
        if any(_rule_allows(r, a) for r in ACCESS_POLICY_RULES.get(arn.rsplit("/", 1)[-1], [])):
            return f"EKS access policy {arn.rsplit('/', 1)[-1]}"
    return None


def authorize(objects: dict, user: str, groups: list[str], a: Attributes, policies: dict[str, dict]) -> str | None:
    if "system:masters" in groups:
        return "system:masters"
    return policies_allow(policies, a) or rbac_allows(objects, user, groups, a)


def forbidden_message(user: str, a: Attributes) -> str:
    """k8s.io/apiserver forbiddenMessage wrapped by errors.NewForbidden."""
    if not a.resource:
        return f'forbidden: User "{user}" cannot {a.verb} path "{a.path}"'
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    where = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    why = f'User "{user}" cannot {a.verb} resource "{resource}" in API group "{a.group}" {where}'
    qualified = a.resource if not a.group else f"{a.resource}.{a.group}"
    return f'{qualified} "{a.name}" is forbidden: {why}' if a.name else f"{qualified} is forbidden: {why}"

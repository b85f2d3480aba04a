"""Authorization: can a mapped user do VERB on RESOURCE in NAMESPACE? Access policies ∪ RBAC.

Pure. Access-policy permissions are the documented ones (EKS user guide, "Review access policy
permissions"); RBAC comes from `kubectl get clusterrolebindings,rolebindings,clusterroles,roles -A -o json`.
A SelfSubjectAccessReview answer, when recorded, is the ground truth and wins.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from .access import AssociatedPolicy

MASTERS = "system:masters"
READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")

# (api groups, resources, verbs); "" is the core group.
Rule = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]

_VIEW: list[Rule] = [
    (("apps",), ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                 "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"), READ),
    (("autoscaling",), ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    (("batch",), ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ),
    (("discovery.k8s.io",), ("endpointslices",), READ),
    (("extensions",), ("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
                       "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status",
                       "replicationcontrollers/scale"), READ),
    (("networking.k8s.io",), ("ingresses", "ingresses/status", "networkpolicies"), READ),
    (("policy",), ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    (("",), ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers",
             "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"), READ),
    (("",), ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status",
             "resourcequotas", "resourcequotas/status"), READ),
    (("",), ("namespaces",), READ),
]
_EDIT: list[Rule] = _VIEW + [
    (("apps",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
                 "statefulsets", "statefulsets/scale"), WRITE),
    (("autoscaling",), ("horizontalpodautoscalers",), WRITE),
    (("batch",), ("cronjobs", "jobs"), WRITE),
    (("extensions",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies",
                       "replicasets", "replicasets/scale", "replicationcontrollers/scale"), WRITE),
    (("networking.k8s.io",), ("ingresses", "networkpolicies"), WRITE),
    (("policy",), ("poddisruptionbudgets",), WRITE),
    (("",), ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"), READ),
    (("",), ("serviceaccounts",), ("impersonate",)),
    (("",), ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"), WRITE),
    (("",), ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets",
             "serviceaccounts", "services", "services/proxy"), WRITE),
]
_ADMIN: list[Rule] = _EDIT + [
    (("authorization.k8s.io",), ("localsubjectaccessreviews",), ("create",)),
    (("rbac.authorization.k8s.io",), ("rolebindings", "roles"), READ + WRITE),
]
_ALL: list[Rule] = [(("*",), ("*",), ("*",))]

POLICY_RULES: dict[str, list[Rule]] = {
    "AmazonEKSClusterAdminPolicy": _ALL,
    "AmazonEKSAdminPolicy": _ADMIN,
    "AmazonEKSEditPolicy": _EDIT,
    "AmazonEKSViewPolicy": _VIEW,
    "AmazonEKSAdminViewPolicy": [(("*",), ("*",), READ)],
    "AmazonEKSSecretReaderPolicy": [(("",), ("secrets",), READ)],
}
# Kubernetes' default user-facing ClusterRoles, used only when `clusterroles` was not collected.
DEFAULT_CLUSTER_ROLES: dict[str, list[Rule]] = {"cluster-admin": _ALL, "admin": _ADMIN, "edit": _EDIT, "view": _VIEW}

CLUSTER_SCOPED = {"namespaces", "nodes", "persistentvolumes", "clusterroles", "clusterrolebindings", "storageclasses",
                  "customresourcedefinitions", "priorityclasses", "csidrivers", "csinodes", "ingressclasses",
                  "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "apiservices", "certificatesigningrequests",
                  "runtimeclasses", "volumeattachments", "componentstatuses"}
_GROUPS = {"deployments": "apps", "daemonsets": "apps", "statefulsets": "apps", "replicasets": "apps", "jobs": "batch",
           "cronjobs": "batch", "ingresses": "networking.k8s.io", "networkpolicies": "networking.k8s.io",
           "horizontalpodautoscalers": "autoscaling", "poddisruptionbudgets": "policy", "roles": "rbac.authorization.k8s.io",
           "rolebindings": "rbac.authorization.k8s.io", "clusterroles": "rbac.authorization.k8s.io",
           "clusterrolebindings": "rbac.authorization.k8s.io", "storageclasses": "storage.k8s.io",
           "customresourcedefinitions": "apiextensions.k8s.io", "endpointslices": "discovery.k8s.io"}
_SHORT = {"po": "pods", "svc": "services", "deploy": "deployments", "ds": "daemonsets", "sts": "statefulsets", "rs": "replicasets",
          "ns": "namespaces", "no": "nodes", "cm": "configmaps", "ing": "ingresses", "sa": "serviceaccounts", "pv": "persistentvolumes",
          "pvc": "persistentvolumeclaims", "cj": "cronjobs", "hpa": "horizontalpodautoscalers", "pdb": "poddisruptionbudgets",
          "crd": "customresourcedefinitions", "netpol": "networkpolicies", "ep": "endpoints", "ev": "events"}


@dataclass(frozen=True)
class Question:
    verb: str = "list"
    resource: str = "pods"  # may carry a subresource: pods/log
    group: str = ""
    namespace: str | None = "default"  # None: cluster scope

    def describe(self) -> str:
        group = f".{self.group}" if self.group else ""
        where = f"in namespace {self.namespace}" if self.namespace else "at cluster scope"
        return f"{self.verb} {self.resource}{group} {where}"

    def spec(self) -> dict:
        """The SelfSubjectAccessReview spec that asks this question."""
        resource, _, sub = self.resource.partition("/")
        attrs = {"verb": self.verb, "resource": resource, "group": self.group}
        if sub:
            attrs["subresource"] = sub
        if self.namespace:
            attrs["namespace"] = self.namespace
        return {"resourceAttributes": attrs}


DEFAULT_QUESTION = Question()


def parse_question(text: str) -> Question:
    """`create deployments -n prod`, `list nodes`, `get secrets.v1 --namespace x`, `list pods -A`."""
    words = shlex.split(text)
    namespace: str | None = "default"
    rest = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-n", "--namespace") and i + 1 < len(words):
            namespace, i = words[i + 1], i + 2
            continue
        if w.startswith("--namespace="):
            namespace = w.split("=", 1)[1]
        elif w in ("-A", "--all-namespaces"):
            namespace = None
        else:
            rest.append(w)
        i += 1
    if len(rest) != 2:
        raise ValueError(f"expected 'VERB RESOURCE [-n NAMESPACE]', got {text!r}")
    verb, resource = rest[0].lower(), rest[1].lower()
    resource, _, group = resource.partition(".")
    resource = _SHORT.get(resource, resource)
    group = group if group and group not in ("v1",) else _GROUPS.get(resource.split("/")[0], "")
    if resource.split("/")[0] in CLUSTER_SCOPED:
        namespace = None
    return Question(verb, resource, group, namespace)


_FORBIDDEN = re.compile(r'User "(?P<user>[^"]*)" cannot (?P<verb>[\w-]+) resource "(?P<res>[^"]+)" in API group "(?P<group>[^"]*)"'
                        r'(?: in the namespace "(?P<ns>[^"]+)"| at the cluster scope)?')


def parse_forbidden(text: str) -> tuple[str, Question] | None:
    """The user and question in kubectl's 403 text (failure-modes.md §4)."""
    m = _FORBIDDEN.search(text or "")
    if not m:
        return None
    return m.group("user"), Question(m.group("verb"), m.group("res"), m.group("group"), m.group("ns"))


def _rule_allows(rule: Rule, q: Question) -> bool:
    groups, resources, verbs = rule
    base = q.resource.split("/")[0]
    return ((q.group in groups or "*" in groups)
            and (q.resource in resources or "*" in resources or (q.resource == base and f"{base}/*" in resources))
            and (q.verb in verbs or "*" in verbs))


def rules_from_k8s(rules) -> list[Rule]:
    out = []
    for r in rules or []:
        if not isinstance(r, dict) or r.get("resourceNames") or r.get("nonResourceURLs"):
            continue  # name-restricted rules never allow a list or a collection-wide question
        out.append((tuple(r.get("apiGroups") or ()), tuple(r.get("resources") or ()), tuple(r.get("verbs") or ())))
    return out


@dataclass(frozen=True)
class Binding:
    kind: str  # ClusterRoleBinding or RoleBinding
    name: str
    namespace: str | None
    role_kind: str
    role_name: str
    subjects: tuple[tuple[str, str], ...]  # (kind, name)

    @property
    def where(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"

    def binds(self, username: str, groups: tuple[str, ...]) -> bool:
        return any((k == "User" and n == username) or (k == "Group" and n in groups) for k, n in self.subjects)


@dataclass(frozen=True)
class Rbac:
    bindings: tuple[Binding, ...] = ()
    cluster_roles: dict = field(default_factory=dict)  # name → rules; empty when not collected
    roles: dict = field(default_factory=dict)  # (namespace, name) → rules
    have_cluster_roles: bool = False
    have_roles: bool = False
    complete: bool = True  # both binding lists were read

    @staticmethod
    def from_lists(crbs: dict | None, rbs: dict | None, crs: dict | None, roles: dict | None) -> "Rbac":
        bindings = []
        for doc, kind in ((crbs, "ClusterRoleBinding"), (rbs, "RoleBinding")):
            for item in (doc or {}).get("items") or []:
                meta, ref = item.get("metadata") or {}, item.get("roleRef") or {}
                subjects = tuple((str(s.get("kind")), str(s.get("name"))) for s in item.get("subjects") or [] if isinstance(s, dict))
                bindings.append(Binding(kind, str(meta.get("name")), meta.get("namespace") if kind == "RoleBinding" else None,
                                        str(ref.get("kind")), str(ref.get("name")), subjects))
        cluster_roles = {str((i.get("metadata") or {}).get("name")): rules_from_k8s(i.get("rules")) for i in (crs or {}).get("items") or []}
        ns_roles = {((i.get("metadata") or {}).get("namespace"), (i.get("metadata") or {}).get("name")): rules_from_k8s(i.get("rules"))
                    for i in (roles or {}).get("items") or []}
        return Rbac(tuple(bindings), cluster_roles, ns_roles, crs is not None, roles is not None, crbs is not None and rbs is not None)

    def role_rules(self, b: Binding) -> list[Rule] | None:
        if b.role_kind == "ClusterRole":
            if b.role_name in self.cluster_roles:
                return self.cluster_roles[b.role_name]
            return DEFAULT_CLUSTER_ROLES.get(b.role_name) if not self.have_cluster_roles else []
        if (b.namespace, b.role_name) in self.roles:
            return self.roles[(b.namespace, b.role_name)]
        return None if not self.have_roles else []

    def bindings_for(self, username: str, groups: tuple[str, ...]) -> list[Binding]:
        return [b for b in self.bindings if b.binds(username, groups)]

    def group_bound(self, group: str) -> bool:
        return any(("Group", group) in b.subjects for b in self.bindings)

    def user_subjects(self) -> list[str]:
        return sorted({n for b in self.bindings for k, n in b.subjects if k == "User"})


@dataclass(frozen=True)
class Decision:
    allowed: bool | None  # None: the evidence cannot say
    question: Question
    by: tuple[str, ...] = ()  # what allows it
    notes: tuple[str, ...] = ()  # what was considered, what is missing

    def describe(self) -> str:
        verdict = {True: "allowed", False: "denied", None: "unknown"}[self.allowed]
        return f"{self.question.describe()}: {verdict}" + (f" by {', '.join(self.by)}" if self.by else "")


def authorize(username: str, groups: tuple[str, ...], policies: tuple[AssociatedPolicy, ...], rbac: Rbac | None,
              q: Question = DEFAULT_QUESTION, *, policies_known: bool = True) -> Decision:
    """The EKS authorizer (access policies) then RBAC; allowed if either allows."""
    all_groups = tuple(groups) + ("system:authenticated",)
    by: list[str] = []
    notes: list[str] = []
    if MASTERS in groups:
        return Decision(True, q, (f"group {MASTERS} (bypasses authorization)",))
    for p in policies:
        rules = POLICY_RULES.get(p.name)
        if rules is None:
            notes.append(f"{p.name}: its permissions are not documented here")
            continue
        if q.namespace is None and p.scope.type != "cluster":
            notes.append(f"{p.name} is scoped to {p.scope.describe()}, which never covers cluster-scoped requests")
            continue
        if not p.scope.covers(q.namespace):
            notes.append(f"{p.name} is scoped to {p.scope.describe()}, not {q.namespace}")
            continue
        if any(_rule_allows(r, q) for r in rules):
            by.append(f"access policy {p.name} ({p.scope.describe()})")
        else:
            notes.append(f"{p.name} does not include {q.verb} on {q.resource}")
    if rbac is not None:
        for b in rbac.bindings_for(username, all_groups):
            if b.kind == "RoleBinding" and b.namespace != q.namespace:
                continue
            rules = rbac.role_rules(b)
            if rules is None:
                notes.append(f"{b.where} refers to {b.role_kind} {b.role_name}, which was not collected")
            elif any(_rule_allows(r, q) for r in rules):
                by.append(f"{b.where} → {b.role_kind} {b.role_name}")
    if by:
        return Decision(True, q, tuple(by), tuple(notes))
    unknown = rbac is None or not rbac.complete or not policies_known or any("not collected" in n or "not documented" in n for n in notes)
    if rbac is None:
        notes.append("RBAC bindings were not collected")
    return Decision(None if unknown else False, q, (), tuple(notes))


POLICY_LADDER = ("AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAdminPolicy",
                 "AmazonEKSClusterAdminPolicy")
ROLE_LADDER = ("view", "edit", "admin", "cluster-admin")


def least_policy(q: Question) -> str:
    """The smallest AWS-managed access policy whose documented permissions allow the question."""
    for name in POLICY_LADDER:
        if name == "AmazonEKSAdminPolicy" and q.namespace is None:
            continue
        if any(_rule_allows(r, q) for r in POLICY_RULES[name]):
            return name
    return "AmazonEKSClusterAdminPolicy"


def least_cluster_role(q: Question) -> str:
    """The smallest default ClusterRole (view, edit, admin, cluster-admin) that allows the question."""
    for name in ROLE_LADDER:
        if any(_rule_allows(r, q) for r in DEFAULT_CLUSTER_ROLES[name]):
            return name
    return "cluster-admin"


def policy_allows(name: str, q: Question) -> bool | None:
    rules = POLICY_RULES.get(name)
    return None if rules is None else any(_rule_allows(r, q) for r in rules)

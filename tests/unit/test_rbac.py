"""Authorization: access policies (documented permissions, scopes) ∪ RBAC bindings."""
import pytest

from eksdoctor.model.access import AssociatedPolicy, Scope
from eksdoctor.model.rbac import (Question, Rbac, authorize, least_cluster_role, least_policy, parse_forbidden,
                                  parse_question)

POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"


def pol(name, *namespaces):
    return AssociatedPolicy(POLICY.format(name), Scope("namespace" if namespaces else "cluster", namespaces))


def lists(*bindings, roles=()):
    crbs = {"items": [b for b in bindings if b["kind"] == "ClusterRoleBinding"]}
    rbs = {"items": [b for b in bindings if b["kind"] == "RoleBinding"]}
    crs = {"items": [{"metadata": {"name": n}, "rules": r} for n, r in roles]}
    return Rbac.from_lists(crbs, rbs, crs, {"items": []})


def binding(kind, name, role, subject_kind, subject, namespace=None, role_kind="ClusterRole"):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"kind": kind, "metadata": meta, "roleRef": {"kind": role_kind, "name": role},
            "subjects": [{"kind": subject_kind, "name": subject}]}


def test_default_question_is_list_pods_in_default():
    assert Question().describe() == "list pods in namespace default"


@pytest.mark.parametrize("text, expected", [
    ("create deployments -n prod", Question("create", "deployments", "apps", "prod")),
    ("list nodes", Question("list", "nodes", "", None)),
    ("get po --namespace=dev", Question("get", "pods", "", "dev")),
    ("get servicemonitors.monitoring.coreos.com -n dev", Question("get", "servicemonitors", "monitoring.coreos.com", "dev")),
])
def test_parse_question(text, expected):
    assert parse_question(text) == expected


def test_parse_forbidden_reads_kubectls_403():
    text = 'Error from server (Forbidden): nodes is forbidden: User "arn:aws:sts::1:assumed-role/R/s" cannot list resource "nodes" in API group "" at the cluster scope'
    user, q = parse_forbidden(text)
    assert user == "arn:aws:sts::1:assumed-role/R/s" and q == Question("list", "nodes", "", None)


def test_view_policy_reads_workloads_but_not_secrets_and_admin_view_reads_secrets():
    assert authorize("u", (), (pol("AmazonEKSViewPolicy"),), None).allowed
    secrets = Question("get", "secrets")
    assert authorize("u", (), (pol("AmazonEKSViewPolicy"),), lists(), secrets).allowed is False
    assert authorize("u", (), (pol("AmazonEKSAdminViewPolicy"),), lists(), secrets).allowed


def test_namespace_scope_covers_only_its_namespaces_and_never_cluster_scope():
    p = (pol("AmazonEKSEditPolicy", "dev-*"),)
    assert authorize("u", (), p, lists(), Question("create", "deployments", "apps", "dev-1")).allowed
    assert authorize("u", (), p, lists(), Question("create", "deployments", "apps", "prod")).allowed is False
    assert authorize("u", (), (pol("AmazonEKSClusterAdminPolicy", "dev"),), lists(), Question("list", "nodes", "", None)).allowed is False


def test_managed_policies_do_not_cover_custom_resources():
    q = Question("get", "servicemonitors", "monitoring.coreos.com", "dev")
    assert authorize("u", (), (pol("AmazonEKSEditPolicy"),), lists(), q).allowed is False
    assert authorize("u", (), (pol("AmazonEKSClusterAdminPolicy"),), lists(), q).allowed


def test_rbac_group_binding_and_rolebinding_namespace():
    r = lists(binding("ClusterRoleBinding", "devs-view", "view", "Group", "devs"),
              binding("RoleBinding", "ops-edit", "edit", "Group", "ops", namespace="prod"),
              roles=[("view", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]),
                     ("edit", [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]}])])
    assert authorize("alice", ("devs",), (), r).allowed
    assert authorize("alice", ("Devs",), (), r).allowed is False  # RBAC names are case-sensitive
    create = Question("create", "deployments", "apps", "prod")
    assert authorize("bob", ("ops",), (), r, create).allowed
    assert authorize("bob", ("ops",), (), r, Question("create", "deployments", "apps", "dev")).allowed is False


def test_masters_bypass_and_unknown_rbac_is_unknown():
    assert authorize("x", ("system:masters",), (), None, Question("delete", "nodes", "", None)).allowed
    assert authorize("x", ("devs",), (), None).allowed is None


def test_least_policy_and_role():
    assert least_policy(Question()) == "AmazonEKSViewPolicy"
    assert least_policy(Question("create", "deployments", "apps", "dev")) == "AmazonEKSEditPolicy"
    assert least_policy(Question("list", "nodes", "", None)) == "AmazonEKSAdminViewPolicy"
    assert least_cluster_role(Question("create", "roles", "rbac.authorization.k8s.io", "dev")) == "admin"

"""Parse an authorization question like "create deployments -n prod" into a SelfSubjectAccessReview spec.

Pure. `VERB RESOURCE[.GROUP][/SUBRESOURCE] [-n NAMESPACE | -A]`; the namespace defaults to `default`.
"""
from __future__ import annotations

import shlex

# API groups of the resources people usually ask about (the core group is "").
GROUPS = {
    "deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps",
    "jobs": "batch", "cronjobs": "batch", "ingresses": "networking.k8s.io", "networkpolicies": "networking.k8s.io",
    "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
    "clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
    "horizontalpodautoscalers": "autoscaling", "poddisruptionbudgets": "policy",
    "customresourcedefinitions": "apiextensions.k8s.io", "storageclasses": "storage.k8s.io",
}
CLUSTER_SCOPED = {"nodes", "namespaces", "persistentvolumes", "clusterroles", "clusterrolebindings",
                  "customresourcedefinitions", "storageclasses"}
VERBS = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate",
         "bind", "escalate", "*"}


class QuestionError(ValueError):
    pass


def parse_question(text: str) -> dict:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise QuestionError(f"cannot read {text!r}: {exc}") from None
    namespace: str | None = "default"
    rest = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-n", "--namespace") and i + 1 < len(words):
            namespace = words[i + 1]
            i += 2
            continue
        if word.startswith("--namespace="):
            namespace = word.split("=", 1)[1]
        elif word in ("-A", "--all-namespaces"):
            namespace = None
        else:
            rest.append(word)
        i += 1
    if len(rest) != 2:
        raise QuestionError(f'{text!r}: expected "VERB RESOURCE [-n NAMESPACE]", e.g. "create deployments -n prod"')
    verb, resource = rest[0].lower(), rest[1].lower()
    if verb not in VERBS:
        raise QuestionError(f"{text!r}: {verb!r} is not a Kubernetes verb ({', '.join(sorted(VERBS))})")
    resource, _, subresource = resource.partition("/")
    name, _, group = resource.partition(".")
    attributes = {"verb": verb, "resource": name, "group": group or GROUPS.get(name, "")}
    if subresource:
        attributes["subresource"] = subresource
    if namespace is not None and name not in CLUSTER_SCOPED:
        attributes["namespace"] = namespace
    return {"resourceAttributes": attributes}

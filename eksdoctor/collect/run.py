"""The collection plan: which collectors run, after which others, and how the bundle is finished."""
from __future__ import annotations

from . import cloud, cluster_access, cluster_api, local
from .context import Context
from .graph import Clock, Collector, run_graph

COLLECTORS = [
    Collector("env", local.collect_env, timeout=5),
    Collector("tools", local.collect_tools, timeout=20),
    Collector("aws_config", local.collect_aws_config, timeout=5),
    Collector("kubeconfig", local.collect_kubeconfig, timeout=10),
    Collector("exec_plugin", local.collect_exec, after=("kubeconfig",), timeout=local.EXEC_TIMEOUT + 5),
    Collector("exec_credentials", cloud.collect_exec_credentials, after=("kubeconfig",), timeout=30),
    Collector("identity_exec", cloud.collect_identity_exec, after=("exec_credentials",), timeout=30),
    Collector("identity_shell", cloud.collect_identity_shell, after=("kubeconfig",), timeout=30),
    Collector("cluster", cloud.collect_cluster, after=("exec_credentials",), timeout=60),
    Collector("probe", cluster_api.collect_probe, after=("exec_plugin",), timeout=20),
    Collector("version", cluster_api.collect_version, after=("probe",), timeout=20),
    Collector("aws_auth", cluster_api.collect_aws_auth, after=("probe",), timeout=20),
    Collector("access_entries", cluster_access.collect_access_entries, after=("exec_credentials",), timeout=30),
    Collector("access_entry_details", cluster_access.collect_access_entry_details,
              after=("access_entries", "identity_exec"), timeout=30),
    Collector("nodegroups", cluster_access.collect_nodegroups, after=("exec_credentials",), timeout=30),
    Collector("creator", cluster_access.collect_creator, after=("exec_credentials",), timeout=45),
    Collector("iam_principals", cluster_access.collect_iam_principals,
              after=("identity_exec", "access_entries", "nodegroups", "creator", "aws_auth"), timeout=30),
    Collector("console", cluster_access.collect_console_permissions, after=("iam_principals", "cluster"), timeout=20),
    Collector("rbac", cluster_access.collect_rbac, after=("probe",), timeout=30),
]


def collect_bundle(options) -> dict:
    clock = Clock(options.timeout)
    ctx = Context(options)
    run_graph(COLLECTORS, ctx, clock)
    from .aws import operations_made
    from .kube import requests_made
    ctx.data["collection"]["operations"] = operations_made()
    ctx.data["collection"]["kubernetes_requests"] = requests_made()
    return ctx.data


# `eksdoctor preflight`: what answers "can this identity get in and do X", first and fast.
PREFLIGHT = ("env", "kubeconfig", "exec_plugin", "exec_credentials", "identity_exec", "cluster", "probe", "rbac")


def _plan(names: set[str], done: set[str] = frozenset()) -> list[Collector]:
    """These collectors, with prerequisites that already ran dropped from their `after`."""
    from dataclasses import replace
    return [replace(c, after=tuple(a for a in c.after if a not in done)) for c in COLLECTORS if c.name in names]


def collect_preflight(options, explain) -> dict:
    """Collect PREFLIGHT (and what it needs); then, when `explain(data)` says the answer is not a
    plain yes, the rest of the plan within what is left of the deadline, so findings can say why."""
    clock = Clock(options.timeout)
    ctx = Context(options)
    needed, todo = set(), list(PREFLIGHT)
    by_name = {c.name: c for c in COLLECTORS}
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += list(by_name[name].after)
    run_graph(_plan(needed), ctx, clock)
    if explain(ctx.data) and clock.left() > 0:
        run_graph(_plan(set(by_name) - needed, done=needed), ctx, clock)
    return ctx.data

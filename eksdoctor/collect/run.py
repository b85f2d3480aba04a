"""The collection plan: which collectors run, after which others, and how the bundle is finished."""
from __future__ import annotations

import threading

from . import cloud, cluster_access, cluster_api, local, logs
from .context import Context
from .graph import Clock, Collector, run_graph

# Ready collectors start in this order, so the longest chains go first: the authenticator's Logs
# Insights query is listed first (tests/unit/test_plan.py): it starts as soon as the caller is known
# (the caller's ARNs narrow it), runs longest and overlaps the rest; then kubeconfig → exec plugin →
# probe, which the Kubernetes reads wait on.
# `after=` lists only what a collector reads from another; every other edge would serialise calls.
COLLECTORS = [
    Collector("logs", logs.collect_logs, after=("identity_exec",), timeout=logs.TIMEOUT),
    Collector("kubeconfig", local.collect_kubeconfig, timeout=10),
    Collector("exec_plugin", local.collect_exec, after=("kubeconfig",), timeout=local.EXEC_TIMEOUT + 5),
    Collector("exec_credentials", cloud.collect_exec_credentials, after=("kubeconfig",), timeout=30),
    Collector("identity_exec", cloud.collect_identity_exec, after=("exec_credentials",), timeout=30),
    Collector("probe", cluster_api.collect_probe, after=("exec_plugin",), timeout=20),
    Collector("aws_auth", cluster_api.collect_aws_auth, after=("probe",), timeout=20),
    Collector("rbac", cluster_access.collect_rbac, after=("probe",), timeout=30),
    Collector("version", cluster_api.collect_version, after=("probe",), timeout=20),
    Collector("aws_auth_admin", cluster_access.collect_aws_auth_as_admin, after=("aws_auth",), timeout=20),
    Collector("cluster", cloud.collect_cluster, after=("exec_credentials",), timeout=60),
    Collector("access_entries", cluster_access.collect_access_entries, after=("exec_credentials",), timeout=30),
    Collector("access_entry_details", cluster_access.collect_access_entry_details,
              after=("access_entries", "identity_exec"), timeout=30),
    Collector("identity_providers", cluster_access.collect_identity_providers, after=("exec_credentials",), timeout=20),
    Collector("nodegroups", cluster_access.collect_nodegroups, after=("exec_credentials",), timeout=30),
    Collector("creator", cluster_access.collect_creator, after=("exec_credentials",), timeout=45),
    Collector("iam_caller", cluster_access.collect_iam_caller, after=("identity_exec", "cluster"), timeout=30),
    Collector("console", cluster_access.collect_console_permissions, after=("iam_caller", "cluster"), timeout=20),
    Collector("iam_principals", cluster_access.collect_iam_principals,
              after=("iam_caller", "access_entries", "nodegroups", "creator", "aws_auth_admin"), timeout=30),
    Collector("token_identity", cloud.collect_token_identity, after=("exec_plugin", "exec_credentials", "cluster"), timeout=15),
    Collector("identity_shell", cloud.collect_identity_shell, after=("kubeconfig",), timeout=30),
    Collector("identity_ignored_profile", cloud.collect_identity_ignored_profile, after=("exec_credentials",), timeout=30),
    Collector("endpoint", cluster_api.collect_endpoint, after=("kubeconfig",), timeout=10),
    Collector("env", local.collect_env, timeout=5),
    Collector("aws_config", local.collect_aws_config, timeout=5),
    # `aws --version` is a second AWS CLI start (~0.4 s of CPU): run while the exec plugin's does not,
    # so kubectl's credentials, which the Kubernetes reads wait on, come sooner (bench/latency.py)
    Collector("tools", local.collect_tools, after=("exec_plugin",), timeout=20),
]

WORKERS = 16  # collectors mostly wait on the network; 16 lets every ready one start at once

# `eksdoctor whoami`: only what says who kubectl presents (no cluster reads, no ListClusters sweep)
WHOAMI = ("env", "aws_config", "kubeconfig", "exec_plugin", "exec_credentials", "identity_exec", "identity_shell",
          "token_identity")


def plan(names: tuple[str, ...] | None) -> list[Collector]:
    """The whole plan, or a sub-plan: the named collectors, ordering kept among those present."""
    if names is None:
        return COLLECTORS
    chosen = [c for c in COLLECTORS if c.name in names]
    kept = {c.name for c in chosen}
    return [Collector(c.name, c.run, tuple(a for a in c.after if a in kept), c.timeout) for c in chosen]


def workers(environ: dict) -> int:
    """How many collectors may run at once: EKSDOCTOR_WORKERS (1 = one at a time, for bench/latency.py)."""
    try:
        return max(1, int(environ.get("EKSDOCTOR_WORKERS") or WORKERS))
    except ValueError:
        return WORKERS


def warm_kubernetes_client(collectors: list[Collector]) -> None:
    """Import the Kubernetes client in the background while the exec plugin (a subprocess) runs: the
    probe, on the critical path, would otherwise pay for the import (~0.5 s) after the plugin returns."""
    def load() -> None:
        try:
            import kubernetes.client.rest  # noqa: F401
        except ImportError:
            pass  # the probe says so in the bundle
    if any(c.name == "probe" for c in collectors):
        threading.Thread(target=load, name="warm-kubernetes", daemon=True).start()


ANALYSIS_RESERVE = 2.0  # seconds of --timeout kept for analysing and printing after collection stops


def collection_budget(timeout: float) -> float:
    """--timeout bounds the whole run: collection stops early enough for the analysis to finish in it."""
    return max(0.5, timeout - min(ANALYSIS_RESERVE, timeout / 4))


def collect_bundle(options, only: tuple[str, ...] | None = None) -> dict:
    clock = Clock(collection_budget(options.timeout))
    ctx = Context(options)
    ctx.deadline = clock.deadline  # subprocesses never outlive the run's --timeout
    warm_kubernetes_client(plan(only))
    run_graph(plan(only), ctx, clock, workers=workers(ctx.environ))
    _audit(ctx)
    return ctx.data


def _audit(ctx) -> None:
    from .aws import operations_made
    from .kube import requests_made
    ctx.data["collection"]["operations"] = operations_made()
    ctx.data["collection"]["kubernetes_requests"] = requests_made()


# `eksdoctor explain --cluster`: the cluster's mapping sources (mode, entries, aws-auth, creator, IAM paths, RBAC)
EXPLAIN = ("env", "aws_config", "kubeconfig", "exec_plugin", "exec_credentials", "identity_exec", "cluster", "probe",
           "aws_auth", "aws_auth_admin", "access_entries", "access_entry_details", "creator", "iam_caller", "iam_principals", "rbac")

# `eksdoctor preflight`: what answers "can this identity get in and do X", first and fast.
PREFLIGHT = ("env", "kubeconfig", "exec_plugin", "exec_credentials", "identity_exec", "cluster", "probe", "rbac")


def collect_preflight(options, explain) -> dict:
    """Collect PREFLIGHT; then, when `explain(data)` says the answer is not a plain yes, the rest of
    the plan within what is left of the deadline, so the findings can say why."""
    clock = Clock(collection_budget(options.timeout))
    ctx = Context(options)
    ctx.deadline = clock.deadline
    warm_kubernetes_client(plan(PREFLIGHT))
    run_graph(plan(PREFLIGHT), ctx, clock, workers=workers(ctx.environ))
    if explain(ctx.data) and clock.left() > 0:
        run_graph(plan(tuple(c.name for c in COLLECTORS if c.name not in PREFLIGHT)), ctx, clock,
                  workers=workers(ctx.environ))
    _audit(ctx)
    return ctx.data

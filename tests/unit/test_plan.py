"""The collection plan: the authenticator's log query starts first, and calls that do not read each
other's results do not wait for each other (bench/latency.py measures the effect)."""
from __future__ import annotations

from eksdoctor.collect.run import COLLECTORS, WHOAMI, plan, workers


def after(name: str) -> tuple[str, ...]:
    return next(c.after for c in COLLECTORS if c.name == name)


def test_the_log_query_or_else_the_kubeconfig_starts_first():
    names = [c.name for c in COLLECTORS]
    assert names[0] == ("logs" if "logs" in names else "kubeconfig")
    assert len(names) == len(set(names))


def test_the_console_check_waits_for_the_callers_iam_read_only_not_every_principal():
    assert after("console") == ("iam_caller", "cluster")
    assert "iam_caller" in after("iam_principals")


def test_kubernetes_reads_wait_only_for_the_probe():
    for name in ("aws_auth", "rbac", "version"):
        assert after(name) == ("probe",)


def test_a_sub_plan_keeps_only_edges_between_its_collectors():
    sub = {c.name: c.after for c in plan(WHOAMI)}
    assert set(sub) == set(WHOAMI)
    assert all(a in sub for deps in sub.values() for a in deps)


def test_workers_come_from_the_environment_with_a_safe_default():
    assert workers({"EKSDOCTOR_WORKERS": "1"}) == 1
    assert workers({"EKSDOCTOR_WORKERS": "x"}) == workers({}) > 8

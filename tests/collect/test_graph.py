"""The collector graph: order, concurrency, per-collector timeouts, the deadline, crashes kept."""
from __future__ import annotations

import threading
import time

from eksdoctor.collect import Options
from eksdoctor.collect.context import Context
from eksdoctor.collect.graph import Clock, Collector, run_graph


def ctx():
    return Context(Options(), environ={})


def test_prerequisites_run_first_and_independent_collectors_overlap():
    c = ctx()
    order = []
    both_running = threading.Barrier(2, timeout=5)  # breaks unless a and b run at the same time

    def meet(name):
        def run(_):
            order.append(f"start {name}")
            both_running.wait()
            order.append(f"end {name}")
        return run
    collectors = [Collector("a", meet("a")), Collector("b", meet("b")),
                  Collector("c", lambda _: order.append("start c"), after=("a", "b"))]
    run_graph(collectors, c, Clock(10))
    assert c.data["collection"]["errors"] == []
    assert order.index("start c") > max(order.index("end a"), order.index("end b"))


def test_a_hung_collector_is_abandoned_and_its_late_records_dropped():
    c = ctx()
    release = threading.Event()

    def hangs(context):
        release.wait(5)
        context.record("aws", "eks:DescribeCluster", {"as": "exec", "request": {}, "response": {}})
    run_graph([Collector("hangs", hangs, timeout=0.2), Collector("fine", lambda context: context.set_local("env", {}))], c, Clock(10))
    release.set()
    time.sleep(0.1)
    assert c.data["aws"] == {}
    assert c.data["local"]["env"] == {}
    assert c.data["collection"]["errors"][0]["code"] == "Timeout"


def test_the_deadline_stops_everything_and_says_what_did_not_start():
    c = ctx()
    run_graph([Collector("slow", lambda _: time.sleep(2), timeout=30),
               Collector("later", lambda _: None, after=("slow",))], c, Clock(0.3))
    messages = [e["message"] for e in c.data["collection"]["errors"]]
    assert any("slow was abandoned" in m for m in messages)
    assert any("later did not start" in m for m in messages)


def test_a_crashing_collector_becomes_an_error_record():
    c = ctx()

    def boom(_):
        raise RuntimeError("secret k8s-aws-v1.abcdef should be scrubbed")
    run_graph([Collector("boom", boom)], c, Clock(5))
    error = c.data["collection"]["errors"][0]
    assert error["code"] == "CollectorError" and "k8s-aws-v1.REDACTED" in error["message"]


def test_ready_collectors_start_in_plan_order_and_one_worker_runs_them_one_at_a_time():
    c = ctx()
    started, running, most = [], [], []

    def note(name):
        def run(_):
            started.append(name)
            running.append(name)
            most.append(len(running))
            time.sleep(0.02)
            running.remove(name)
        return run
    names = ["logs", "kubeconfig", "env", "aws_config"]
    run_graph([Collector(n, note(n)) for n in names], c, Clock(10), workers=1)
    assert started == names
    assert max(most) == 1


def test_fan_out_overlaps_calls_keeps_their_order_and_the_collectors_name():
    from eksdoctor.collect.graph import current_collector, fan_out
    c = ctx()
    seen = {}
    all_in = threading.Barrier(3, timeout=5)  # breaks unless the three calls run at the same time

    def collector(_):
        def call(item):
            all_in.wait()
            time.sleep(0.01 * (3 - item))  # the first item finishes last
            return (item, current_collector())
        seen["results"] = fan_out(call, [1, 2, 3])
    run_graph([Collector("rbac", collector)], c, Clock(10))
    assert c.data["collection"]["errors"] == []
    assert seen["results"] == [(1, "rbac"), (2, "rbac"), (3, "rbac")]


def test_fan_out_raises_a_calls_exception_in_the_collector():
    from eksdoctor.collect.graph import fan_out
    c = ctx()

    def collector(_):
        fan_out(lambda item: 1 / item, [1, 0, 2])
    run_graph([Collector("boom", collector)], c, Clock(10))
    assert c.data["collection"]["errors"][0]["code"] == "CollectorError"
    assert "ZeroDivisionError" in c.data["collection"]["errors"][0]["message"]


def test_requests_name_the_collector_that_sends_them():
    from eksdoctor.collect.graph import user_agent
    c = ctx()
    seen = {}

    def collector(_):
        seen["inside"] = user_agent("eksdoctor/1")
        seen["again"] = user_agent(seen["inside"])  # a retried request is not tagged twice
    run_graph([Collector("iam_caller", collector)], c, Clock(10))
    assert seen == {"inside": "eksdoctor/1 collector/iam_caller", "again": "eksdoctor/1 collector/iam_caller"}
    assert user_agent("eksdoctor/1") == "eksdoctor/1"

"""Run collectors as a dependency graph, concurrently, each with a timeout, under one deadline.

A collector is a function of the Context that records evidence. A failure or a timeout becomes a
`collection.errors` entry, never an exception that ends the run. Collectors whose prerequisites
failed still run: they see the missing facts and record why they could not do their part.
"""
from __future__ import annotations

import queue
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from ..redact import redact_text


@dataclass(frozen=True)
class Collector:
    name: str
    run: Callable  # run(ctx) -> None
    after: tuple[str, ...] = ()
    timeout: float = 30.0


class Clock:
    """Monotonic time with a deadline for the whole run."""

    def __init__(self, budget: float):
        self.start = time.monotonic()
        self.deadline = self.start + budget

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def run_graph(collectors: list[Collector], ctx, clock: Clock, workers: int = 8) -> None:
    """Start each collector once its prerequisites are done, in plan order (the first listed starts
    first); stop waiting at its timeout or the deadline. Workers are daemon threads, so an abandoned
    call never holds the process open."""
    by_name = {c.name: c for c in collectors}
    for c in collectors:
        unknown = [a for a in c.after if a not in by_name]
        if unknown:
            raise ValueError(f"collector {c.name} runs after unknown collector(s) {unknown}")
    pending = dict(by_name)
    done: set[str] = set()
    running: dict[str, float] = {}  # name -> its own time limit
    finished: queue.Queue[str] = queue.Queue()
    while pending or running:
        for name in list(pending):
            if len(running) >= workers:
                break
            collector = pending[name]
            if all(a in done for a in collector.after):
                del pending[name]
                ctx.timing_start(name, clock.elapsed())
                running[name] = time.monotonic() + collector.timeout
                threading.Thread(target=_guarded, args=(collector, ctx, finished), name=f"collect-{name}", daemon=True).start()
        if not running:
            break
        soonest = min(min(running.values()), clock.deadline)
        try:
            name = finished.get(timeout=max(0.0, soonest - time.monotonic()))
            if name in running:
                del running[name]
                done.add(name)
                ctx.timing_end(name, clock.elapsed())
        except queue.Empty:
            pass
        now = time.monotonic()
        for name, limit in list(running.items()):
            if now >= limit or now >= clock.deadline:
                del running[name]
                done.add(name)
                ctx.abandon(name)
                why = "the run's --timeout was reached" if now >= clock.deadline else f"it took longer than {by_name[name].timeout:g}s"
                ctx.collection_error(name, "Timeout", f"{name} was abandoned: {why}")
        if clock.left() <= 0:
            for name in sorted(pending):
                ctx.collection_error(name, "Timeout", f"{name} did not start: the run's --timeout was reached")
            pending.clear()


def abandoned_threads() -> list[threading.Thread]:
    """Collector threads still running after their run: abandoned at a timeout (see run_graph)."""
    return [t for t in threading.enumerate() if t.name.startswith("collect-") and t.is_alive()]


_local = threading.local()


def current_collector() -> str | None:
    return getattr(_local, "name", None)


def user_agent(base: str) -> str:
    """A User-Agent naming the collector that sends the request (CloudTrail's userAgent shows it;
    bench/latency.py attributes the lab's requests by it)."""
    name = current_collector()
    return f"{base} collector/{name}" if name and " collector/" not in base else base


def fan_out(fn: Callable, items, limit: int = 8) -> list:
    """fn(item) for every item at once, at most `limit` at a time; the results in the items' order.
    The threads carry the collector's name (an abandoned collector's late records are dropped) and are
    daemons, like the collectors'; an exception in one is raised here once all are done."""
    items = list(items)
    if len(items) <= 1:
        return [fn(item) for item in items]
    name, results, lock = current_collector(), [None] * len(items), threading.Lock()
    todo = iter(range(len(items)))
    failures: list[BaseException] = []

    def work() -> None:
        _local.name = name
        while True:
            with lock:
                index = next(todo, None)
            if index is None:
                return
            try:
                results[index] = fn(items[index])
            except Exception as exc:  # noqa: BLE001 — raised in the collector's thread below
                failures.append(exc)
    threads = [threading.Thread(target=work, name=f"collect-{name}-{i}", daemon=True)
               for i in range(min(limit, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def _guarded(collector: Collector, ctx, finished: queue.Queue) -> None:
    _local.name = collector.name
    try:
        collector.run(ctx)
    except Exception as exc:  # a collector bug must not end the run
        detail = redact_text(f"{type(exc).__name__}: {exc}")
        ctx.collection_error(collector.name, "CollectorError", detail, trace=redact_text(traceback.format_exc()))
    finally:
        _local.name = None
        finished.put(collector.name)

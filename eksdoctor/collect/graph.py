"""Run collectors as a dependency graph, concurrently, each with a timeout, under one deadline.

A collector is a function of the Context that records evidence. A failure or a timeout becomes a
`collection.errors` entry, never an exception that ends the run. Collectors whose prerequisites
failed still run: they see the missing facts and record why they could not do their part.
"""
from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
    by_name = {c.name: c for c in collectors}
    for c in collectors:
        unknown = [a for a in c.after if a not in by_name]
        if unknown:
            raise ValueError(f"collector {c.name} runs after unknown collector(s) {unknown}")
    pending = dict(by_name)
    done: set[str] = set()
    running: dict[Future, tuple[Collector, float]] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect")
    try:
        while pending or running:
            for name in sorted(pending):
                collector = pending[name]
                if all(a in done for a in collector.after):
                    del pending[name]
                    ctx.timing_start(name, clock.elapsed())
                    running[pool.submit(_guarded, collector, ctx)] = (collector, time.monotonic() + collector.timeout)
            if not running:
                break
            soonest = min(min(limit for _, limit in running.values()), clock.deadline)
            finished, _ = wait(list(running), timeout=max(0.0, soonest - time.monotonic()), return_when=FIRST_COMPLETED)
            now = time.monotonic()
            for future in list(running):
                collector, limit = running[future]
                if future in finished:
                    del running[future]
                    done.add(collector.name)
                    ctx.timing_end(collector.name, clock.elapsed())
                elif now >= limit or now >= clock.deadline:
                    del running[future]
                    done.add(collector.name)
                    ctx.abandon(collector.name)
                    why = "the run's --timeout was reached" if now >= clock.deadline else f"it took longer than {collector.timeout:g}s"
                    ctx.collection_error(collector.name, "Timeout", f"{collector.name} was abandoned: {why}")
            if clock.left() <= 0:
                for name in sorted(pending):
                    ctx.collection_error(name, "Timeout", f"{name} did not start: the run's --timeout was reached")
                pending.clear()
                for future, (collector, _) in list(running.items()):
                    ctx.abandon(collector.name)
                    ctx.collection_error(collector.name, "Timeout", f"{collector.name} was abandoned: the run's --timeout was reached")
                running.clear()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_local = threading.local()


def current_collector() -> str | None:
    return getattr(_local, "name", None)


def _guarded(collector: Collector, ctx) -> None:
    _local.name = collector.name
    try:
        collector.run(ctx)
    except Exception as exc:  # a collector bug must not end the run
        detail = redact_text(f"{type(exc).__name__}: {exc}")
        ctx.collection_error(collector.name, "CollectorError", detail, trace=redact_text(traceback.format_exc()))
    finally:
        _local.name = None

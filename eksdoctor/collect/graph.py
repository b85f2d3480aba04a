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
    """Start each collector once its prerequisites are done; stop waiting at its timeout or the
    deadline. Workers are daemon threads, so an abandoned call never holds the process open."""
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
        for name in sorted(pending):
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

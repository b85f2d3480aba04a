"""What collectors share while they run: options, a snapshot of the environment, facts, and the
bundle under construction. Thread-safe; every value recorded is redacted first.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

from .. import __version__
from ..bundle import KIND, VERSION
from ..redact import redact, redact_text
from .graph import current_collector


class Context:
    def __init__(self, options, environ: dict | None = None, now: datetime | None = None):
        self.options = options
        self.environ = dict(os.environ if environ is None else environ)
        self._lock = threading.Lock()
        self._facts: dict = {}
        self._abandoned: set[str] = set()
        self._once: dict[str, threading.Lock] = {}
        self._once_done: set[str] = set()
        moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        self.data: dict = {
            "kind": KIND,
            "version": VERSION,
            "collected_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "collector": {"name": "eksdoctor", "version": __version__},
            "target": {"cluster": options.cluster, "region": options.region, "account": None},
            "redaction": {"secrets": True, "anonymized": False},
            "local": {},
            "aws": {},
            "kubernetes": {},
            "collection": {"errors": [], "timings": {}},
        }

    # facts shared between collectors (never written to the bundle)
    def fact(self, name: str, default=None):
        with self._lock:
            return self._facts.get(name, default)

    def set_fact(self, name: str, value) -> None:
        with self._lock:
            self._facts[name] = value

    @contextmanager
    def once(self, name: str):
        """`with ctx.once(name) as first:` — exactly one caller gets first=True; the others wait for it."""
        with self._lock:
            lock = self._once.setdefault(name, threading.Lock())
            first = name not in self._once_done
            self._once_done.add(name)
        with lock:
            yield first

    # evidence
    def _live(self) -> bool:
        return current_collector() not in self._abandoned

    def record(self, source: str, key: str, call: dict) -> None:
        if not self._live():
            return
        clean = redact(call)
        with self._lock:
            self.data[source].setdefault(key, []).append(clean)

    def set_local(self, key: str, value) -> None:
        if not self._live():
            return
        clean = redact(value)
        with self._lock:
            self.data["local"][key] = clean

    def set_target(self, **values) -> None:
        with self._lock:
            for key, value in values.items():
                if value and not self.data["target"].get(key):
                    self.data["target"][key] = value

    def abandon(self, name: str) -> None:
        with self._lock:
            self._abandoned.add(name)

    def collection_error(self, collector: str, code: str, message: str, trace: str | None = None) -> None:
        entry = {"collector": collector, "code": code, "message": redact_text(message)}
        if trace and self.options.debug:
            entry["traceback"] = redact_text(trace)
        with self._lock:
            self.data["collection"]["errors"].append(entry)

    def timing_start(self, name: str, at: float) -> None:
        with self._lock:
            self.data["collection"]["timings"][name] = {"start": round(at, 3)}

    def timing_end(self, name: str, at: float) -> None:
        with self._lock:
            self.data["collection"]["timings"].setdefault(name, {})["end"] = round(at, 3)

"""The state file of a migration: what was planned, which steps are done, backups taken, what verified.

Written atomically after every step (a crash leaves the last consistent state), so `migrate` resumes;
the live cluster is re-read on every run anyway, so a step recorded late is found in place, not redone.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ..bundle import write_atomic
from ..errors import UserError

KIND = "eksdoctor-migration"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Journal:
    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data

    @classmethod
    def open(cls, path: Path, cluster: str, region: str, account: str) -> "Journal":
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UserError(f"{path}: not a readable migration state file ({exc}); move it aside to start over") from None
            if not isinstance(data, dict) or data.get("kind") != KIND:
                raise UserError(f"{path}: not an eksdoctor migration state file")
            if (data.get("cluster"), data.get("region"), data.get("account")) != (cluster, region, account):
                raise UserError(f"{path}: the state of cluster {data.get('cluster')} ({data.get('region')}, "
                                f"{data.get('account')}), not of {cluster}; give another --state file")
            return cls(path, data)
        return cls(path, {"kind": KIND, "version": 1, "cluster": cluster, "region": region, "account": account,
                          "started_at": _now(), "updated_at": _now(), "phase": "planned", "done": [], "backups": [],
                          "verified": [], "runs": 0})

    @property
    def resumed(self) -> bool:
        return bool(self.data.get("runs"))

    def done(self, key: str) -> bool:
        return any(d.get("key") == key for d in self.data["done"])

    def begin(self, rows: list[dict]) -> None:
        self.data["runs"] = int(self.data.get("runs") or 0) + 1
        self.data.setdefault("rows", rows)
        self.save()

    def record(self, key: str, result: str) -> None:
        if not self.done(key):
            self.data["done"].append({"key": key, "result": result, "at": _now()})
        self.save()

    def set(self, **values) -> None:
        self.data.update(values)
        self.save()

    def save(self) -> None:
        self.data["updated_at"] = _now()
        write_atomic(self.path, (json.dumps(self.data, indent=2, sort_keys=True) + "\n").encode("utf-8"))

"""Write kube-system/aws-auth safely: back up, write with the object's resourceVersion (a concurrent
edit is a conflict, never overwritten), read back and verify.

Planning and linting belong to the caller; this module only moves bytes safely.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from ..bundle import write_atomic
from ..collect.kube import KubeClient

PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"


class WriteError(Exception):
    """The write did not happen (or did not verify); the message says what to do."""


class ConflictError(WriteError):
    """Someone else changed aws-auth since we read it."""


@dataclass(frozen=True)
class ConfigMap:
    obj: dict

    @property
    def data(self) -> dict:
        return dict(self.obj.get("data") or {})

    @property
    def resource_version(self) -> str | None:
        return (self.obj.get("metadata") or {}).get("resourceVersion")

    def with_data(self, data: dict) -> dict:
        new = copy.deepcopy(self.obj)
        new["data"] = data
        return new


def read(client: KubeClient) -> ConfigMap | None:
    """The current aws-auth, or None when it does not exist."""
    result = client.request("GET", PATH)
    if "error" in result:
        raise WriteError(f"cannot read aws-auth: {result['error']['message']}")
    if result["status"] == 404:
        return None
    if result["status"] != 200 or not isinstance(result["body"], dict):
        raise WriteError(f"cannot read aws-auth: HTTP {result['status']} {_message(result)}")
    return ConfigMap(result["body"])


def backup(current: ConfigMap, directory: Path, now: datetime | None = None) -> Path:
    """Save the ConfigMap as a manifest `kubectl replace -f` restores (no resourceVersion, uid …)."""
    moment = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    manifest = copy.deepcopy(current.obj)
    metadata = manifest.get("metadata") or {}
    for volatile in ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation", "selfLink"):
        metadata.pop(volatile, None)
    manifest["metadata"] = metadata
    directory.mkdir(parents=True, exist_ok=True)
    # the resourceVersion in the name: two writers backing up at once save the same object under one name
    path = directory / f"aws-auth-backup-{moment}-rv{current.resource_version or 0}.yaml"
    write_atomic(path, yaml.safe_dump(manifest, sort_keys=False).encode("utf-8"))
    return path


def restore_command(path: Path) -> str:
    import shlex
    return f"kubectl replace -f {shlex.quote(str(path))}"


def write(client: KubeClient, current: ConfigMap, data: dict) -> ConfigMap:
    """PUT with current's resourceVersion; 409 means someone else edited it in between."""
    result = client.request("PUT", PATH, current.with_data(data))
    if "error" in result:
        raise WriteError(f"aws-auth was not written: {result['error']['message']}")
    if result["status"] == 409:
        raise ConflictError("aws-auth changed since it was read (someone else edited it); nothing was written")
    if result["status"] not in (200, 201):
        raise WriteError(f"aws-auth was not written: HTTP {result['status']} {_message(result)}")
    return ConfigMap(result["body"])


def verify(client: KubeClient, data: dict, version: str | None = None, still_applied=None) -> ConfigMap:
    """Read back: the version written must hold exactly `data`; a newer version (another writer came right
    after) must still hold the change (`still_applied(data)`)."""
    now = read(client)
    if now is not None and version and now.resource_version != version:
        if still_applied is not None and still_applied(now.data):
            return now
        raise WriteError("aws-auth changed again right after this write and no longer holds the change; check it with: "
                         "kubectl get configmap aws-auth -n kube-system -o yaml")
    if now is None or now.data != data:
        raise WriteError("aws-auth read back differently from what was written; check it with: "
                         "kubectl get configmap aws-auth -n kube-system -o yaml")
    return now


def _message(result: dict) -> str:
    body = result.get("body")
    return str(body.get("message", "")) if isinstance(body, dict) else ""

"""Load kubeconfig exactly as kubectl resolves it, and pick the context's cluster and user.

Files: --kubeconfig, else every file in KUBECONFIG (missing ones ignored), else ~/.kube/config.
Merging: for clusters, contexts and users the first file that defines a name wins; the first
file that sets current-context wins. A broken file is an error entry, never an exception.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024


@dataclass
class Kubeconfig:
    files: list[str] = field(default_factory=list)
    current_context: str | None = None
    merged: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def kubeconfig_files(explicit: str | None, environ: dict) -> tuple[list[str], list[str]]:
    if explicit:
        return [explicit], []
    value = environ.get("KUBECONFIG")
    if value:
        paths = [p for p in value.split(os.pathsep) if p]
        return [p for p in paths if Path(p).is_file()], [p for p in paths if not Path(p).is_file()]
    home = environ.get("HOME") or str(Path.home())
    default = str(Path(home) / ".kube" / "config")
    return ([default] if Path(default).is_file() else []), []


def _read(path: str) -> tuple[dict | None, str | None]:
    try:
        size = Path(path).stat().st_size
        if size > MAX_KUBECONFIG_BYTES:
            return None, f"{path}: {size} bytes is over the {MAX_KUBECONFIG_BYTES} byte limit"
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{path}: no such file"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot read: {exc}"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return None, f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"
    if doc is None:
        return {}, None
    if not isinstance(doc, dict):
        return None, f"{path}: a kubeconfig is a YAML mapping, this is a {type(doc).__name__}"
    return doc, None


def load(explicit: str | None, environ: dict) -> Kubeconfig:
    files, missing = kubeconfig_files(explicit, environ)
    result = Kubeconfig(files=files)
    result.errors += [f"{p}: listed in KUBECONFIG but does not exist (ignored, as kubectl does)" for p in missing]
    merged: dict = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    seen: dict[str, set] = {"clusters": set(), "contexts": set(), "users": set()}
    for path in files:
        doc, error = _read(path)
        if error:
            result.errors.append(error)
            continue
        if result.current_context is None and doc.get("current-context"):
            result.current_context = str(doc["current-context"])
        for section in ("clusters", "contexts", "users"):
            entries = doc.get(section) or []
            if not isinstance(entries, list):
                result.errors.append(f"{path}: {section} is not a list")
                continue
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    result.errors.append(f"{path}: an entry of {section} has no name")
                    continue
                if entry["name"] not in seen[section]:
                    seen[section].add(entry["name"])
                    merged[section].append(entry)
    merged["current-context"] = result.current_context or ""
    result.merged = merged
    return result


@dataclass(frozen=True)
class Selected:
    """The context kubectl would use, with its cluster and user entries (None when missing)."""

    context_name: str | None
    context: dict | None
    cluster_name: str | None
    cluster: dict | None
    user_name: str | None
    user: dict | None
    problem: str | None = None


def _named(entries: list, name: str | None, inner: str) -> dict | None:
    for entry in entries:
        if entry.get("name") == name:
            value = entry.get(inner)
            return value if isinstance(value, dict) else {}
    return None


def select(config: Kubeconfig, context: str | None) -> Selected:
    name = context or config.current_context
    if not name:
        return Selected(None, None, None, None, None, None, "no context: current-context is not set and --context was not given")
    ctx = _named(config.merged["contexts"], name, "context")
    if ctx is None:
        return Selected(name, None, None, None, None, None, f'context "{name}" does not exist in the kubeconfig')
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    cluster = _named(config.merged["clusters"], cluster_name, "cluster")
    user = _named(config.merged["users"], user_name, "user")
    problem = None
    if cluster is None:
        problem = f'context "{name}" names cluster "{cluster_name}", which is not in the kubeconfig'
    elif user is None:
        problem = f'context "{name}" names user "{user_name}", which is not in the kubeconfig'
    return Selected(name, ctx, cluster_name, cluster, user_name, user, problem)

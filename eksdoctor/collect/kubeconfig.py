"""Load kubeconfig exactly as kubectl resolves it, and pick the context's cluster and user.

Files: --kubeconfig, else every file in KUBECONFIG (missing ones ignored), else ~/.kube/config.
Merging (client-go): inside one file a later entry of the same name wins; across files the first
file that defines a name wins, and the first file that sets current-context wins. Relative file
paths (and an exec command containing a path separator) are resolved against the file's folder.
A broken file is an error entry (kubectl refuses to run with it), never an exception.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..model.kubeconfig import Selected, select_context

MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024
SECTIONS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass
class Kubeconfig:
    files: list[str] = field(default_factory=list)
    current_context: str | None = None
    current_context_file: str | None = None
    merged: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    fatal: str | None = None  # what kubectl prints when it refuses to load the files at all
    origins: dict = field(default_factory=dict)  # "users/NAME" → file that defined the winning entry
    shadowed: list[dict] = field(default_factory=list)  # entries a later file defined differently


def kubeconfig_files(explicit: str | None, environ: dict) -> tuple[list[str], list[str]]:
    if explicit:
        return [explicit], []
    value = environ.get("KUBECONFIG")
    if value:
        paths = list(dict.fromkeys(p for p in value.split(os.pathsep) if p))
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
    except IsADirectoryError:
        return None, f"{path}: is a directory"
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


def read_problem(path: str) -> str | None:
    """Why kubectl could not load this file at all (missing, unreadable, not YAML, not a mapping), or None."""
    return _read(path)[1]


def _absolute(value, base: Path):
    if isinstance(value, str) and value and not os.path.isabs(value):
        return str(base / value)
    return value


def resolve_paths(section: str, inner: dict, base: Path) -> dict:
    """client-go's ResolveLocalPaths: relative file references are relative to the kubeconfig's folder."""
    inner = dict(inner)
    for key in _CLUSTER_PATHS if section == "clusters" else _USER_PATHS if section == "users" else ():
        if key in inner:
            inner[key] = _absolute(inner[key], base)
    exec_section = inner.get("exec") if section == "users" else None
    if isinstance(exec_section, dict) and os.sep in str(exec_section.get("command") or ""):
        inner["exec"] = {**exec_section, "command": _absolute(str(exec_section["command"]), base)}
    return inner


def _go_type(value) -> str:
    return "bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else type(value).__name__


def strict_problem(doc: dict) -> str | None:
    """What client-go's strict decoding refuses in exec entries: `args: [--cluster-name, 1234]` is a number, not a string."""
    for entry in doc.get("users") or []:
        exec_section = (entry.get("user") or {}).get("exec") if isinstance(entry, dict) and isinstance(entry.get("user"), dict) else None
        if not isinstance(exec_section, dict):
            continue
        for arg in exec_section.get("args") or []:
            if not isinstance(arg, str):
                return f"json: cannot unmarshal {_go_type(arg)} into Go struct field ExecConfig.users.user.exec.args of type string"
        for item in exec_section.get("env") or []:
            if isinstance(item, dict) and not isinstance(item.get("value"), (str, type(None))):
                return f"json: cannot unmarshal {_go_type(item['value'])} into Go struct field ExecEnvVar.users.user.exec.env.value of type string"
    return None


def _entries(path: str, doc: dict, section: str, inner_key: str, errors: list[str]) -> dict[str, dict]:
    """One file's entries by name; inside a file a later entry of the same name wins (client-go)."""
    entries = doc.get(section) or []
    if not isinstance(entries, list):
        errors.append(f"{path}: {section} is not a list")
        return {}
    base = Path(path).resolve().parent
    found: dict[str, dict] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            errors.append(f"{path}: an entry of {section} has no name")
            continue
        inner = entry.get(inner_key)
        if inner is not None and not isinstance(inner, dict):
            errors.append(f"{path}: {section} entry {entry['name']!r}: {inner_key} is not a mapping")
            continue
        if entry["name"] in found:
            errors.append(f"{path}: {section} entry {entry['name']!r} appears twice; the later one is used")
        found[entry["name"]] = {**entry, inner_key: resolve_paths(section, inner or {}, base)}
    return found


def load(explicit: str | None, environ: dict) -> Kubeconfig:
    files, missing = kubeconfig_files(explicit, environ)
    result = Kubeconfig(files=files)
    result.errors += [f"{p}: listed in KUBECONFIG but does not exist (ignored, as kubectl does)" for p in missing]
    merged: dict = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    for path in files:
        doc, error = _read(path)
        if error is None and strict_problem(doc):
            error = f"{path}: {strict_problem(doc)}"
        if error:
            result.errors.append(error)
            result.fatal = result.fatal or f"error loading config file \"{path}\": {error.split(': ', 1)[-1]}"
            continue
        if result.current_context is None and doc.get("current-context"):
            result.current_context = str(doc["current-context"])
            result.current_context_file = path
        for section, inner_key in SECTIONS:
            for name, entry in _entries(path, doc, section, inner_key, result.errors).items():
                key = f"{section}/{name}"
                if key not in result.origins:
                    result.origins[key] = path
                    merged[section].append(entry)
                else:
                    winner = next(e for e in merged[section] if e["name"] == name)
                    if winner != entry:
                        result.shadowed.append({"section": section, "name": name, "file": path,
                                                "used_from": result.origins[key]})
    merged["current-context"] = result.current_context or ""
    result.merged = merged
    return result


def select(config: Kubeconfig, context: str | None) -> Selected:
    """The context kubectl would use; a file kubectl refuses to load leaves nothing selected."""
    if config.fatal:
        return Selected(context or config.current_context, None, None, None, None, None, config.fatal)
    if not (context or config.current_context) and not config.files:
        return Selected(None, None, None, None, None, None, "no kubeconfig file: kubectl falls back to http://localhost:8080")
    return select_context(config.merged, context)

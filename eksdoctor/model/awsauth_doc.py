"""Read aws-auth from a file as people keep it: a ConfigMap manifest (YAML or JSON, possibly among other
documents), `kubectl get configmap aws-auth -o yaml|json` output, or bare mapRoles/mapUsers YAML.

Pure: text in, the ConfigMap's `data` strings out (exactly what the authenticator would be given),
plus where each section starts in the file so errors can name file lines. Raises AwsAuthDocError
only when the text is not any of these forms.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field

import yaml

from . import yamlread
from .awsauth import SECTIONS


class AwsAuthDocError(ValueError):
    """The file is not an aws-auth ConfigMap in any form eksdoctor reads (one line for the user)."""


@dataclass(frozen=True)
class DocProblem:
    line: int | None  # 1-based file line
    message: str
    severity: str = "error"
    rule: str = "aws_auth_manifest"  # lint's rule id (model/lint.py RULES)


@dataclass(frozen=True)
class AwsAuthDoc:
    data: dict  # section → the string the ConfigMap holds
    form: str  # manifest, bare-sections, bare-list
    starts: dict = field(default_factory=dict)  # section → file line of the section text's line 1 (None: not mappable)
    problems: tuple[DocProblem, ...] = ()

    def file_line(self, section: str, line: int | None) -> int | None:
        start = self.starts.get(section)
        return None if start is None or line is None else start + line - 1


def _looks_like_manifest(text: str) -> bool:
    return "ConfigMap" in text and "kind" in text


def read(text: str) -> AwsAuthDoc:
    if not text.strip():
        raise AwsAuthDocError("the file is empty")
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        try:
            return _from_json(json.loads(text))
        except json.JSONDecodeError:
            pass  # YAML flow style, or broken JSON: let the YAML reader say where
    try:
        nodes = [n for n in yamlread.compose_all(text) if n is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if _looks_like_manifest(text):
            return AwsAuthDoc({}, "manifest", {}, (DocProblem(line, f"the manifest is not valid YAML ({problem}): "
                                                             "kubectl would reject the whole ConfigMap", rule="aws_auth_yaml_broken"),))
        section = "mapUsers" if "userarn" in text.lower() and "rolearn" not in text.lower() else "mapRoles"
        return AwsAuthDoc({section: text}, "bare-list", {section: 1})
    for node in nodes:
        found = _from_node(node, text)
        if found is not None:
            return found
    raise AwsAuthDocError("no aws-auth ConfigMap, mapRoles/mapUsers/mapAccounts, or list of role/user mappings found")


def _scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _get(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if _scalar(k) == key:
                return v
    return None


def _section_text(node, text: str) -> tuple[str, int]:
    """A YAML sequence written inline in the file, as the text the ConfigMap would hold."""
    lines = text.splitlines(keepends=True)
    first, last = node.start_mark.line, node.end_mark.line
    if node.end_mark.column == 0:
        last -= 1
    return textwrap.dedent("".join(lines[first:last + 1])), first + 1


def _from_node(node, text: str) -> AwsAuthDoc | None:
    kind = _scalar(_get(node, "kind"))
    if kind == "List":
        for item in (_get(node, "items").value if isinstance(_get(node, "items"), yaml.SequenceNode) else []):
            if _scalar(_get(_get(item, "metadata"), "name")) == "aws-auth":
                return _from_node(item, text)
        return None
    if isinstance(node, yaml.SequenceNode):
        return _bare_list(node, text)
    if not isinstance(node, yaml.MappingNode):
        return None
    problems: list[DocProblem] = []
    data_node = _get(node, "data")
    form = "manifest"
    if data_node is None:
        keys = [_scalar(k) or "" for k, _ in node.value]
        if not any(k.lower() in {s.lower() for s in SECTIONS} for k in keys):
            return None
        data_node, form = node, "bare-sections"
    elif kind not in (None, "ConfigMap"):
        return None
    name = _scalar(_get(_get(node, "metadata"), "name"))
    if form == "manifest" and name not in (None, "aws-auth"):
        problems.append(DocProblem(node.start_mark.line + 1, f"the ConfigMap is named {name!r}: the authenticator only reads kube-system/aws-auth", "warning"))
    namespace = _scalar(_get(_get(node, "metadata"), "namespace"))
    if form == "manifest" and namespace not in (None, "kube-system"):
        problems.append(DocProblem(node.start_mark.line + 1, f"the ConfigMap is in namespace {namespace!r}, not kube-system", "warning"))
    data: dict = {}
    starts: dict = {}
    if not isinstance(data_node, yaml.MappingNode):
        return AwsAuthDoc({}, form, {}, tuple(problems))
    for k, v in data_node.value:
        key = _scalar(k) or ""
        line = k.start_mark.line + 1
        if key not in SECTIONS:
            if key.lower() in {s.lower() for s in SECTIONS}:
                right = next(s for s in SECTIONS if s.lower() == key.lower())
                problems.append(DocProblem(line, f"key {key!r} is ignored: top-level keys are case-sensitive ({right})"))
            continue
        if isinstance(v, yaml.ScalarNode):
            data[key] = v.value
            starts[key] = v.start_mark.line + 2 if v.style in ("|", ">") else (v.start_mark.line + 1 if v.style is None else None)
        elif form == "manifest":
            problems.append(DocProblem(line, f"{key} is written as YAML, not as a string: a ConfigMap's data values must be "
                                             f"strings (write `{key}: |` and indent the list); Kubernetes rejects the object"))
        else:
            data[key], starts[key] = _section_text(v, text)
    return AwsAuthDoc(data, form, starts, tuple(problems))


def _bare_list(node, text: str) -> AwsAuthDoc:
    items = node.value
    section = "mapRoles"
    if items and all(isinstance(i, yaml.ScalarNode) for i in items):
        section = "mapAccounts"
    elif any(_get(i, "userarn") is not None or _get(i, "userARN") is not None for i in items) and \
            not any(_get(i, "rolearn") is not None for i in items):
        section = "mapUsers"
    body, start = _section_text(node, text)
    return AwsAuthDoc({section: body}, "bare-list", {section: start})


def _from_json(doc) -> AwsAuthDoc:
    """JSON: the strings are exact, but their lines are inside one JSON string (not mappable)."""
    if isinstance(doc, list):
        return AwsAuthDoc({"mapRoles": json.dumps(doc)}, "bare-list", {"mapRoles": None})
    if not isinstance(doc, dict):
        raise AwsAuthDocError("expected a JSON object (a ConfigMap)")
    if doc.get("kind") == "List":
        for item in doc.get("items") or []:
            if isinstance(item, dict) and (item.get("metadata") or {}).get("name") == "aws-auth":
                return _from_json(item)
        raise AwsAuthDocError("the List holds no ConfigMap named aws-auth")
    data = doc.get("data") if isinstance(doc.get("data"), dict) else None
    form = "manifest"
    if data is None:
        if not any(k.lower() in {s.lower() for s in SECTIONS} for k in doc):
            raise AwsAuthDocError("the JSON has no data.mapRoles, data.mapUsers or data.mapAccounts")
        data, form = doc, "bare-sections"
    problems = []
    out = {}
    for key, value in data.items():
        if key not in SECTIONS:
            if key.lower() in {s.lower() for s in SECTIONS}:
                problems.append(DocProblem(None, f"key {key!r} is ignored: top-level keys are case-sensitive"))
            continue
        if isinstance(value, str):
            out[key] = value
        elif form == "bare-sections":
            out[key] = json.dumps(value)
        else:
            problems.append(DocProblem(None, f"{key} is not a string: a ConfigMap's data values must be strings"))
    return AwsAuthDoc(out, form, {k: None for k in out}, tuple(problems))

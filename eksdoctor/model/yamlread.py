"""YAML reading for aws-auth, fast and with exactly PyYAML's results.

A mapRoles of 10,000 rows takes ~2 s with PyYAML's pure-Python parser. Most aws-auth texts are a plain
list of `key: value` rows whose values are one-line scalars or lists of them: `simple_rows` reads that
shape line by line, accepts only lines whose meaning is certain (every plain scalar goes through
PyYAML's own resolver, so `yes`, `1:20` or `~` are never taken for strings) and declines anything
else, which PyYAML then reads as before. `compose_all` reads a ConfigMap manifest without scanning its
big literal blocks character by character. libyaml's CSafeLoader is not used: it accepts texts PyYAML
refuses (tabs, `|#` headers, tags) and gives other styles and end marks (tests/unit/test_yamlread.py).
"""
from __future__ import annotations

import re

import yaml

_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
# The first characters PyYAML's implicit tags (bool, int, float, null, timestamp, …) are looked up by:
# a plain scalar starting with any other character is a str without asking the resolver.
_MAY_RESOLVE = frozenset(_RESOLVER.yaml_implicit_resolvers)
_KEY = re.compile(r"""("[^"\\]*"|'[^']*'|[A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?$""")  # a plain or quoted key
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BREAKS = frozenset(",?[]{}")


def safe_load(text: str):
    """yaml.safe_load(text)."""
    rows = simple_rows(text)
    return rows if rows is not None else yaml.safe_load(text)


def _scalar(text: str, flow: bool = False):
    """The str YAML reads from this one-line scalar, or None when it might read anything else."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        return None if text[0] in inner or "\\" in inner else inner
    if (not text or text[0] in _INDICATORS or ": " in text or " #" in text or text.endswith(":")
            or (flow and not _FLOW_BREAKS.isdisjoint(text))):
        return None
    if text[0] not in _MAY_RESOLVE and None not in _MAY_RESOLVE:
        return text
    return text if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR else None


def _value(text: str):
    """A mapping value written on its key's line: a scalar or a one-line flow list of scalars."""
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        if not inner:
            return []
        items = [_scalar(part.strip(), flow=True) for part in inner.split(",")]
        return None if None in items else items
    return _scalar(text)


def simple_rows(text: str) -> list | None:
    """A block list of mappings whose values are one-line scalars, flow lists of scalars, or block lists
    of scalars; None for any other text (the caller then asks PyYAML)."""
    rows: list[dict] = []
    item_indent = key_indent = list_indent = None
    row: dict | None = None
    open_key = None  # the key whose value is the block list being read (or still empty)
    for raw in text.split("\n"):
        line = (raw[:-1] if raw.endswith("\r") else raw).rstrip(" ")
        if not line.isprintable():  # tabs, control characters, other line breaks: PyYAML decides
            return None
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if item_indent is None:
            item_indent = indent
        if stripped.startswith("- ") and indent == item_indent:  # a new row: "- key: value"
            after = stripped[2:]
            key_indent = indent + 2 + len(after) - len(after.lstrip(" "))
            row, open_key, list_indent = {}, None, None
            rows.append(row)
            stripped = after.lstrip(" ")
        elif row is None:
            return None
        elif stripped.startswith("- ") and open_key is not None and indent >= key_indent:  # "- group"
            if list_indent is None:
                list_indent = indent
                row[open_key] = []
            if indent != list_indent:
                return None
            item = _scalar(stripped[2:].lstrip(" "))
            if item is None:
                return None
            row[open_key].append(item)
            continue
        elif indent != key_indent:
            return None
        match = _KEY.match(stripped)
        key = _scalar(match.group(1)) if match else None
        if key is None:
            return None
        open_key, list_indent = None, None
        if match.group(2) is None:  # "key:" — null, unless a block list follows
            row[key] = None
            open_key = key
            continue
        value = _value(match.group(2))
        if value is None:
            return None
        row[key] = value
    return rows or None


# --- Documents with big literal blocks (`mapRoles: |` in a ConfigMap manifest) ---------------------

_HEADER = re.compile(r"( *)\S.*: +\|(-?) *")  # `key: |` or `key: |-`, nothing after


def compose_all(text: str) -> list:
    """list(yaml.compose_all(text)), the same nodes (tags, styles, values, lines and columns of their
    marks; a mark's index and snippet are not kept). PyYAML scans a literal block character by
    character: each big one is given to it as a one-line placeholder, the placeholder confirmed in
    the result, and the block's value and the lines after it put back."""
    lines = text.split("\n")
    if "\r" in text or not text.endswith("\n"):
        return list(yaml.compose_all(text))
    reduced: list[str] = []
    blocks: list[tuple[int, int, str, str]] = []  # (header line in reduced, lines removed, value, placeholder)
    i = 0
    while i < len(lines):
        reduced.append(lines[i])
        header = _HEADER.fullmatch(lines[i])
        body = _literal_body(lines, i + 1, len(header.group(1))) if header else None
        if body is not None and len(body[0]) > 1:
            content, indent = body
            strip = header.group(2) == "-"
            value = "\n".join(line[indent:] for line in content) + ("" if strip else "\n")
            blocks.append((len(reduced) - 1, len(content) - 1, value, "x" if strip else "x\n"))
            reduced.append(" " * indent + "x")
            i += 1 + len(content)
            continue
        i += 1
    if not blocks:
        return list(yaml.compose_all(text))
    try:
        nodes = list(yaml.compose_all("\n".join(reduced)))
    except yaml.YAMLError:
        return list(yaml.compose_all(text))
    literal = {n.start_mark.line: n for n in _walk(nodes) if isinstance(n, yaml.ScalarNode) and n.style == "|"}
    for line, _, value, placeholder in blocks:
        node = literal.get(line)
        if node is None or node.value != placeholder:  # the placeholder was not read as that block
            return list(yaml.compose_all(text))
        node.value = value
    shifted: set[int] = set()
    for node in _walk(nodes):
        for mark in (node.start_mark, node.end_mark):
            if id(mark) not in shifted:
                shifted.add(id(mark))
                mark.line += sum(removed for line, removed, _, _ in blocks if mark.line > line + 1)
    return nodes


def _literal_body(lines: list[str], start: int, header_indent: int) -> tuple[list[str], int] | None:
    """The lines of a literal block that starts at `start`, without its trailing empty lines, and its
    indentation; None when anything about it is unusual (PyYAML then reads the whole text)."""
    first = lines[start] if start < len(lines) else ""
    indent = len(first) - len(first.lstrip(" "))
    if not first.strip() or indent <= header_indent:
        return None
    end = start
    for end in range(start, len(lines)):
        line = lines[end]
        if not line.isprintable() or (line and not line.strip()):
            return None  # tabs and other characters, lines of spaces: PyYAML's rules are subtle
        if line and len(line) - len(line.lstrip(" ")) < indent:
            if len(line) - len(line.lstrip(" ")) > header_indent:
                return None
            break
    else:
        end = len(lines)
    content = lines[start:end]
    while content and not content[-1]:
        content.pop()
    return content, indent


def _walk(nodes):
    """Every node once (an alias repeats a node; a recursive one contains itself)."""
    todo, seen = [n for n in nodes if n is not None], set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                todo.extend((key, value))

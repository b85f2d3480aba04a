"""Edit aws-auth's data strings as a careful person would: touch only the rows concerned, keep the rest
of the text (comments, order, formatting) as written, and prove by parsing that the result holds exactly
the intended rows (else fall back to re-writing the section from its parsed rows).

Pure: data in, data out. A section that does not parse is never edited (EditError).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from ..model import arn as arns


class EditError(ValueError):
    """The edit cannot be made safely (the section does not parse as a list of mappings)."""


def section_for(arn: str) -> str:
    return "mapUsers" if arns.principal_type(arn) in ("USER", "ROOT") else "mapRoles"


@dataclass(frozen=True)
class AddRow:
    """Map `arn`; when a row for it exists already, merge (its groups kept, these added) instead of a duplicate."""

    arn: str
    username: str
    groups: tuple[str, ...]
    replaces: bool = False  # a row exists: the equivalent eksctl commands delete and re-create it

    @property
    def section(self) -> str:
        return section_for(self.arn)

    def describe(self) -> str:
        return f"map {self.arn} in {self.section} as {self.username} in {', '.join(self.groups) or 'no groups'}"


@dataclass(frozen=True)
class RemoveRows:
    arns: tuple[str, ...]

    def describe(self) -> str:
        return "remove the aws-auth rows of " + ", ".join(self.arns)


@dataclass(frozen=True)
class RewriteArn:
    old: str
    new: str

    def describe(self) -> str:
        return f"rewrite {self.old} as {self.new} in aws-auth"


Edit = AddRow | RemoveRows | RewriteArn

_ITEM = re.compile(r"^([ \t]*)-[ \t]+[\w\"']+[ \t]*:(?:\s|$)")


def _field(row: dict, name: str):
    return next((v for k, v in row.items() if str(k).lower() == name), None)


def row_arn(row, section: str) -> str:
    value = _field(row, "rolearn" if section == "mapRoles" else "userarn") if isinstance(row, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _rows(data: dict, section: str) -> list:
    text = data.get(section) or ""
    if not text.strip() or text.strip() in ("``", '""', "''"):
        return []
    try:
        rows = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EditError(f"{section} does not parse ({str(exc).splitlines()[0]}): fix it first (eksdoctor lint)") from None
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise EditError(f"{section} is not a list of mappings: fix it first (eksdoctor lint)")
    return rows


def _items(text: str, count: int) -> list[tuple[int, int]] | None:
    """(first line, end line) of each top-level list item, when they can be told apart reliably."""
    lines = text.splitlines()
    found = [(i, len(m.group(1))) for i, line in enumerate(lines) if (m := _ITEM.match(line))]
    if not found:
        return None
    indent = min(d for _, d in found)
    starts = [i for i, d in found if d == indent]
    if len(starts) != count:
        return None
    return list(zip(starts, starts[1:] + [len(lines)]))


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (JSON quoting when plain would not)."""
    try:
        plain = yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain = False
    return value if plain and value.strip() == value and value else json.dumps(value)


def render_row(section: str, row: dict, indent: str = "") -> list[str]:
    key = "rolearn" if section == "mapRoles" else "userarn"
    lines = [f"- {key}: {_scalar(row_arn(row, section))}"]
    for name, value in row.items():
        if str(name).lower() in ("rolearn", "userarn"):
            continue
        if isinstance(value, list):
            lines.append(f"  {name}:")
            lines.extend(f"    - {_scalar(str(v))}" for v in value)
        elif isinstance(value, str):
            lines.append(f"  {name}: {_scalar(value)}")
        else:
            lines.append(f"  {name}: {json.dumps(value)}")
    return [indent + line for line in lines]


def _dump(rows: list) -> str:
    return yaml.safe_dump(rows, sort_keys=False, default_flow_style=False) if rows else "[]\n"


def _rewrite(text: str, section: str, rows: list, want: list, splice) -> str:
    """Edit the text in place with `splice(lines, spans, indent)`; if the result does not parse to `want`,
    write the section anew from `want` (comments lost, meaning kept)."""
    spans = _items(text, len(rows)) if rows else None
    if spans is not None or not rows:
        lines = text.splitlines()
        indent = re.match(r"[ \t]*", lines[spans[0][0]]).group(0) if spans else ""
        try:
            edited = splice(lines, spans or [], indent)
            if edited is not None and _rows({section: edited}, section) == want:
                return edited
        except EditError:
            pass
    return _dump(want)


def _add(data: dict, edit: AddRow) -> dict:
    section = edit.section
    rows = _rows(data, section)
    text = data.get(section) or ""
    match = next((i for i, r in enumerate(rows) if row_arn(r, section).casefold() == edit.arn.casefold()), None)
    if match is None:
        new_row = {"rolearn" if section == "mapRoles" else "userarn": edit.arn, "username": edit.username,
                   "groups": list(edit.groups)}
        want = rows + [new_row]

        def splice(lines, spans, indent):
            body = [] if not rows else lines
            return "\n".join(body + render_row(section, new_row, indent)) + "\n"
    else:
        old = rows[match]
        old_user = _field(old, "username")
        old_groups = _field(old, "groups")
        old_groups = list(old_groups) if isinstance(old_groups, list) else []
        new_user = edit.username or old_user or ""
        new_groups = old_groups + [g for g in edit.groups if g not in old_groups]
        if new_user == old_user and new_groups == old_groups:
            return data
        merged = {}
        for key, value in old.items():
            lower = str(key).lower()
            merged[key] = new_user if lower == "username" else new_groups if lower == "groups" else value
        if not any(str(k).lower() == "username" for k in old):
            merged["username"] = new_user
        if not any(str(k).lower() == "groups" for k in old):
            merged["groups"] = new_groups
        want = rows[:match] + [merged] + rows[match + 1:]

        def splice(lines, spans, indent):
            start, end = spans[match]
            tail = lines[end:]
            body = lines[start:end]
            trailing = []  # comments and blank lines that followed the item stay
            while body and (not body[-1].strip() or body[-1].lstrip().startswith("#")):
                trailing.insert(0, body.pop())
            return "\n".join(lines[:start] + render_row(section, merged, indent) + trailing + tail) + "\n"
    return {**data, section: _rewrite(text, section, rows, want, splice)}


def _remove(data: dict, edit: RemoveRows) -> dict:
    out = dict(data)
    gone = {a.casefold() for a in edit.arns}
    for section in ("mapRoles", "mapUsers"):
        if section not in data:
            continue
        rows = _rows(data, section)
        drop = [i for i, r in enumerate(rows) if row_arn(r, section).casefold() in gone]
        if not drop:
            continue
        want = [r for i, r in enumerate(rows) if i not in drop]

        def splice(lines, spans, indent, drop=drop, want=want):
            if not want:
                return "[]\n"
            keep = lines[:spans[0][0]]
            for i, (start, end) in enumerate(spans):
                if i not in drop:
                    keep += lines[start:end]
            return "\n".join(keep) + "\n"
        out[section] = _rewrite(data[section], section, rows, want, splice)
    return out


def _rewrite_arn(data: dict, edit: RewriteArn) -> dict:
    out = dict(data)
    pattern = re.compile(r"(?<![\w:/.-])" + re.escape(edit.old) + r"(?![\w/.-])")
    for section in ("mapRoles", "mapUsers"):
        if section not in data:
            continue
        rows = _rows(data, section)
        if not any(row_arn(r, section) == edit.old for r in rows):
            continue
        key = "rolearn" if section == "mapRoles" else "userarn"
        want = [{**{k: v for k, v in r.items()}, **{k: edit.new for k in r if str(k).lower() == key}}
                if row_arn(r, section) == edit.old else r for r in rows]

        def splice(lines, spans, indent):
            return pattern.sub(edit.new, "\n".join(lines)) + "\n"
        out[section] = _rewrite(data[section], section, rows, want, splice)
    return out


def apply_edits(data: dict, edits) -> dict:
    """The data after every edit, in order; unchanged sections keep their exact text."""
    out = {k: v for k, v in (data or {}).items()}
    for edit in edits:
        if isinstance(edit, AddRow):
            out = _add(out, edit)
        elif isinstance(edit, RemoveRows):
            out = _remove(out, edit)
        elif isinstance(edit, RewriteArn):
            out = _rewrite_arn(out, edit)
        else:
            raise TypeError(edit)
    return out


def diff(before: dict, after: dict) -> list[str]:
    """A unified diff of the changed sections, for the plan and the confirmation prompt."""
    import difflib
    out = []
    for section in sorted(set(before) | set(after)):
        old, new = (before.get(section) or ""), (after.get(section) or "")
        if old == new:
            continue
        out += list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"{section} (now)", f"{section} (after)",
                                         lineterm="", n=1))
    return out

"""Renderers only format a Diagnosis; they decide nothing."""
from __future__ import annotations

FORMATS = ("table", "json", "markdown")


def render(diagnosis, fmt: str, *, verbose: bool = False) -> str:
    if fmt == "json":
        from .json import render_json
        return render_json(diagnosis)
    if fmt == "markdown":
        from .markdown import render_markdown
        return render_markdown(diagnosis)
    raise ValueError(f"unknown output format {fmt!r}")

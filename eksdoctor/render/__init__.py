"""Renderers only format a Diagnosis; they decide nothing."""
from __future__ import annotations

FORMATS = ("table", "json", "markdown", "sarif", "junit")


def render(diagnosis, fmt: str, *, verbose: bool = False, rules=(), artifact: str = "", gate=(), name: str = "") -> str:
    """`rules`: catalog rows of the checks that ran (SARIF); `artifact`: the file results point at
    (SARIF); `gate`: ids of findings that trip the exit-code gate (JUnit); `name`: what was checked,
    when it is not a cluster (SARIF category, JUnit suite)."""
    if fmt == "json":
        from .json import render_json
        return render_json(diagnosis)
    if fmt == "markdown":
        from .markdown import render_markdown
        return render_markdown(diagnosis)
    if fmt == "sarif":
        from .sarif import render_sarif
        return render_sarif(diagnosis, rules=rules, artifact=artifact, name=name)
    if fmt == "junit":
        from .junit import render_junit
        return render_junit(diagnosis, gate=gate, name=name)
    raise ValueError(f"unknown output format {fmt!r}")

"""JUnit XML for CI test reports: one testcase per check.

Formats only. fail → <failure>; warn → <failure> only when it trips the gate (--fail-on/--fail-on-id),
else a passing case with a note; error → <error>; skipped → <skipped> with the reason.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..findings import Status
from .text import target_line

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_BAD.sub("?", str(text))


def _body(f) -> str:
    lines = [f.title]
    if f.detail:
        lines += ["", f.detail]
    if f.evidence:
        lines += ["", "Evidence: " + ", ".join(f.evidence)]
    for n, step in enumerate(f.fix, 1):
        lines += ["", f"Fix {n} (run as {step.run_as}): {step.why}", f"    {step.command}"]
    if f.docs:
        lines += ["", f"Docs: {f.docs}"]
    return _clean("\n".join(lines))


def render_junit(diagnosis, *, gate=(), name: str = "") -> str:
    gate = set(gate)
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    cases = []
    for f in diagnosis.findings:
        facts = dict(f.facts)
        subject = facts.get("question") or facts.get("subject")  # one of several answers of a check (preflight, lint)
        label = f.check if f.check == f.id or not f.check else f"{f.check} ({f.id})"  # a check may report another mode's id
        label = f"{label} [{subject}]" if subject else label
        case = ET.Element("testcase", {"classname": f"eksdoctor.{f.stage or 'evidence'}", "name": _clean(label), "time": "0"})
        if f.status is Status.FAIL or (f.status is Status.WARN and f.id in gate):
            ET.SubElement(case, "failure", {"type": f.status.value, "message": _clean(f"{f.severity.value}: {f.title}")}).text = _body(f)
            counts["failures"] += 1
        elif f.status is Status.ERROR:
            ET.SubElement(case, "error", {"type": "error", "message": _clean(f.title)}).text = _body(f)
            counts["errors"] += 1
        elif f.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", {"message": _clean(f.detail or "skipped")})
            counts["skipped"] += 1
        elif f.status is Status.WARN:
            ET.SubElement(case, "system-out").text = _clean(f"warn ({f.severity.value}, below the gate): ") + _body(f)
        cases.append(case)
    suite = ET.Element("testsuite", {"name": _clean(f"eksdoctor: {name or target_line(diagnosis.target)}"),
                                     "tests": str(len(cases)), **{k: str(v) for k, v in counts.items()}})
    props = ET.SubElement(suite, "properties")
    for key, value in (("verdict", diagnosis.verdict), ("verdict_reason", diagnosis.verdict_reason),
                        *((f"target.{k}", v) for k, v in sorted(diagnosis.target.items()))):
        ET.SubElement(props, "property", {"name": key, "value": _clean(value if value is not None else "")})
    suite.extend(cases)
    root = ET.Element("testsuites", {"name": "eksdoctor", "tests": str(len(cases)),
                                     "failures": str(counts["failures"]), "errors": str(counts["errors"])})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

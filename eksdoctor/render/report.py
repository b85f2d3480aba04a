"""The ticket report (`eksdoctor report`): the diagnosis plus what a support engineer asks next —
the evidence each finding rests on, the environment, the collection errors — as Markdown.

Formats only, from a redacted bundle (the caller redacts, and anonymises when asked). The HTML
form (html.py) uses the same sections.
"""
from __future__ import annotations

import json
import re

from .. import __version__
from ..findings import Status
from .markdown import render_markdown
from .text import fence

MAX_RECORD_CHARS = 3000
_POINTER = re.compile(r"^(aws|kubernetes)\.(.+)\[(\d+)\]$")
_ITEM = re.compile(r"^((?:aws|kubernetes)\.[^\[]+\[\d+\])\.(results|events)\[(\d+)\]$")


def record_at(data: dict, pointer: str):
    """The bundle record a finding's evidence pointer names (`aws.eks:DescribeCluster[0]`, `local.exec`),
    or one item of its response (`aws.logs:GetQueryResults[0].results[12]`: one log line)."""
    item = _ITEM.match(pointer)
    if item:
        record = record_at(data, item.group(1))
        try:
            return record["response"][item.group(2)][int(item.group(3))]
        except (KeyError, IndexError, TypeError):
            return None
    match = _POINTER.match(pointer)
    try:
        if match:
            return (data.get(match.group(1)) or {})[match.group(2)][int(match.group(3))]
        if pointer.startswith("local."):
            value = data.get("local") or {}
            for part in pointer.split(".")[1:]:
                value = value[part]
            return value
    except (KeyError, IndexError, TypeError):
        return None
    return None


def record_text(record) -> str:
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_RECORD_CHARS else text[:MAX_RECORD_CHARS] + "\n… (truncated; the whole record is in the bundle)"


def evidence_chain(diagnosis, data: dict) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(finding id, status, [(pointer, record text)]) for every fail, error and warn finding."""
    rows = []
    for f in diagnosis.findings:
        if f.status not in (Status.FAIL, Status.ERROR, Status.WARN):
            continue
        records = []
        for pointer in f.evidence:
            record = record_at(data, pointer)
            records.append((pointer, record_text(record) if record is not None else "(not in the bundle)"))
        rows.append((f.id, f.status.value, records))
    return rows


def _tool(tools: dict, name: str) -> str:
    tool = tools.get(name)
    if not isinstance(tool, dict):
        return "not found" if name in tools else "not recorded"
    return str(tool.get("version") or tool.get("path") or "found")


def environment(data: dict) -> list[tuple[str, str]]:
    """(label, value) rows; every value comes from the redacted bundle, nothing secret is added."""
    local = data.get("local") if isinstance(data.get("local"), dict) else {}
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    collector = data.get("collector") if isinstance(data.get("collector"), dict) else {}
    aws = data.get("aws") if isinstance(data.get("aws"), dict) else {}
    rows = [("report by", f"eksdoctor {__version__}"),
            ("collected by", " ".join(str(v) for v in (collector.get("name"), collector.get("version")) if v) or "unknown"),
            ("collected at", str(data.get("collected_at"))),
            ("target", ", ".join(f"{k} {target.get(k) or '?'}" for k in ("cluster", "region", "account")))]
    cluster = next((r.get("response", {}).get("cluster") for r in aws.get("eks:DescribeCluster") or []
                    if isinstance(r, dict) and isinstance(r.get("response"), dict)), None) or {}
    access = cluster.get("accessConfig") if isinstance(cluster.get("accessConfig"), dict) else {}
    vpc = cluster.get("resourcesVpcConfig") if isinstance(cluster.get("resourcesVpcConfig"), dict) else {}
    rows.append(("authentication mode", str(access.get("authenticationMode") or "not recorded")))
    if cluster:
        rows.append(("cluster", f"status {cluster.get('status') or '?'}, Kubernetes {cluster.get('version') or '?'}, "
                                f"public endpoint {vpc.get('endpointPublicAccess', '?')}, private endpoint {vpc.get('endpointPrivateAccess', '?')}"))
    regions = {target.get("region")} | {r.get("region") for calls in aws.values() if isinstance(calls, list)
                                        for r in calls if isinstance(r, dict)}
    rows.append(("regions", ", ".join(sorted(r for r in regions if r)) or "none recorded"))
    for record in aws.get("sts:GetCallerIdentity") or []:
        if isinstance(record, dict):
            who = (record.get("response") or {}).get("Arn") if isinstance(record.get("response"), dict) else None
            rows.append((f"identity ({record.get('as') or 'exec'})", who or f"error: {(record.get('error') or {}).get('code', '?')}"))
    if local.get("platform"):
        rows.append(("platform", str(local["platform"])))
    tools = local.get("tools") if isinstance(local.get("tools"), dict) else {}
    for name in ("aws", "kubectl", "aws-iam-authenticator"):
        rows.append((name, _tool(tools, name)))
    exec_run = local.get("exec") if isinstance(local.get("exec"), dict) else {}
    if exec_run:
        rows.append(("exec plugin", f"{exec_run.get('command') or '?'} (apiVersion {exec_run.get('api_version') or exec_run.get('stdout_api_version') or '?'}, "
                                    f"exit code {exec_run.get('exit_code')})"))
    kubeconfig = local.get("kubeconfig") if isinstance(local.get("kubeconfig"), dict) else {}
    if kubeconfig:
        rows.append(("kubeconfig", f"context {kubeconfig.get('context') or kubeconfig.get('current_context') or '?'}, "
                                   f"{len(kubeconfig.get('files') or [])} file(s)"))
    env = local.get("env") if isinstance(local.get("env"), dict) else {}
    set_vars = [f"{k}={v}" if v != "<set>" else f"{k} (set)" for k, v in sorted(env.items()) if v is not None]
    if env:
        rows.append(("environment", ", ".join(set_vars) or "no AWS_* or KUBECONFIG variable set"))
    redaction = data.get("redaction") if isinstance(data.get("redaction"), dict) else {}
    rows.append(("redaction", f"secrets removed: yes; names anonymised: {'yes' if redaction.get('anonymized') else 'no'}"))
    return rows


def collection_errors(data: dict) -> list[dict]:
    collection = data.get("collection") if isinstance(data.get("collection"), dict) else {}
    return [e for e in collection.get("errors") or [] if isinstance(e, dict)]


def render_report_markdown(diagnosis, data: dict) -> str:
    out = [render_markdown(diagnosis).replace("# eksdoctor diagnosis", "# eksdoctor report", 1).rstrip(), ""]
    chain_rows = evidence_chain(diagnosis, data)
    if chain_rows:
        out += ["## Evidence", "", "The records each finding rests on, as collected (secrets removed).", ""]
        for fid, status, records in chain_rows:
            out += [f"### `{fid}` ({status})", ""]
            for pointer, text in records:
                out += [f"`{pointer}`", "", *_json_fence(text), ""]
            if not records:
                out += ["(no record named)", ""]
    out += ["## Environment", "", "| | |", "|---|---|"]
    out += [f"| {label} | {_cell(value)} |" for label, value in environment(data)]
    out.append("")
    errors = collection_errors(data)
    out += ["## Collection errors", ""]
    if errors:
        out += ["| collector | code | message |", "|---|---|---|"]
        out += [f"| {_cell(e.get('collector'))} | {_cell(e.get('code'))} | {_cell(e.get('message'))} |" for e in errors]
    else:
        out.append("None." if "collection" in data else "Not recorded (the bundle has no `collection` section).")
    out.append("")
    return "\n".join(out)


def _cell(value) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _json_fence(text: str) -> list[str]:
    lines = fence(text)
    lines[0] = lines[0].replace("sh", "json")
    return lines

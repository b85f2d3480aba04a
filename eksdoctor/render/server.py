"""Plain-text views of `eksdoctor explain` and `eksdoctor lint`; they format, they decide nothing."""
from __future__ import annotations


def explanation_text(doc: dict) -> str:
    yes = "yes" if doc["authenticated"] else "NO (401 Unauthorized)"
    lines = [f"principal      {doc['input_arn']}",
             f"mapped as      {doc['canonical_arn'] or '-'}",
             f"mode           {doc.get('mode') or 'unknown'}",
             f"authenticated  {yes}" + (f" by {doc['matched_by']}" if doc["matched_by"] else "") + f"  (confidence: {doc['confidence']})"]
    if doc["authenticated"]:
        lines.append(f"username       {doc['username']}")
        lines.append(f"groups         {', '.join(doc['groups']) or '(none)'}")
        policies = [f"{p['name']} ({'cluster' if p['access_scope']['type'] == 'cluster' else ', '.join(p['access_scope']['namespaces'])})"
                    for p in doc["access_policies"]]
        lines.append(f"access policies {', '.join(policies) or '(none)'}")
    authz = doc.get("authorization")
    if authz:
        verdict = {True: "allowed", False: "denied", None: "unknown"}[authz["allowed"]]
        lines.append(f"can {authz['question']}: {verdict}" + (f" by {', '.join(authz['by'])}" if authz["by"] else ""))
        lines.extend(f"  - {n}" for n in authz["notes"])
    lines.append("why:")
    lines.extend(f"  - {r}" for r in doc["reasons"])
    return "\n".join(lines) + "\n"


def lint_text(results: list[tuple[str, dict]]) -> str:
    """`FILE:LINE: severity: message` lines (editors and pre-commit understand them), then a summary."""
    out = []
    for name, doc in results:
        for issue in doc["issues"]:
            where = f"{name}:{issue['line']}" if issue["line"] else name
            label = f"{issue['where']}: " if issue["where"] else f"{issue['section']}: " if issue["section"] else ""
            out.append(f"{where}: {issue['severity']}: {label}{issue['message']}")
        for lock in doc["locked_out"]:
            out.append(f"{name}: error: locks out {lock['kind']} {lock['arn']} (was {lock['was']}): {lock['detail']}")
        for change in doc["changed"]:
            out.append(f"{name}: warning: changes {change}")
        s = doc["summary"]
        kept = ", ".join(f"{k} DROPPED" if v["error"] else f"{k} {v['kept']}/{v['entries']}"
                         for k, v in doc["sections"].items() if v["present"])
        out.append(f"{name}: {s['errors']} error(s), {s['warnings']} warning(s)"
                   + (f", {s['locked_out']} locked out" if s["locked_out"] else "") + (f" — kept: {kept}" if kept else ""))
    return "\n".join(out) + "\n"

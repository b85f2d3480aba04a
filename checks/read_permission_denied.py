"""read_permission_denied: an AWS read eksdoctor made was refused (AccessDenied), so its evidence is missing.

An evidence gap, never the cause of a 401 (so `warn`): names each denied IAM action, who was denied, and
the policy statement to add. Not for sts:AssumeRole of the kubeconfig's role (role_arn_not_assumable's).
"""
import re

from eksdoctor.bundle import Bundle, Call
from eksdoctor.check import Check, Result, passed, warned
from eksdoctor.findings import Severity
from eksdoctor.model import fixes
from eksdoctor.model.failures import is_denied

_WHO = re.compile(r"(?:User|Principal): (arn:[^\s]+) is not authorized")
_ACTION = re.compile(r"not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)")


def action(call: Call) -> str:
    """The IAM action refused: as the message names it (assuming a profile's role fails inside another
    call), else the call's own."""
    said = _ACTION.search(str((call.error or {}).get("message") or ""))
    return said.group(1) if said else call.key


def denied(bundle: Bundle) -> list[Call]:
    return [c for c in bundle.all_calls() if is_denied(c) and c.as_ != "token"
            and not (c.key == "sts:AssumeRole" and c.as_ == "exec")]


def who(bundle: Bundle, call: Call) -> str:
    """The ARN that was denied: from the error message, else that credential set's GetCallerIdentity."""
    said = _WHO.search(str((call.error or {}).get("message") or ""))
    if said:
        return said.group(1)
    ident = bundle.first_ok("aws", "sts:GetCallerIdentity", as_=call.as_)
    arn = (ident.response or {}).get("Arn") if ident and isinstance(ident.response, dict) else None
    return str(arn or "")


def run(bundle: Bundle) -> Result:
    calls = denied(bundle)
    if not calls:
        return passed("no AWS read was refused")
    by_principal: dict[tuple[str, str], list[Call]] = {}
    for call in calls:
        by_principal.setdefault((call.as_, who(bundle, call)), []).append(call)
    detail, fix = [], []
    for (label, arn), group in by_principal.items():
        actions = sorted({action(c) for c in group})
        covered = [a for a in actions if any(o.ok for o in bundle.aws(a))]
        detail.append(f"As {label} ({arn or 'identity unknown'}): denied {', '.join(actions)}"
                      + (f"; read as another identity instead: {', '.join(covered)}" if covered else ""))
        fix.append(fixes.allow_actions(arn, actions))
    missing = sorted({action(c) for c in calls})
    uncovered = [a for a in missing if not any(o.ok for o in bundle.aws(a))]
    detail.append("Checks that need this evidence are skipped or less certain. The full read-only policy "
                  "eksdoctor needs is docs/iam-policy.json; --admin-profile PROFILE reads as someone who has it.")
    named = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    return warned(f"eksdoctor was denied {named}: that evidence is missing", "\n".join(detail),
                  evidence=[c.pointer for c in calls], fix=fix,
                  severity=Severity.MEDIUM if uncovered else Severity.LOW,
                  facts=[("denied_actions", " ".join(missing))])


CHECK = Check(
    id="read_permission_denied",
    title="An AWS read eksdoctor needs was denied",
    severity="medium",
    stage="evidence",
    docs="docs/checks/read_permission_denied.md",
    summary=("eksdoctor reads with the identity kubectl uses (or --profile / --admin-profile). When IAM refuses one "
             "of its reads, the evidence that read gives is missing and the checks that need it are skipped. "
             "An evidence gap, not a cause: reported as a warning naming each denied action and the statement to add."),
    remediation=("aws iam put-role-policy --role-name <role> --policy-name eksdoctor-read --policy-document "
                 "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"<denied action>\"],\"Resource\":\"*\"}]}'"),
    catalog=False,
    run=run,
)

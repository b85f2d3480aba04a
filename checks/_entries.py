"""Shared by the access-entry checks: replacing an entry (delete, create with the full ARN,
re-associate the same policies) and listing entries whose principal was re-created or renamed."""
from __future__ import annotations

from eksdoctor.findings import CLUSTER_ADMIN, FixStep
from eksdoctor.model import fixes
from eksdoctor.model.access import AccessEntry, default_username
from eksdoctor.model.evidence import Target


def delete_entry(t: Target, principal_arn: str) -> str:
    return (f"aws eks delete-access-entry{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} "
            f"--principal-arn {fixes.q(principal_arn)}")


def replace_entry(t: Target, old: AccessEntry, new_arn: str, why: str) -> tuple[FixStep, ...]:
    """Delete the entry and create it again for the current principal, with the same type, groups,
    username and policies (entries are tied to a principal ID and cannot be re-pointed)."""
    groups = old.groups if old.effective_type == "STANDARD" else ()
    custom = old.effective_type == "STANDARD" and old.username and old.username != default_username("STANDARD", old.principal_arn)
    username = old.username if custom else None
    steps = [
        FixStep(delete_entry(t, old.principal_arn), CLUSTER_ADMIN, why),
        FixStep(fixes.create_access_entry(t, new_arn, entry_type=old.effective_type, groups=groups, username=username),
                CLUSTER_ADMIN, "a new entry binds the principal as it exists now"),
    ]
    for p in old.policies or ():
        steps.append(FixStep(fixes.associate_access_policy(t, new_arn, p.name, p.scope.namespaces if p.scope.type == "namespace" else ()),
                             CLUSTER_ADMIN, f"restores {p.name} ({p.scope.describe()})"))
    return tuple(steps)

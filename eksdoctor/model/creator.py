"""Who created the cluster: the CreateCluster event in CloudTrail, or the creator's access entry.

Pure: reads `cloudtrail:LookupEvents` output (each event's CloudTrailEvent JSON string). For a role
the creator is the session issuer's ARN, path included. Event history only reaches back 90 days.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from .access import AccessEntries, parse_time

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
HISTORY_DAYS = 90


@dataclass(frozen=True)
class Creator:
    arn: str  # the IAM principal: role ARN with its path, or user/root ARN
    source: str  # "cloudtrail", "access entry" or "authenticator log"
    when: datetime | None = None
    session_arn: str = ""  # userIdentity.arn as CloudTrail recorded it
    pointer: str = ""

    def describe(self) -> str:
        when = f" on {self.when:%Y-%m-%d}" if self.when else ""
        how = {"cloudtrail": "the CreateCluster event in CloudTrail",
               "authenticator log": "the authenticator log, which granted it as kubernetes-admin"}.get(
            self.source, "an access entry made with the cluster")
        return f"{self.arn} (from {how}{when})"


def _principal(identity: dict) -> tuple[str, str]:
    session = str(identity.get("arn") or "")
    issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
    if identity.get("type") == "AssumedRole" and isinstance(issuer, str) and issuer:
        return issuer, session
    return session, session


def creator_from_events(response: dict, cluster_name: str, cluster_created: datetime | None, pointer: str = "") -> Creator | None:
    """The successful CreateCluster for this name; with several (a re-created cluster), the one
    closest before the cluster's createdAt."""
    found: list[Creator] = []
    for event in response.get("Events") or []:
        if not isinstance(event, dict):
            continue
        try:
            detail = json.loads(event.get("CloudTrailEvent") or "{}")
        except (TypeError, ValueError):
            continue
        if detail.get("errorCode") or (detail.get("eventName") or event.get("EventName")) != "CreateCluster":
            continue
        params = detail.get("requestParameters") or {}
        if params.get("name") != cluster_name:
            continue
        arn, session = _principal(detail.get("userIdentity") or {})
        if arn:
            when = parse_time(detail.get("eventTime") or event.get("EventTime"))
            found.append(Creator(arn, "cloudtrail", when, session, pointer))
    if not found:
        return None
    if cluster_created:
        before = [c for c in found if c.when and c.when <= cluster_created + timedelta(minutes=5)]
        if before:
            return max(before, key=lambda c: c.when)
    return max(found, key=lambda c: c.when.timestamp() if c.when else 0.0)


def creator_from_entries(entries: AccessEntries, cluster_created: datetime | None) -> Creator | None:
    """In API modes with bootstrapClusterCreatorAdminPermissions, EKS made a STANDARD entry with
    AmazonEKSClusterAdminPolicy for the creator as the cluster was created."""
    if cluster_created is None:
        return None
    for entry in entries.entries:
        if entry.effective_type != "STANDARD" or not entry.created_at:
            continue
        if abs(entry.created_at - cluster_created) > timedelta(minutes=15):
            continue
        if any(p.name == CLUSTER_ADMIN_POLICY for p in entry.policies or ()):
            return Creator(entry.principal_arn, "access entry", entry.created_at, "", (entry.pointers or ("",))[0])
    return None

"""ARNs exactly as aws-iam-authenticator reads them (reference/authenticator.md §3).

canonicalize() turns an STS caller ARN into the form the cluster maps (assumed-role → role,
session dropped, path lost because STS never returns it); strip_path() is the authenticator's
StripPath. Nothing here lowercases: case handling belongs to the mappers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# partition → (domain, dual-stack domain)
PARTITIONS: dict[str, tuple[str, str | None]] = {
    "aws": ("amazonaws.com", "api.aws"),
    "aws-cn": ("amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    "aws-us-gov": ("amazonaws.com", "api.aws"),
    "aws-iso": ("c2s.ic.gov", None),
    "aws-iso-b": ("sc2s.sgov.gov", None),
    "aws-iso-e": ("cloud.adc-e.uk", None),
    "aws-iso-f": ("csp.hci.ic.gov", None),
    "aws-eusc": ("amazonaws.eu", "api.amazonwebservices.eu"),
}

SSO_ROLE_PREFIX = "AWSReservedSSO_"
SSO_PATH_MARKER = "aws-reserved/sso.amazonaws.com"


class ArnError(ValueError):
    """The authenticator would reject this ARN; the message is the authenticator's."""


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        return self.resource.split("/", 1)[0]

    @property
    def name(self) -> str:
        """Last path segment of the resource: the role or user name."""
        return self.resource.rsplit("/", 1)[-1]

    @property
    def path(self) -> str:
        """IAM path of a role or user ARN ('/' when there is none)."""
        parts = self.resource.split("/")
        return "/" + "/".join(parts[1:-1]) + "/" if len(parts) > 2 else "/"


def parse(text: str) -> Arn:
    """Parse like the AWS SDK's arn.Parse: prefix `arn:` and six colon-separated sections."""
    if not isinstance(text, str) or not text.startswith("arn:"):
        raise ArnError(f"arn '{text}' is invalid: 'arn: invalid prefix'")
    return _parse_sections(text)


@lru_cache(maxsize=65_536)  # checks ask about the same ARNs over and over (10,000 aws-auth rows, 5,000 entries)
def _parse_sections(text: str) -> Arn:
    sections = text.split(":", 5)
    if len(sections) < 6:
        raise ArnError(f"arn '{text}' is invalid: 'arn: not enough sections'")
    _, partition, service, region, account, resource = sections
    return Arn(partition, service, region, account, resource)


def try_parse(text: str) -> Arn | None:
    try:
        return parse(text)
    except ArnError:
        return None


def canonicalize(text: str) -> str:
    """The authenticator's Canonicalize (pkg/arn/arn.go): what a caller ARN is mapped as."""
    arn = parse(text)
    if arn.partition not in PARTITIONS:
        raise ArnError(f"arn '{text}' does not have a recognized partition")
    parts = arn.resource.split("/")
    kind = parts[0]
    if arn.service == "sts":
        if kind == "federated-user":
            return text
        if kind == "assumed-role":
            if len(parts) < 3:
                raise ArnError(f"assumed-role arn '{text}' does not have a role")
            role = "/".join(parts[1:-1])
            return f"arn:{arn.partition}:iam::{arn.account}:role/{role}"
        raise ArnError(f"unrecognized resource {arn.resource} for service sts")
    if arn.service == "iam":
        if kind in ("role", "user", "root"):
            return text
        raise ArnError(f"unrecognized resource {arn.resource} for service iam")
    raise ArnError(f"service {arn.service} in arn {text} is not a valid service for identities")


def principal_type(text: str) -> str:
    """ROLE, USER, ROOT, FEDERATED_USER, ASSUMED_ROLE or NONE."""
    arn = try_parse(text)
    if arn is None:
        return "NONE"
    kind = arn.resource_type
    if arn.service == "sts":
        return {"assumed-role": "ASSUMED_ROLE", "federated-user": "FEDERATED_USER"}.get(kind, "NONE")
    if arn.service == "iam":
        return {"role": "ROLE", "user": "USER", "root": "ROOT"}.get(kind, "NONE")
    return "NONE"


def assumed_role_arn(role: Arn, session: str) -> str:
    """The STS ARN a session of this IAM role presents (its path dropped, as STS drops it)."""
    return f"arn:{role.partition}:sts::{role.account}:assumed-role/{role.name}/{session}"


def strip_path(text: str) -> str:
    """StripPath: role ARNs with a path become role/<name>; everything else is unchanged."""
    arn = try_parse(text)
    if arn is None or arn.service != "iam" or arn.resource_type != "role":
        return text
    parts = arn.resource.split("/")
    if len(parts) <= 2:
        return text
    return f"arn:{arn.partition}:iam::{arn.account}:role/{parts[-1]}"


def has_path(text: str) -> bool:
    arn = try_parse(text)
    return bool(arn and arn.service == "iam" and arn.resource_type in ("role", "user") and arn.resource.count("/") > 1)


def is_sso_role(text: str) -> bool:
    """True for IAM Identity Center roles (AWSReservedSSO_<PermissionSet>_<hex>), any form."""
    arn = try_parse(text)
    if arn is None:
        return False
    parts = arn.resource.split("/")
    if arn.service == "sts" and parts[0] == "assumed-role" and len(parts) >= 3:
        return parts[-2].startswith(SSO_ROLE_PREFIX)
    return arn.service == "iam" and parts[0] == "role" and parts[-1].startswith(SSO_ROLE_PREFIX)


def same_principal(a: str, b: str) -> bool:
    """How aws-auth matches: case-insensitive string equality (EqualFold)."""
    return a.casefold() == b.casefold()


def partition_of(text: str) -> str | None:
    arn = try_parse(text)
    return arn.partition if arn else None


def account_of(text: str) -> str | None:
    arn = try_parse(text)
    return arn.account if arn else None


def policy_arn(partition: str, name: str) -> str:
    """Partition-correct ARN of an EKS access policy."""
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"

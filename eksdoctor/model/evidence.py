"""Facts many checks need, read from the bundle's records: who is calling, which cluster, aws-auth.

Pure functions of the Bundle; each returns None when the evidence is absent or failed.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..bundle import Bundle, Call
from . import arn as arns
from .awsauth import AwsAuth, configmap_data, parse_data

AWS_AUTH = "configmaps/kube-system/aws-auth"


@dataclass(frozen=True)
class Identity:
    arn: str  # as STS returned it
    canonical: str | None  # as the authenticator maps it (None when it would reject the ARN)
    account: str
    user_id: str
    pointer: str

    @property
    def session(self) -> str:
        return self.user_id.split(":", 1)[1] if ":" in self.user_id else ""


def identity(bundle: Bundle, as_: str = "exec") -> Identity | None:
    call = bundle.first_ok("aws", "sts:GetCallerIdentity", as_=as_)
    if call is None or not isinstance(call.response, dict):
        return None
    arn = str(call.response.get("Arn") or "")
    if not arn:
        return None
    try:
        canonical = arns.canonicalize(arn)
    except arns.ArnError:
        canonical = None
    return Identity(arn, canonical, str(call.response.get("Account") or arns.account_of(arn) or ""),
                    str(call.response.get("UserId") or ""), call.pointer)


@dataclass(frozen=True)
class Cluster:
    name: str
    arn: str
    region: str
    account: str
    partition: str
    raw: dict
    pointer: str

    @property
    def auth_mode(self) -> str | None:
        access = self.raw.get("accessConfig")
        return access.get("authenticationMode") if isinstance(access, dict) else None


def cluster(bundle: Bundle) -> Cluster | None:
    call = bundle.first_ok("aws", "eks:DescribeCluster")
    if call is None or not isinstance(call.response, dict) or not isinstance(call.response.get("cluster"), dict):
        return None
    raw = call.response["cluster"]
    parsed = arns.try_parse(str(raw.get("arn") or ""))
    target = bundle.target
    return Cluster(
        name=str(raw.get("name") or target.get("cluster") or ""),
        arn=str(raw.get("arn") or ""),
        region=(parsed.region if parsed else None) or target.get("region") or "",
        account=(parsed.account if parsed else None) or target.get("account") or "",
        partition=(parsed.partition if parsed else None) or "aws",
        raw=raw,
        pointer=call.pointer,
    )


@dataclass(frozen=True)
class Target:
    """The names a fix command needs, from the best evidence available."""

    cluster: str
    region: str
    account: str
    partition: str
    auth_mode: str | None


def target(bundle: Bundle) -> Target:
    c = cluster(bundle)
    t = bundle.target
    ident = identity(bundle)
    partition = (c.partition if c else None) or (arns.partition_of(ident.arn) if ident else None) or "aws"
    return Target(
        cluster=(c.name if c else None) or t.get("cluster") or "<cluster>",
        region=(c.region if c else None) or t.get("region") or "<region>",
        account=(c.account if c else None) or t.get("account") or (ident.account if ident else "") or "<account>",
        partition=partition,
        auth_mode=c.auth_mode if c else None,
    )


def aws_auth_call(bundle: Bundle) -> Call | None:
    """The aws-auth record that was read successfully, else the last failed attempt."""
    calls = bundle.kube(AWS_AUTH)
    return next((c for c in calls if c.ok), calls[-1] if calls else None)


def aws_auth(bundle: Bundle) -> tuple[AwsAuth | None, Call | None]:
    call = aws_auth_call(bundle)
    if call is None or not call.ok:
        return None, call
    return parse_data(configmap_data(call.response)), call

"""The lab's authenticator follows authenticator.md: §2 format checks in order, §3 canonicalisation,
§4 aws-auth parsing and the backend chain per authentication mode; SigV4 binds the cluster name."""
from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest

from . import kproto, sigv4
from .authn import AuthError, Identity, canonicalize, map_identity, parse_aws_auth, parse_token
from .state import AccessEntry

NOW = dt.datetime(2026, 11, 23, 1, 0, 0, tzinfo=dt.timezone.utc)
GOOD = ("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261123%2Fus-east-1%2Fsts%2Faws4_request"
        "&X-Amz-Date=20261123T005500Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=ab")


def token(url: str) -> str:
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def format_error(tok: str) -> str:
    with pytest.raises(AuthError) as err:
        parse_token(tok, now=NOW)
    return str(err.value).removeprefix("input token was not properly formatted: ")


def test_a_well_formed_token_passes_every_format_check():
    url, host, region, params = parse_token(token(GOOD), now=NOW)
    assert (host, region, params["x-amz-credential"].split("/")[0]) == ("sts.us-east-1.amazonaws.com", "us-east-1",
                                                                        "AKIAEXAMPLE")


@pytest.mark.parametrize("tok, message", [
    ("Bearer " + token(GOOD), 'token is missing expected "k8s-aws-v1." prefix'),
    ("k8s-aws-v1.aHR0c+Bz", "illegal base64 data at input byte 5"),
    (token(GOOD.replace("https://", "http://")), 'unexpected scheme "http" in pre-signed URL'),
    (token(GOOD.replace("sts.us-east-1.amazonaws.com", "sts.us-east-1.example.com")),
     'unexpected hostname "sts.us-east-1.example.com" in pre-signed URL'),
    (token(GOOD.replace(".com/?", ".com/x?")), "unexpected path in pre-signed URL"),
    (token(GOOD + "&X-Amz-Foo=1"), 'non-whitelisted query parameter "X-Amz-Foo"'),
    (token(GOOD.replace("Action=GetCallerIdentity", "Action=AssumeRole")),
     "unexpected action parameter in pre-signed URL"),
    (token(GOOD.replace("host%3Bx-k8s-aws-id", "host")),
     "client did not sign the x-k8s-aws-id header in the pre-signed URL"),
    (token(GOOD.replace("X-Amz-Expires=60", "X-Amz-Expires=901")),
     "invalid X-Amz-Expires parameter in pre-signed URL: 901"),
    (token(GOOD.replace("&X-Amz-Date=20261123T005500Z", "")), "X-Amz-Date parameter must be present in pre-signed URL"),
    (token(GOOD.replace("20261123T005500Z", "20261123T004459Z")),
     "X-Amz-Date parameter is expired (15 minute expiration) 2026-11-23 00:44:59 +0000 UTC"),
])
def test_format_checks_reject_with_the_authenticators_words(tok, message):
    assert format_error(tok) == message


def test_the_global_endpoint_is_accepted_in_partition_aws():
    assert parse_token(token(GOOD.replace("sts.us-east-1.", "sts.")), now=NOW)[2] == "global"


@pytest.mark.parametrize("arn, canonical", [
    ("arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", "arn:aws:iam::111122223333:role/Admin"),
    ("arn:aws:sts::111122223333:assumed-role/Org/Team/Admin/s", "arn:aws:iam::111122223333:role/Org/Team/Admin"),
    ("arn:aws:iam::111122223333:user/ops/Alice", "arn:aws:iam::111122223333:user/ops/Alice"),
])
def test_canonicalize_drops_the_session_and_keeps_any_path(arn, canonical):
    assert canonicalize(arn)[0] == canonical


def ident(arn="arn:aws:iam::111122223333:role/dev", user_id="AROADEV", session="alice") -> Identity:
    return Identity(arn=arn, canonical_arn=arn, account="111122223333", user_id=user_id, session_name=session,
                    access_key_id="ASIAEXAMPLE", sts_endpoint="sts.us-east-1.amazonaws.com")


ROLE_ROW = "- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev:{{SessionName}}\n  groups: [devs]\n"


def test_a_yaml_error_drops_that_key_only_and_the_others_still_map():
    auth = parse_aws_auth({"mapRoles": ROLE_ROW + "   groups:\n", "mapUsers":
                           "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n"})
    assert auth.roles == [] and [u["username"] for u in auth.users] == ["alice"] and auth.errors


def test_field_names_are_case_insensitive_and_a_scalar_groups_becomes_empty():
    auth = parse_aws_auth({"mapRoles": "- RoleArn: arn:aws:iam::1:role/a\n  UserName: a\n  groups: system:masters\n"})
    assert auth.roles == [{"rolearn": "arn:aws:iam::1:role/a", "username": "a", "groups": [], "sso": None}]


def chain(mode, *, aws_auth=None, entries=(), who=None, **kw):
    return map_identity(who or ident(), mode=mode, entries=list(entries), aws_auth_data=aws_auth,
                        creator_arn="arn:aws:iam::111122223333:user/admin", **kw)


ENTRY = AccessEntry(principal_arn="arn:aws:iam::111122223333:role/dev", principal_id="AROADEV",
                    username="arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}")


def test_each_mode_reads_its_own_sources():
    aws_auth = {"mapRoles": ROLE_ROW}
    assert chain("API_AND_CONFIG_MAP", aws_auth=aws_auth, entries=[ENTRY]).username == \
        "arn:aws:sts::111122223333:assumed-role/dev/alice"                      # the entry wins
    assert chain("API_AND_CONFIG_MAP", aws_auth=aws_auth).groups == ["devs"]
    assert chain("CONFIG_MAP", aws_auth=aws_auth, entries=[ENTRY]).username == "dev:alice"   # entries ignored
    with pytest.raises(AuthError, match="identity is not mapped"):
        chain("API", aws_auth=aws_auth)                                         # aws-auth ignored
    creator = ident("arn:aws:iam::111122223333:user/admin", "AIDAADMIN", "")
    assert chain("CONFIG_MAP", who=creator).groups == ["system:masters"]


def test_an_entry_matches_the_principal_id_not_the_name():
    recreated = ident(user_id="AROANEWID")
    with pytest.raises(AuthError, match="identity is not mapped"):
        chain("API", entries=[ENTRY], who=recreated)


@pytest.mark.parametrize("rolearn", [
    "arn:aws:iam::111122223333:role/team/dev",                       # a path never matches
    "arn:aws:sts::111122223333:assumed-role/dev/alice",              # nor a session ARN
])
def test_rolearns_that_never_match(rolearn):
    with pytest.raises(AuthError, match="identity is not mapped"):
        chain("CONFIG_MAP", aws_auth={"mapRoles": f"- rolearn: {rolearn}\n  username: x\n"})


def test_rolearn_case_does_not_matter_and_map_accounts_gives_no_groups():
    assert chain("CONFIG_MAP", aws_auth={"mapRoles": ROLE_ROW.replace("role/dev", "ROLE/DEV")}).groups == ["devs"]
    mapped = chain("CONFIG_MAP", aws_auth={"mapAccounts": "- '111122223333'\n"})
    assert (mapped.username, mapped.groups) == ("arn:aws:iam::111122223333:role/dev", [])


def test_sso_entries_match_only_behind_the_feature_gate():
    sso = ident("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef")
    data = {"mapRoles": "- sso:\n    permissionSetName: Admin\n    accountID: '111122223333'\n  username: a\n"}
    with pytest.raises(AuthError):
        chain("CONFIG_MAP", aws_auth=data, who=sso)
    assert chain("CONFIG_MAP", aws_auth=data, who=sso, sso_gate=True).username == "a"


def test_a_presigned_token_verifies_only_for_the_cluster_name_it_was_signed_for():
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="s")
    sts.meta.events.register("before-sign.sts.GetCallerIdentity",
                             lambda request, **_: request.headers.__setitem__("x-k8s-aws-id", "prod"))
    url = urlsplit(sts.generate_presigned_url("get_caller_identity", HttpMethod="GET", ExpiresIn=60))
    query = parse_qsl(url.query)
    signed = sigv4.parse(query, {})
    for cluster, ok in (("prod", True), ("prod-eu", False)):
        headers = {"host": url.netloc, "x-k8s-aws-id": cluster}
        assert sigv4.verify(signed, "s", "GET", url.path, query, headers, b"") is ok
    assert not sigv4.verify(signed, "other-secret", "GET", url.path, query,
                            {"host": url.netloc, "x-k8s-aws-id": "prod"}, b"")


def test_kubectl_protobuf_bodies_decode_to_their_json_form():
    body = (b'k8s\x00\n2\n\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\x12=\n\x10\n\x00\x12\x00\x1a'
            b'\x00"\x00*\x002\x008\x00B\x00\x12\x1f\n\x1d\n\x07default\x12\x04list\x1a\x00"\x00*\x04pods2\x00:\x00'
            b'\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00\x1a\x00"\x00')
    assert kproto.decode(body) == {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                                   "metadata": {}, "spec": {"resourceAttributes": {
                                       "namespace": "default", "verb": "list", "resource": "pods"}}}

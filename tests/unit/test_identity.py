"""explain(): what a principal becomes, by the authenticator's rules (§4) and EKS's modes on top."""
from datetime import datetime, timezone

import pytest

from eksdoctor.model.access import AccessEntries, AccessEntry, AssociatedPolicy, IamPrincipal, Scope, entries_from_documents
from eksdoctor.model.awsauth import parse_data
from eksdoctor.model.creator import Creator, creator_from_events
from eksdoctor.model.identity import ClusterEvidence, arn_near_miss, explain, explain_arn, principal_from_arn

A = "111122223333"
SESSION = f"arn:aws:sts::{A}:assumed-role/dev/alice@example.com"
ROLE = f"arn:aws:iam::{A}:role/dev"
ROLE_WITH_PATH = f"arn:aws:iam::{A}:role/teams/dev"
ROW = f"- rolearn: {ROLE}\n  username: dev:{{{{SessionName}}}}\n  groups:\n  - devs\n"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 6, 1, tzinfo=timezone.utc)


def cm(text=ROW, **data):
    return parse_data({"mapRoles": text, **data})


def entries(*items):
    return AccessEntries(tuple(items), listed=True)


def ev(mode, **kw):
    kw.setdefault("aws_auth_state", "read" if kw.get("aws_auth") else "not collected")
    return ClusterEvidence(mode=mode, account=A, **kw)


def test_aws_auth_row_renders_the_session_name_with_at_transliterated():
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm()))
    assert (x.authenticated, x.username, x.groups, x.matched_by) == (True, "dev:alice-example.com", ("devs",), "mapRoles[0]")
    assert x.principal.canonical == ROLE


def test_templates_apply_to_groups_too():
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm(f"- rolearn: {ROLE}\n  username: u\n  groups:\n  - team-{{{{SessionNameRaw}}}}\n")))
    assert x.groups == ("team-alice@example.com",)


def test_template_error_denies_without_falling_through_to_map_accounts():
    text = f"- rolearn: {ROLE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n"
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm(text, mapAccounts=f"- '{A}'\n")))
    assert not x.authenticated and "SessionName did not contain an instance id" in x.error


def test_map_accounts_gives_the_canonical_arn_in_its_original_case_and_no_groups():
    x = explain_arn(f"arn:aws:sts::{A}:assumed-role/Test/s", ev("CONFIG_MAP", aws_auth=parse_data({"mapAccounts": f"- {A}\n"})))
    assert (x.username, x.groups, x.matched_by) == (f"arn:aws:iam::{A}:role/Test", (), "mapAccounts")


def test_map_accounts_is_not_checked_for_reserved_prefixes():
    x = explain(principal_from_arn(f"arn:aws:sts::{A}:assumed-role/Test/s"),
                ev("CONFIG_MAP", aws_auth=parse_data({"mapAccounts": f"- {A}\n"}), reserved_prefixes=("arn:",)))
    assert x.authenticated


def test_reserved_prefix_on_the_rendered_username_denies():
    x = explain(principal_from_arn(f"arn:aws:sts::{A}:assumed-role/dev/system"),
                ev("CONFIG_MAP", aws_auth=cm(f"- rolearn: {ROLE}\n  username: '{{{{SessionName}}}}:masters'\n"),
                   reserved_prefixes=("system:",)))
    assert not x.authenticated and "must not begin with with" in x.error


def test_yaml_error_in_map_roles_locks_out_roles_and_is_a_near_miss():
    broken = ROW + f"- rolearn: {A}\n   username: x\n"
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm(broken)))
    assert not x.authenticated
    assert [n.kind for n in x.near_misses] == ["broken_section"]


def test_path_in_rolearn_never_matches_and_is_reported():
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm(ROW.replace("role/dev", "role/teams/dev"))))
    assert not x.authenticated and x.near_misses[0].kind == "path"


# --- modes ---------------------------------------------------------------------------------------------

ENTRY = AccessEntry(ROLE, "STANDARD", f"arn:aws:sts::{A}:assumed-role/dev/{{{{SessionName}}}}", (), T1, T1,
                    (AssociatedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", Scope("cluster")),))


def test_api_mode_ignores_aws_auth():
    x = explain_arn(SESSION, ev("API", aws_auth=cm(), entries=entries()))
    assert not x.authenticated and x.near("mode_ignored")


def test_config_map_mode_ignores_entries():
    x = explain_arn(SESSION, ev("CONFIG_MAP", entries=entries(ENTRY), aws_auth=cm("''")))
    assert not x.authenticated


def test_entry_overrides_aws_auth_in_api_and_config_map():
    x = explain_arn(SESSION, ev("API_AND_CONFIG_MAP", aws_auth=cm(), entries=entries(ENTRY)))
    assert x.matched_by == "access entry"
    assert x.username == f"arn:aws:sts::{A}:assumed-role/dev/alice-example.com"
    assert [p.name for p in x.policies] == ["AmazonEKSViewPolicy"]
    assert x.configmap.matched and any("overrides aws-auth" in r for r in x.reasons)


def test_entry_needs_the_full_arn_with_path():
    iam = IamPrincipal("dev", "role", True, ROLE_WITH_PATH, "AROAX", T0)
    stripped = AccessEntry(ROLE, "STANDARD", None, (), T1)
    x = explain(principal_from_arn(SESSION, iam=iam), ev("API", entries=entries(stripped), iam=(iam,)))
    assert not x.authenticated and x.near("entry_path")
    full = AccessEntry(ROLE_WITH_PATH, "STANDARD", None, (), T1, policies=())
    x = explain(principal_from_arn(SESSION, iam=iam), ev("API", entries=entries(full), iam=(iam,)))
    assert x.authenticated and x.entry.principal_arn == ROLE_WITH_PATH


def test_entry_of_a_recreated_role_is_stale():
    iam = IamPrincipal("dev", "role", True, ROLE, "AROANEW", T1)
    old = AccessEntry(ROLE, "STANDARD", None, (), T0, policies=())
    x = explain(principal_from_arn(SESSION, iam=iam), ev("API", entries=entries(old), iam=(iam,)))
    assert not x.authenticated and x.near("entry_stale")


def test_default_usernames_per_entry_type():
    node = AccessEntry(ROLE, "EC2_LINUX", policies=())
    x = explain_arn(f"arn:aws:sts::{A}:assumed-role/dev/i-0123456789abcdef0", ev("API", entries=entries(node)))
    assert x.username == "system:node:{{EC2PrivateDNSName}}" and x.groups == ("system:nodes",)
    fargate = AccessEntry(ROLE, "FARGATE_LINUX", policies=())
    assert explain_arn(f"arn:aws:sts::{A}:assumed-role/dev/fargate-ip-1", ev("API", entries=entries(fargate))).username == "system:node:fargate-ip-1"
    user = f"arn:aws:iam::{A}:user/bob"
    assert explain_arn(user, ev("API", entries=entries(AccessEntry(user, "STANDARD", policies=())))).username == user


def test_creator_bootstrap_in_config_map():
    creator = Creator(ROLE_WITH_PATH, "cloudtrail")
    x = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm("''"), creator=creator))
    assert (x.username, x.groups, x.matched_by) == ("kubernetes-admin", ("system:masters",), "creator bootstrap")
    # in the API modes the creator only has what its access entry gives
    assert not explain_arn(SESSION, ev("API", entries=entries(), creator=creator)).authenticated


def test_unreadable_evidence_makes_the_answer_less_certain():
    x = explain_arn(SESSION, ev("API_AND_CONFIG_MAP", entries=AccessEntries(error="AccessDeniedException"),
                                aws_auth_state="unreadable", aws_auth_note="Unauthorized (HTTP 401) as exec"))
    assert not x.authenticated and x.confidence == "possible" and len(x.unknowns) == 2


def test_json_has_the_documented_keys():
    doc = explain_arn(SESSION, ev("CONFIG_MAP", aws_auth=cm())).to_dict()
    for key in ("input_arn", "canonical_arn", "authenticated", "username", "groups", "matched_by", "access_policies", "reasons"):
        assert key in doc


@pytest.mark.parametrize("written, kind", [
    ("arn:aws:iam::999999999999:role/dev", "account"),
    (f"arn:aws-cn:iam::{A}:role/dev", "partition"),
    (f"arn:aws:iam:us-east-1:{A}:role/dev", "region"),
    (f" {ROLE} ", "quoted"),
    (f"arn:aws:iam::{A}:role/dve", ""),  # two edits away (a transposition)
    (f"arn:aws:iam::{A}:role/devs", "typo"),
    (f"arn:aws:sts::{A}:assumed-role/dev/x", "sts_form"),
    (f"arn:aws:sts::{A}:role/dev", "sts_form"),
    (f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/dev", "sso_path"),
])
def test_near_miss_kinds(written, kind):
    assert arn_near_miss(written, ROLE)[0] == kind


def test_sso_suffix_near_miss():
    old = f"arn:aws:iam::{A}:role/AWSReservedSSO_Admin_1111111111111111"
    assert arn_near_miss(old, f"arn:aws:iam::{A}:role/AWSReservedSSO_Admin_2222222222222222")[0] == "sso_suffix"


SSO_ROLE = f"arn:aws:iam::{A}:role/AWSReservedSSO_Admin_2222222222222222"


@pytest.mark.parametrize("written, canonical, kind", [
    # written much longer or shorter than the canonical ARN: found by the name it shares
    (f"arn:aws:iam::{A}:role/teams/platform/Platform-Deployer", f"arn:aws:iam::{A}:role/Platform-Deployer", "path"),
    (f"arn:aws:sts::{A}:assumed-role/Platform-Deployer/ci-run-20261123", f"arn:aws:iam::{A}:role/Platform-Deployer", "sts_form"),
    (f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_1111111111111111", SSO_ROLE, "sso_suffix"),
    (f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_2222222222222222", SSO_ROLE, "sso_path"),
    (f"arn:aws:iam::{A}:role/AWSReservedSSO_ReadOnly_2222222222222222", SSO_ROLE, ""),
    (f"arn:aws:iam::{A}:role/some-other-much-longer-role-name", f"arn:aws:iam::{A}:role/Platform-Deployer", ""),
])
def test_near_misses_of_long_names(written, canonical, kind):
    assert arn_near_miss(written, canonical)[0] == kind


def test_entries_from_cli_output_documents():
    docs = [{"accessEntries": [ROLE]},
            {"accessEntry": {"principalArn": ROLE, "type": "STANDARD", "kubernetesGroups": ["devs"], "createdAt": "2026-01-01T00:00:00Z"}},
            {"principalArn": ROLE, "associatedAccessPolicies": [
                {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                 "accessScope": {"type": "namespace", "namespaces": ["dev-*"]}}]}]
    e = entries_from_documents(docs).get(ROLE)
    assert e.groups == ("devs",) and e.policies[0].scope.covers("dev-1") and not e.policies[0].scope.covers("prod")


def test_creator_from_cloudtrail_prefers_the_session_issuer_with_its_path():
    import json
    event = {"eventName": "CreateCluster", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": {"name": "prod"},
             "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{A}:assumed-role/dev/s",
                              "sessionContext": {"sessionIssuer": {"arn": ROLE_WITH_PATH}}}}
    found = creator_from_events({"Events": [{"CloudTrailEvent": json.dumps(event)}]}, "prod", None)
    assert found.arn == ROLE_WITH_PATH
    assert creator_from_events({"Events": [{"CloudTrailEvent": json.dumps(event)}]}, "other", None) is None

"""aws-auth parsing follows the authenticator: per-key failure, per-entry validation, case rules."""
from eksdoctor.model.awsauth import parse_data

NODE = "- rolearn: arn:aws:iam::1:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"


def test_yaml_error_in_map_roles_drops_all_roles_but_keeps_users():
    broken = NODE + "- rolearn: arn:aws:iam::1:role/admin\n   username: admin\n"
    users = "- userarn: arn:aws:iam::1:user/alice\n  username: alice\n  groups: [devs]\n"
    parsed = parse_data({"mapRoles": broken, "mapUsers": users})
    assert parsed.roles == ()
    assert [u.username for u in parsed.users] == ["alice"]
    assert parsed.broken_sections() == ["mapRoles"]
    assert parsed.errors[0].line is not None


def test_field_names_are_case_insensitive_and_top_level_keys_are_not():
    parsed = parse_data({"mapRoles": "- RoleArn: arn:aws:iam::1:role/x\n  UserName: x\n"})
    assert parsed.roles[0].arn == "arn:aws:iam::1:role/x" and parsed.roles[0].username == "x"
    assert parse_data({"maproles": NODE}).roles == ()


def test_scalar_groups_become_empty_groups():
    parsed = parse_data({"mapRoles": "- rolearn: arn:aws:iam::1:role/x\n  username: x\n  groups: system:masters\n"})
    role = parsed.roles[0]
    assert role.valid and role.groups == ()
    assert any("not a list" in p for p in role.problems)


def test_entry_without_rolearn_is_dropped_alone():
    parsed = parse_data({"mapRoles": "- role_arn: arn:aws:iam::1:role/x\n  username: x\n" + NODE})
    assert [r.valid for r in parsed.roles] == [False, True]
    assert "one of rolearn or SSO must be supplied" in " ".join(parsed.roles[0].problems)


def test_map_accounts_keep_literal_text_and_empty_values_are_skipped():
    parsed = parse_data({"mapAccounts": "- 555555555555\n- '012345678901'\n", "mapUsers": "''"})
    assert parsed.accounts == ("555555555555", "012345678901")
    assert parsed.present == ("mapAccounts",)


def test_a_mapping_where_a_list_belongs_keeps_nothing():
    parsed = parse_data({"mapRoles": "rolearn: arn:aws:iam::1:role/x\n"})
    assert parsed.roles == () and parsed.broken_sections() == ["mapRoles"]


# --- More of §4.2: validation, silent mis-parses, lookup ------------------------------------------

import pytest  # noqa: E402

from eksdoctor.model.awsauth import (Session, TemplateError, arn_like, arns_in_text, lookup,  # noqa: E402
                                     render_template, reserved_prefix_error, sso_pattern)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dev"


def _roles(text, **kw):
    return parse_data({"mapRoles": text, **kw})


def test_rolearn_and_sso_together_drop_the_entry_and_bad_sso_account_too():
    parsed = _roles(f"- rolearn: {ROLE}\n  sso: {{permissionSetName: Admin, accountID: '{ACCOUNT}'}}\n  username: x\n"
                    "- sso: {permissionSetName: Admin, accountID: 111122223333}\n  username: y\n")
    assert [r.valid for r in parsed.roles] == [False, False]
    assert "only one of rolearn or SSO" in parsed.roles[0].problems[0]
    # an unquoted numeric accountID does not decode into the string field: it stays empty
    assert "AccountID '' is not a valid AWS Account ID" in " ".join(parsed.roles[1].problems)


def test_the_arn_format_itself_is_not_validated():
    parsed = _roles("- rolearn: a\n  username: '{{Session}}'\n")
    assert parsed.roles[0].valid


def test_space_out_of_place_silently_merges_two_groups():
    parsed = _roles(f"- rolearn: {ROLE}\n  username: x\n  groups:\n  - system:bootstrappers\n   - system:nodes\n")
    assert parsed.errors == ()
    assert parsed.roles[0].groups == ("system:bootstrappers - system:nodes",)


def test_map_accounts_scalar_is_an_error_and_keeps_nothing():
    parsed = parse_data({"mapAccounts": "555555555555"})
    assert parsed.accounts == () and parsed.broken_sections() == ["mapAccounts"]


def test_arns_in_text_names_who_a_broken_section_locks_out():
    text = "- rolearn: arn:aws:iam::1:role/node\n  username: n\n- rolearn: 'arn:aws:iam::1:role/admin'\n   username: a\n"
    assert arns_in_text(text) == ["arn:aws:iam::1:role/node", "arn:aws:iam::1:role/admin"]


def test_roles_are_looked_up_before_users_and_case_insensitively():
    parsed = parse_data({"mapRoles": f"- rolearn: {ROLE.upper().replace('ARN:AWS:IAM', 'arn:aws:iam')}\n  username: from-roles\n",
                         "mapUsers": f"- userarn: {ROLE}\n  username: from-users\n"})
    match = lookup(parsed, ROLE, ACCOUNT)
    assert match.via == "mapRoles[0]" and match.mapping.username == "from-roles"


def test_duplicate_roles_last_wins():
    parsed = _roles(f"- rolearn: {ROLE}\n  username: first\n- rolearn: {ROLE.replace('dev', 'DEV')}\n  username: second\n")
    match = lookup(parsed, ROLE, ACCOUNT)
    assert match.mapping.username == "second"
    assert [m.where for m in match.shadowed] == ["mapRoles[0]"]


def test_users_differing_in_case_both_survive_and_the_pick_is_ambiguous():
    user = f"arn:aws:iam::{ACCOUNT}:user/Alice"
    parsed = parse_data({"mapUsers": f"- userarn: {user}\n  username: a1\n- userarn: {user.lower()}\n  username: a2\n"})
    match = lookup(parsed, user, ACCOUNT)
    assert match.matched and len(match.ambiguous) == 1
    assert any("at random" in n for n in match.notes)


def test_the_section_is_not_checked_a_role_under_map_users_matches():
    parsed = parse_data({"mapUsers": f"- userarn: {ROLE}\n  username: r\n"})
    assert lookup(parsed, ROLE, ACCOUNT).via == "mapUsers[0]"


@pytest.mark.parametrize("written", [
    f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/session",  # config ARNs are not canonicalised
    f"arn:aws:iam::{ACCOUNT}:role/team/dev",  # a path never matches
    f"' {ROLE}'",  # whitespace inside the quotes
])
def test_rows_that_never_match(written):
    parsed = _roles(f"- rolearn: {written}\n  username: x\n")
    assert parsed.roles[0].valid
    assert not lookup(parsed, ROLE, ACCOUNT).matched


def test_map_accounts_is_an_exact_account_string_after_roles_and_users():
    parsed = parse_data({"mapAccounts": f"- '{ACCOUNT}'\n"})
    assert lookup(parsed, ROLE, ACCOUNT).via == "mapAccounts"
    assert not lookup(parsed, ROLE, "999999999999").matched


# --- §4.7 templates --------------------------------------------------------------------------------

def test_template_substitutions():
    s = Session(ACCOUNT, "alice@example.com", "ASIAEXAMPLE")
    assert render_template("{{AccountID}}:{{SessionName}}", s)[0] == f"{ACCOUNT}:alice-example.com"
    assert render_template("{{SessionNameRaw}}", s)[0] == "alice@example.com"
    assert render_template("key-{{AccessKeyID}}", s)[0] == "key-ASIAEXAMPLE"


def test_unknown_placeholders_stay_literal():
    text, notes = render_template("dev:{{Session}}:{{RoleName}}", Session(ACCOUNT, "bob"))
    assert text == "dev:{{Session}}:{{RoleName}}"
    assert len(notes) == 2 and "literal" in notes[0]


def test_ec2_private_dns_name_needs_an_instance_session():
    with pytest.raises(TemplateError, match="SessionName did not contain an instance id"):
        render_template("system:node:{{EC2PrivateDNSName}}", Session(ACCOUNT, "alice"))
    text, _ = render_template("system:node:{{EC2PrivateDNSName}}", Session(ACCOUNT, "i-0123456789abcdef0", private_dns="ip-10-0-0-1"))
    assert text == "system:node:ip-10-0-0-1"
    assert render_template("system:node:{{EC2PrivateDNSName}}", Session(ACCOUNT, "i-01234567"))[1]  # 8-char id is fine, DNS not looked up


def test_users_have_an_empty_session_name():
    assert render_template("admin:{{SessionName}}", Session(ACCOUNT, ""))[0] == "admin:"


# --- §4.8 reserved prefixes, §4.3 SSO matcher --------------------------------------------------------

def test_reserved_prefix_checks_the_rendered_username_only():
    prefixes = ("eks:",)
    assert reserved_prefix_error("eks:test", prefixes).startswith("invalid username 'eks:test'")
    assert reserved_prefix_error("eksb:test", prefixes) == ""
    rendered, _ = render_template("{{SessionName}}:masters", Session(ACCOUNT, "system"))
    assert reserved_prefix_error(rendered, ("system:",))


def test_sso_pattern_and_the_partition_bug():
    assert sso_pattern({"permissionSetName": "Admin", "accountID": ACCOUNT}) == f"arn:aws:iam::{ACCOUNT}:role/awsreservedsso_admin_*"
    assert sso_pattern({"permissionSetName": "Admin", "accountID": ACCOUNT, "partition": "aws"}).startswith("arn::iam::")


def test_arn_like_question_mark_is_zero_or_one_character():
    assert arn_like("arn:aws:iam::1:role/ab", "arn:aws:iam::1:role/a?b")
    assert arn_like("arn:aws:iam::1:role/axb", "arn:aws:iam::1:role/a?b")
    assert not arn_like("arn:aws:iam::1:role/axxb", "arn:aws:iam::1:role/a?b")


SSO_ROW = f"- sso:\n    permissionSetName: Admin\n    accountID: '{ACCOUNT}'\n  username: admin\n"
SSO_CALLER = f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Admin_0123456789abcdef"


def test_sso_rows_only_match_with_the_alpha_gate_on():
    parsed = _roles(SSO_ROW)
    off = lookup(parsed, SSO_CALLER, ACCOUNT)
    assert not off.matched and "feature gate" in off.notes[0]
    assert lookup(parsed, SSO_CALLER, ACCOUNT, sso_gate=True).via == "mapRoles[0]"


def test_sso_rows_with_a_partition_never_match_even_with_the_gate():
    parsed = _roles(SSO_ROW.replace("  username", "    partition: aws\n  username"))
    match = lookup(parsed, SSO_CALLER, ACCOUNT, sso_gate=True)
    assert not match.matched and "arn::iam" in match.notes[0]


def test_sso_permission_set_over_matches_longer_names():
    parsed = _roles(SSO_ROW)
    other = f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Admin_ReadOnly_0123456789abcdef"
    assert lookup(parsed, other, ACCOUNT, sso_gate=True).matched

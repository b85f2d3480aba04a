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

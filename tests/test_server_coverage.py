"""Every server-side check has a docs page, a fixture where it is the first finding, and a control
fixture where it is present and passes (the fixtures themselves run in test_fixtures.py)."""
import json

import pytest

from conftest import FIXTURES, ROOT

SERVER_CHECKS = [
    "principal_not_mapped", "creator_only_access", "role_path_in_aws_auth", "sso_role_in_aws_auth", "sso_role_suffix_changed",
    "wrong_section_or_arn_kind", "arn_typo_account_partition", "aws_auth_yaml_broken", "aws_auth_overwritten",
    "node_role_unmapped", "fargate_role_missing", "aws_auth_deleted", "duplicate_mapping_shadowed", "mapped_no_rbac_binding",
    "map_accounts_no_groups", "auth_mode_config_map_only", "auth_mode_api_ignores_aws_auth", "access_entry_no_permissions",
    "access_policy_scope", "access_entry_group_unbound", "access_entry_path_stripped", "access_entry_overrides_aws_auth",
    "access_entry_stale_principal_id", "access_entry_propagation_delay", "creator_unknown_or_deleted",
    "bootstrap_admin_disabled", "system_masters_risk", "console_no_k8s_access", "cross_account_principal",
    "session_name_transliteration", "oidc_idp_mismatch",
]
EXPECTS = {p.name: json.loads((p / "expect.json").read_text()) for p in FIXTURES.iterdir() if (p / "expect.json").is_file()}


@pytest.mark.parametrize("check_id", SERVER_CHECKS)
def test_check_has_docs_first_fixture_and_control(check_id):
    assert (ROOT / "docs" / "checks" / f"{check_id}.md").is_file()
    firsts = [name for name, e in EXPECTS.items() if e.get("first") == check_id and name.split("__")[0] == check_id]
    assert firsts, f"no fixture named {check_id}[__variant] where it is first"
    controls = [name for name, e in EXPECTS.items() if e.get("present", {}).get(check_id) == "pass"]
    assert controls, f"no control fixture where {check_id} passes"

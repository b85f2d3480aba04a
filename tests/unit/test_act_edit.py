"""aws-auth edits keep everything they do not touch (comments, order, formatting), never duplicate a row,
and refuse a section that does not parse; the guard refuses lint errors, lock-outs, node rows, the last admin."""
from __future__ import annotations

import pytest

from eksdoctor.act import awsauth_edit as edits
from eksdoctor.act import guard
from eksdoctor.model.access import AccessEntries, AccessEntry, AssociatedPolicy, Scope
from eksdoctor.model.awsauth import parse_data
from eksdoctor.model.identity import ClusterEvidence

A = "111122223333"
NODE = f"arn:aws:iam::{A}:role/eks-node"
ADMINS = f"arn:aws:iam::{A}:role/eks-admins"
DEV = f"arn:aws:iam::{A}:role/dev"
SEED = {  # the seed's workshop ConfigMap (003), plus a comment
    "mapRoles": f"""- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: {NODE}
  username: system:node:{{{{EC2PrivateDNSName}}}}
# the admins (break-glass)
- groups:
  - system:masters
  rolearn: {ADMINS}
  username: cluster-admin
""",
    "mapUsers": "[]\n",
}


def rows(data, section="mapRoles"):
    return [(m.arn, m.username, m.groups) for m in getattr(parse_data(data), "roles" if section == "mapRoles" else "users")]


def test_adding_a_row_appends_it_and_keeps_the_text_above_byte_for_byte():
    after = edits.apply_edits(SEED, [edits.AddRow(DEV, "dev:{{SessionName}}", ("devs",))])
    assert after["mapRoles"].startswith(SEED["mapRoles"])
    assert rows(after)[-1] == (DEV, "dev:{{SessionName}}", ("devs",))
    assert after["mapUsers"] == SEED["mapUsers"]


def test_a_user_goes_to_map_users_even_when_it_was_an_empty_list():
    user = f"arn:aws:iam::{A}:user/alice"
    after = edits.apply_edits(SEED, [edits.AddRow(user, "alice", ("system:masters",))])
    assert rows(after, "mapUsers") == [(user, "alice", ("system:masters",))]
    assert after["mapRoles"] == SEED["mapRoles"]


def test_mapping_an_arn_again_merges_into_its_row_never_a_duplicate():
    after = edits.apply_edits(SEED, [edits.AddRow(ADMINS.upper().replace("ARN:AWS:IAM", "arn:aws:iam"), "", ("ops",))])
    assert [r for r in rows(after) if r[0].casefold() == ADMINS.casefold()] == [(ADMINS, "cluster-admin", ("system:masters", "ops"))]
    assert len(rows(after)) == 2
    assert "# the admins (break-glass)" in after["mapRoles"]
    assert edits.apply_edits(after, [edits.AddRow(ADMINS, "", ("ops",))]) == after  # nothing new: unchanged


def test_removing_and_rewriting_touch_only_their_rows():
    removed = edits.apply_edits(SEED, [edits.RemoveRows((ADMINS,))])
    assert rows(removed) == [(NODE, "system:node:{{EC2PrivateDNSName}}", ("system:bootstrappers", "system:nodes"))]
    assert removed["mapRoles"].startswith(SEED["mapRoles"].split("# the admins")[0])
    pathed = f"arn:aws:iam::{A}:role/ci/deployer"
    data = edits.apply_edits(SEED, [edits.AddRow(pathed, "deployer", ("devs",))])
    fixed = edits.apply_edits(data, [edits.RewriteArn(pathed, f"arn:aws:iam::{A}:role/deployer")])
    assert rows(fixed)[-1][0] == f"arn:aws:iam::{A}:role/deployer"
    assert fixed["mapRoles"].replace("role/deployer\n", "role/ci/deployer\n") == data["mapRoles"]


def test_removing_the_last_row_leaves_an_empty_list():
    only = {"mapRoles": f"- rolearn: {DEV}\n  username: dev\n  groups: [devs]\n"}
    assert edits.apply_edits(only, [edits.RemoveRows((DEV,))])["mapRoles"] == "[]\n"


def test_flow_style_or_odd_text_falls_back_to_a_rewrite_that_means_the_same():
    flow = {"mapRoles": f'[{{"rolearn": "{NODE}", "username": "system:node:{{{{EC2PrivateDNSName}}}}", "groups": ["system:nodes"]}}]'}
    after = edits.apply_edits(flow, [edits.AddRow(DEV, "{{SessionName}}", ("devs",))])
    assert rows(after) == [(NODE, "system:node:{{EC2PrivateDNSName}}", ("system:nodes",)), (DEV, "{{SessionName}}", ("devs",))]


def test_a_section_that_does_not_parse_is_never_edited():
    broken = {"mapRoles": SEED["mapRoles"].replace("  username: cluster-admin", "   username: cluster-admin")}
    with pytest.raises(edits.EditError, match="mapRoles does not parse"):
        edits.apply_edits(broken, [edits.AddRow(DEV, "dev", ("devs",))])


def ev(mode="CONFIG_MAP", entries=()):
    return ClusterEvidence(mode=mode, entries=AccessEntries(tuple(entries), True) if mode != "CONFIG_MAP" else None,
                           aws_auth_state="read", partition="aws", account=A)


def test_guard_refuses_lint_errors_whatever_the_flags():
    after = edits.apply_edits(SEED, [edits.AddRow(f"arn:aws:iam::{A}:role/team/ops", "ops", ("ops",))])
    review = guard.review(SEED, after, ev())
    assert review.refused(force=True)
    assert any("written with its IAM path" in e for e in review.errors)


def test_guard_refuses_removing_a_node_role_or_the_last_admin_unless_forced():
    review = guard.review(SEED, edits.apply_edits(SEED, [edits.RemoveRows((NODE,))]), ev())
    assert review.refused(force=False) and not review.refused(force=True)
    assert review.dangers == (f"mapRoles[0] maps node/Fargate role {NODE}: removing it can take its nodes or pods out "
                              "of the cluster",)
    review = guard.review(SEED, edits.apply_edits(SEED, [edits.RemoveRows((ADMINS,))]), ev())
    assert any(d.startswith(f"{ADMINS} (mapRoles[1]) authenticates now and would not after") for d in review.dangers)
    assert any("removes the last cluster admin mapping" in d for d in review.dangers)


def test_guard_counts_access_entries_removing_a_migrated_row_is_safe():
    admin_entry = AccessEntry(ADMINS, "STANDARD", "cluster-admin", (), policies=(
        AssociatedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", Scope("cluster")),))
    review = guard.review(SEED, edits.apply_edits(SEED, [edits.RemoveRows((ADMINS,))]),
                          ev("API_AND_CONFIG_MAP", [admin_entry]))
    assert review == guard.Review()

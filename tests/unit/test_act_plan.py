"""Plans: the mechanism the mode allows, the ARN form each takes, partition-correct policies, never a second
entry, reserved names refused; the migration's entry per row; a finding's printed fix read back as actions."""
from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, run_cli

from eksdoctor.act import awsauth_edit as edits
from eksdoctor.act.client import APPLY_OPERATIONS
from eksdoctor.act.migrate import plan_migration
from eksdoctor.act.plan import (AssociatePolicy, CreateEntry, EditAwsAuth, GrantRequest, Manual, PlanError, Snapshot,
                                SwitchMode, UpdateEntry, grantee, plan_grant, render, steps_from_fix)
from eksdoctor.findings import FixStep
from eksdoctor.model.access import AccessEntries, AccessEntry, AssociatedPolicy, IamPrincipal, Scope
from eksdoctor.model.evidence import Target

A = "111122223333"
NODE = f"arn:aws:iam::{A}:role/eks-node"
DEPLOYER = f"arn:aws:iam::{A}:role/ci/deployer"
NODE_ROW = f"- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n"


def snap(mode="API_AND_CONFIG_MAP", entries=(), map_roles=NODE_ROW, map_users="", partition="aws", iam=None, nodes=()):
    iam = iam if iam is not None else (IamPrincipal("deployer", "role", True, DEPLOYER),
                                       IamPrincipal("eks-node", "role", True, NODE),
                                       IamPrincipal("dev", "role", True, f"arn:{partition}:iam::{A}:role/dev"))
    data = {"mapRoles": map_roles, **({"mapUsers": map_users} if map_users else {})}
    return Snapshot(Target("prod", "cn-north-1" if partition == "aws-cn" else "us-east-1", A, partition, mode), mode,
                    AccessEntries(tuple(entries), mode != "CONFIG_MAP"), {"metadata": {"resourceVersion": "7"}, "data": data},
                    node_roles=nodes, iam=iam, caller=f"arn:aws:iam::{A}:user/admin")


def grant(s, arn, **kw):
    req = GrantRequest(arn, **kw)
    return plan_grant(s, req, grantee(s, arn))


def commands(plan):
    return [c for step in plan.steps for c in step.commands(plan.target)]


def test_api_modes_grant_an_access_entry_with_the_full_arn_resolved_from_iam():
    plan = grant(snap(), f"arn:aws:sts::{A}:assumed-role/deployer/alice", policies=("AmazonEKSViewPolicy",))
    assert commands(plan) == [
        f"aws eks create-access-entry --region us-east-1 --cluster-name prod --principal-arn {DEPLOYER}",
        f"aws eks associate-access-policy --region us-east-1 --cluster-name prod --principal-arn {DEPLOYER} "
        "--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster"]
    assert f"full ARN from iam:GetRole: {DEPLOYER}" in plan.notes


def test_config_map_mode_grants_an_aws_auth_row_with_the_path_stripped():
    plan = grant(snap("CONFIG_MAP"), DEPLOYER, policies=("AmazonEKSViewPolicy",))
    add = plan.steps[0].edits[0]
    assert (add.arn, add.username, add.groups) == (f"arn:aws:iam::{A}:role/deployer", "deployer:{{SessionName}}", ("viewers",))
    assert isinstance(plan.steps[1], Manual) and plan.steps[1].command == \
        "kubectl create clusterrolebinding viewers-view --clusterrole=view --group=viewers"
    assert commands(plan)[0] == (f"eksctl create iamidentitymapping --cluster prod --region us-east-1 --arn "
                                 f"arn:aws:iam::{A}:role/deployer --username 'deployer:{{{{SessionName}}}}' --group viewers "
                                 "--no-duplicate-arns")


def test_policies_are_written_for_the_clusters_partition():
    plan = grant(snap(partition="aws-cn"), f"arn:aws-cn:iam::{A}:role/dev",
                 policies=("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",))
    assert "--policy-arn arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" in commands(plan)[1]


def test_an_existing_entry_is_updated_and_associated_never_created_again():
    existing = AccessEntry(DEPLOYER, "STANDARD", "x", ("devs",), policies=(
        AssociatedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", Scope("namespace", ("a",))),))
    plan = grant(snap(entries=[existing]), DEPLOYER, policies=("AmazonEKSViewPolicy",), namespaces=("b",),
                 groups=("devs", "ops"))
    assert plan.steps == (UpdateEntry(DEPLOYER, ("ops",)), AssociatePolicy(DEPLOYER, "AmazonEKSViewPolicy", ("a", "b")))
    assert not any(isinstance(s, CreateEntry) for s in plan.steps)
    again = grant(snap(entries=[existing]), DEPLOYER, policies=("AmazonEKSViewPolicy",), namespaces=("a",))
    assert again.steps == () and "Nothing to change" in render(again, applying=False)


@pytest.mark.parametrize("kw, message", [
    (dict(groups=("system:masters",)), "access entries refuse system: groups; use --policy AmazonEKSClusterAdminPolicy"),
    (dict(groups=("eks:admins",)), "access entries refuse groups starting with 'eks:'"),
    (dict(groups=("devs",), username="aws:ci"), "reserved prefix 'aws:'"),
    (dict(groups=("devs",), username="{{SessionName}}"), "need a ':' somewhere before {{SessionName}}"),
    (dict(policies=("AmazonEKSFancyPolicy",)), "not an EKS access policy"),
    (dict(namespaces=("dev",), groups=("devs",)), "--namespace scopes an access policy"),
])
def test_requests_eks_would_refuse_are_refused_before_anything_is_done(kw, message):
    with pytest.raises(PlanError, match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(")):
        grant(snap(), DEPLOYER, **kw)


def test_service_linked_unknown_and_unresolvable_principals_are_refused():
    slr = f"arn:aws:iam::{A}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
    with pytest.raises(PlanError, match="service-linked role"):
        grant(snap(), slr, policies=("AmazonEKSViewPolicy",))
    with pytest.raises(PlanError, match="there is no IAM role named ghost"):
        grant(snap(iam=(IamPrincipal("ghost", "role", False),)), f"arn:aws:iam::{A}:role/ghost", groups=("devs",))
    with pytest.raises(PlanError, match="cannot tell the path of role deployer"):
        grant(snap(iam=()), f"arn:aws:iam::{A}:role/deployer", groups=("devs",))


def test_an_entry_over_an_aws_auth_row_says_it_overrides_the_row():
    row = f"- rolearn: arn:aws:iam::{A}:role/deployer\n  username: d\n  groups:\n    - system:masters\n"
    plan = grant(snap(map_roles=NODE_ROW + row), DEPLOYER, policies=("AmazonEKSViewPolicy",))
    assert any("the new entry overrides that row" in w and "system:masters" in w for w in plan.warnings)


# --- migration -------------------------------------------------------------------------------------

SEED_ROWS = NODE_ROW + f"""- rolearn: arn:aws:iam::{A}:role/deployer
  username: cluster-admin
  groups:
    - system:masters
- rolearn: arn:aws:iam::{A}:role/dev
  username: "{{{{SessionName}}}}"
  groups:
    - devs
    - system:authenticated
- rolearn: arn:aws:iam::{A}:role/pods
  username: system:node:{{{{SessionName}}}}
  groups: [system:bootstrappers, system:nodes, system:node-proxier]
- rolearn: arn:aws:iam::{A}:role/team/pathed
  username: p
  groups: [devs]
"""


def test_migration_plans_one_entry_per_principal_with_the_right_type_policy_groups_and_username():
    iam = snap().iam + (IamPrincipal("pods", "role", True, f"arn:aws:iam::{A}:role/pods"),)
    plan, rows = plan_migration(snap("CONFIG_MAP", map_roles=SEED_ROWS, iam=iam), remove_rows=True)
    assert plan.steps[0] == SwitchMode("API_AND_CONFIG_MAP", "CONFIG_MAP")
    assert plan.steps[1:] == (
        CreateEntry(f"arn:aws:iam::{A}:user/admin"), AssociatePolicy(f"arn:aws:iam::{A}:user/admin", "AmazonEKSClusterAdminPolicy"),
        CreateEntry(NODE, "EC2_LINUX"),
        CreateEntry(DEPLOYER, "STANDARD", (), "cluster-admin"), AssociatePolicy(DEPLOYER, "AmazonEKSClusterAdminPolicy"),
        CreateEntry(f"arn:aws:iam::{A}:role/dev", "STANDARD", ("devs",), None),
        CreateEntry(f"arn:aws:iam::{A}:role/pods", "FARGATE_LINUX"),
        EditAwsAuth((edits.RemoveRows((f"arn:aws:iam::{A}:role/deployer", f"arn:aws:iam::{A}:role/dev")),)),
    )
    notes = "\n".join(plan.notes)
    assert "mapRoles[4] arn:aws:iam::111122223333:role/team/pathed: not migrated: this row never matches anyone" in notes
    assert "mapRoles[2]: groups system:authenticated are reserved" in notes
    assert "mapRoles[2]: username '{{SessionName}}' is not allowed in an access entry" in notes
    assert f"mapRoles[1]: arn:aws:iam::{A}:role/deployer → {DEPLOYER} (full ARN from IAM)" in notes
    assert "node/Fargate rows stay in aws-auth" in notes
    assert [r.entry_type for r in rows if not r.skipped] == ["EC2_LINUX", "STANDARD", "STANDARD", "FARGATE_LINUX"]


def test_migration_skips_what_is_in_place_so_a_rerun_changes_nothing():
    entries = [AccessEntry(NODE, "EC2_LINUX"), AccessEntry(DEPLOYER, "STANDARD", "cluster-admin", policies=(
        AssociatedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", Scope("cluster")),))]
    row = f"- rolearn: arn:aws:iam::{A}:role/deployer\n  username: cluster-admin\n  groups: [system:masters]\n"
    plan, _ = plan_migration(snap(entries=entries, map_roles=NODE_ROW + row), remove_rows=False)
    assert plan.steps == ()
    wrong = [AccessEntry(NODE, "STANDARD")]
    plan, _ = plan_migration(snap(entries=wrong), remove_rows=False)
    assert plan.steps == () and "the type cannot change" in plan.problems[0]


def test_a_managed_nodegroup_role_and_a_windows_one_get_their_types():
    win = f"arn:aws:iam::{A}:role/win-nodes"
    rows = NODE_ROW + f"- rolearn: {win}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]\n"
    iam = snap().iam + (IamPrincipal("win-nodes", "role", True, win),)
    plan, _ = plan_migration(snap(map_roles=rows, iam=iam, nodes=(("nodegroup", "ng-1", NODE),)), remove_rows=False)
    assert plan.steps == (CreateEntry(NODE, "EC2_LINUX"), CreateEntry(win, "EC2_WINDOWS"))


# --- a finding's fix -------------------------------------------------------------------------------

def fix_of(name: str):
    out = run_cli("analyze", str(FIXTURES / name / "bundle.json"), "-o", "json").json()
    first = out["findings"][0]
    t = Target(out["target"]["cluster"] or "prod", out["target"]["region"] or "us-east-1", "", "aws", None)
    return first["id"], steps_from_fix(tuple(FixStep(**s) for s in first["fix"]), t)


def test_printed_fixes_become_the_actions_eksdoctor_can_take_itself():
    assert fix_of("access_entry_no_permissions") == ("access_entry_no_permissions", [AssociatePolicy(
        f"arn:aws:iam::{A}:role/data-eng", "AmazonEKSViewPolicy", (), "cluster admin")])
    found, steps = fix_of("sso_role_in_aws_auth")
    assert steps == [EditAwsAuth((edits.RewriteArn(
        f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Admin_0123456789abcdef",
        f"arn:aws:iam::{A}:role/AWSReservedSSO_Admin_0123456789abcdef"),), "cluster admin")]
    found, steps = fix_of("principal_not_mapped")
    assert [type(s) for s in steps] == [CreateEntry, AssociatePolicy]


def test_a_fix_eksdoctor_cannot_perform_safely_is_printed_not_run():
    found, steps = fix_of("aws_auth_yaml_broken")
    assert found == "aws_auth_yaml_broken" and all(isinstance(s, Manual) for s in steps)
    assert "for cluster admin to run" in render(__import__("eksdoctor.act.plan", fromlist=["Plan"]).Plan(
        "x", Target("prod", "us-east-1", A, "aws", "CONFIG_MAP"), tuple(steps)), applying=False)


# --- the apply policy ------------------------------------------------------------------------------

def test_the_documented_apply_policy_grants_exactly_what_the_apply_path_may_call():
    from conftest import ROOT
    policy = json.loads((ROOT / "docs" / "iam-policy-apply.json").read_text())
    allowed = {a for s in policy["Statement"] if s["Sid"] != "EksdoctorApplyNodeEntries" for a in s["Action"]}
    assert allowed == set(APPLY_OPERATIONS)


def test_diagnose_stays_read_only_the_writes_are_only_on_the_apply_path():
    from conftest import ROOT
    from eksdoctor.act.client import WRITES
    from eksdoctor.collect.aws import READ_OPERATIONS
    read_only = json.loads((ROOT / "docs" / "iam-policy.json").read_text())["Statement"]
    assert [s["Effect"] for s in read_only] == ["Allow"] and set(read_only[0]["Action"]) == set(READ_OPERATIONS)
    assert READ_OPERATIONS.isdisjoint(WRITES)
    verbs = ("Create", "Update", "Associate", "Disassociate", "Delete", "Put", "Tag", "Untag", "Attach", "Detach")
    assert [a for a in READ_OPERATIONS if a.split(":")[1].startswith(verbs)] == []


def test_the_apply_path_refuses_any_other_operation_before_sending_it(monkeypatch):
    from eksdoctor.act.client import ApplyClient, AwsError
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a sent call would fail differently
    client = ApplyClient(None, "us-east-1")
    with pytest.raises(AwsError, match="eksdoctor refused to call eks:DeleteAccessEntry"):
        client.call("eks", "DeleteAccessEntry", clusterName="prod", principalArn=NODE)
    assert client.calls == []


def test_granting_more_to_an_aws_auth_row_merges_and_says_how_with_eksctl():
    row = f"- rolearn: arn:aws:iam::{A}:role/dev\n  username: dev\n  groups: [devs]\n"
    plan = grant(snap("CONFIG_MAP", map_roles=NODE_ROW + row), f"arn:aws:iam::{A}:role/dev", groups=("ops",))
    assert commands(plan) == [
        f"eksctl delete iamidentitymapping --cluster prod --region us-east-1 --arn arn:aws:iam::{A}:role/dev --all",
        f"eksctl create iamidentitymapping --cluster prod --region us-east-1 --arn arn:aws:iam::{A}:role/dev "
        "--username dev --group devs --group ops --no-duplicate-arns"]
    assert "already has an aws-auth row (mapRoles[1]): it is merged" in plan.notes[-1]


def test_a_break_glass_or_alternative_step_is_printed_for_a_person_to_decide():
    t = Target("prod", "us-east-1", A, "aws", "API_AND_CONFIG_MAP")
    fix = (FixStep(f"aws eks create-access-entry --region us-east-1 --cluster-name prod --principal-arn {NODE}",
                   "cluster admin", "break-glass if nobody mapped can log in: access entries do not depend on aws-auth"),
           FixStep(f"aws eks associate-access-policy --region us-east-1 --cluster-name prod --principal-arn {NODE} "
                   "--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy --access-scope type=cluster",
                   "cluster admin", "gives the break-glass entry cluster-admin rights"))
    assert [type(s) for s in steps_from_fix(fix, t)] == [Manual, Manual]
    assert [type(s) for s in steps_from_fix(fix[1:], t)] == [AssociatePolicy]

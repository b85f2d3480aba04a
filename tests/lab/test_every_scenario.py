"""Every scenario, one `diagnose --all --admin-profile admin` each, checked two ways against the servers:

- read-only, provably: every AWS operation and Kubernetes verb the run issued, as the lab's servers
  recorded them (not as eksdoctor reports them), is in a read-only allow-list, and every AWS operation
  is granted by docs/iam-policy.json;
- `eksdoctor explain --bundle B --arn P` agrees with the stand-in's authenticator (authn.map_identity,
  the independent implementation) on authenticated / username / groups for every principal the lab knows.
"""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT

from . import authn
from .scenario import PROFILES, SCENARIOS, SSO_ROLE, role_arn
from .state import ACCOUNT
from .world import World, run_eksdoctor, run_shell

pytestmark = pytest.mark.lab

# The read-only allow-list (issue 10). AssumeRole only for a role the kubeconfig or its profile names.
READ_PREFIXES = ("Describe", "List", "Get", "Lookup")
READ_ACTIONS = {"StartQuery", "GetQueryResults", "FilterLogEvents", "SimulatePrincipalPolicy", "GetCallerIdentity"}
KUBE_READS = {"get", "list"}
SELF_REVIEWS = {"selfsubjectreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"}

NODE_SESSION = "i-0123456789abcdef0"
PRINCIPALS = {
    "alice": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "dev as alice": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice",
    "dev via get-token --role-arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/EKSGetTokenAuth",
    "dev as an e-mail": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice@example.com",   # {{SessionName}}: @ -> -
    "sso session": f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ROLE}/alice@example.com",
    "admin": f"arn:aws:iam::{ACCOUNT}:user/admin",
    "node": f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-node/{NODE_SESSION}",
}
NODE_DNS = "{{EC2PrivateDNSName}}"  # eksdoctor cannot resolve it (ec2:DescribeInstances); the lab's node is fake


def assumable(scenario) -> set[str]:
    """Roles the user's kubeconfig asks to assume: its --role-arn, or its profile's role_arn."""
    k = scenario.kubeconfig
    roles = {role_arn(k.role)} if k.role else set()
    profile = next(p for p in PROFILES if p.name == (k.profile or "default"))
    if profile.role:
        roles.add(role_arn(profile.role))
    return roles


def aws_allowed(record: dict, roles: set[str]) -> bool:
    op = record["operation"]
    return op.startswith(READ_PREFIXES) or op in READ_ACTIONS or (op == "AssumeRole" and record.get("role_arn") in roles)


def kube_allowed(record: dict) -> bool:
    return record["verb"] in KUBE_READS or (record["verb"] == "create" and record["resource"] in SELF_REVIEWS)


def policy_actions() -> set[str]:
    policy = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
    return {a for s in policy["Statement"] for a in s["Action"]}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def diagnosed(request, kubectl, tmp_path_factory):
    """(world, records the servers saw during diagnose, saved bundle path); the world stops after the module."""
    world = World(SCENARIOS[request.param], tmp_path_factory.mktemp(request.param)).start()
    try:
        shutil.rmtree(world.home / ".aws" / "cli" / "cache", ignore_errors=True)
        mark = len(world.switch.seen)
        bundle = world.tmp / "bundle.json"
        run = run_eksdoctor(world, "diagnose", "--all", "--admin-profile", "admin", "-o", "json",
                            "--save-bundle", str(bundle))
        assert run.code in (0, 1, 3) and "Traceback" not in run.err, run.err
        seen = [r for r in world.switch.seen[mark:] if r["origin"] != "lab"]
        yield world, seen, bundle
    finally:
        world.stop()


def test_diagnose_issues_only_reads(diagnosed):
    world, seen, _ = diagnosed
    roles = assumable(world.scenario)
    aws = [r for r in seen if r["service"] != "kubernetes"]
    kube = [r for r in seen if r["service"] == "kubernetes"]
    assert {"DescribeCluster", "GetCallerIdentity"} <= {r["operation"] for r in aws}     # the recorder sees them
    assert any(r["path"] == "/api" for r in kube)
    assert [f"{r['service']}:{r['operation']}" for r in aws if not aws_allowed(r, roles)] == []
    assert [f"{r['verb']} {r['path']}" for r in kube if not kube_allowed(r)] == []
    assert {f"{r['service']}:{r['operation']}" for r in aws} - policy_actions() == set()


def test_a_write_would_be_caught(lab):
    """The recorder sees what the allow-list forbids: eksdoctor's own fix (a write) run in the lab."""
    world = lab("unmapped_role")
    mark = len(world.switch.seen)
    run = run_shell(world, f"aws eks create-access-entry --cluster-name prod --principal-arn {role_arn('dev')}",
                    admin=True)
    assert run.code == 0, run.err
    writes = [r for r in world.switch.seen[mark:] if r["service"] == "eks"]
    assert [r["operation"] for r in writes] == ["CreateAccessEntry"]
    assert not aws_allowed(writes[0], assumable(world.scenario))


def server_says(world: World, arn: str) -> dict:
    """The stand-in's decision for a verified caller with this ARN (its IAM unique ID looked up in moto)."""
    iam = world.lab_client("iam")
    kind, _, rest = arn.split(":", 5)[5].partition("/")
    if kind == "assumed-role":
        name, session = rest.split("/")
        user_id = iam.get_role(RoleName=name)["Role"]["RoleId"]
    else:
        name, session = rest, ""
        user_id = iam.get_user(UserName=name)["User"]["UserId"]
    canonical, _ = authn.canonicalize(arn)
    ident = authn.Identity(arn=arn, canonical_arn=canonical, account=ACCOUNT, user_id=user_id, session_name=session,
                           access_key_id="ASIALABEXPLAIN000000", sts_endpoint="sts.us-east-1.amazonaws.com")
    try:
        mapped = world.kube.api.map(ident)
    except authn.AuthError as exc:
        return {"authenticated": False, "error": str(exc)}
    return {"authenticated": True, "username": mapped.username, "groups": mapped.groups}


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_explain_agrees_with_the_server(diagnosed, who):
    world, _, bundle = diagnosed
    arn = PRINCIPALS[who]
    run = run_eksdoctor(world, "explain", "--bundle", str(bundle), "--arn", arn, "-o", "json")
    assert run.code == 0, run.err
    ours = run.json()
    server = server_says(world, arn)
    assert ours["authenticated"] == server["authenticated"], (who, server, ours["reasons"])
    if server["authenticated"]:
        username = ours["username"]
        if NODE_DNS in username:   # known and documented: the private DNS name needs ec2:DescribeInstances
            username = username.replace(NODE_DNS, server["username"].split("system:node:", 1)[-1])
        assert (username, ours["groups"]) == (server["username"], server["groups"]), (who, ours["reasons"])

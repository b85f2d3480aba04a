"""The commands that change things, in the lab: `grant` and `migrate` against the AWS front and the Kubernetes
stand-in, with the real kubectl checking the result. What is asserted is what a user sees (the plan, exit codes,
backup files) and the lab's state afterwards."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

import pytest
import yaml

from .scenario import DEV_ARN, DEVS_CAN_EDIT, NODE_ROLE_ARN, Kubeconfig, Scenario, map_roles
from .state import ACCOUNT
from .world import TRUST, VENV_BIN, World, run_kubectl, run_shell

pytestmark = pytest.mark.lab

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"  # created with the path /ci/
PODS = f"arn:aws:iam::{ACCOUNT}:role/pods"
NO_PODS = "No resources found in default namespace."


@pytest.fixture
def world(kubectl, tmp_path):
    """world(scenario) starts a world for a Scenario made here (stopped when the test ends)."""
    started: list[World] = []

    def start(scenario: Scenario) -> World:
        w = World(scenario, tmp_path / scenario.name)
        started.append(w)
        return w.start()

    yield start
    for w in started:
        w.stop()


def config_map_world(world, name: str, aws_auth: dict | None = None) -> World:
    return world(Scenario(name, "CONFIG_MAP, aws-auth with the node role only", auth_mode="CONFIG_MAP",
                          aws_auth=aws_auth or map_roles(), rbac=DEVS_CAN_EDIT, kubeconfig=Kubeconfig(profile="dev")))


def aws_auth(w: World) -> dict:
    with w.cluster.lock:
        return json.loads(json.dumps(w.cluster.objects["configmaps"][("kube-system", "aws-auth")]))


def entries(w: World) -> dict:
    with w.cluster.lock:
        return {arn: (e.type, list(e.groups), e.username, sorted(p.rsplit("/", 1)[-1] for p in e.policies))
                for arn, e in w.cluster.access_entries.items()}


def eksdoctor(w: World, *args: str, stdin: str = "", env: dict | None = None):
    """eksdoctor as the admin runs it in the world, with `stdin` as the answers to its questions."""
    proc = subprocess.run([str(VENV_BIN / "eksdoctor"), *args], input=stdin, capture_output=True, text=True, timeout=180,
                          cwd=w.tmp, env=w._env(False, {"NO_COLOR": "1", "COLUMNS": "200", **(env or {})}))
    return proc


def kubectl_works(w: World) -> bool:
    run = run_kubectl(w, "get", "pods")
    return (run.code, run.err.strip()) == (0, NO_PODS)


# --- grant ----------------------------------------------------------------------------------------------

GRANT_DEV = ("grant", "--cluster", "prod", "--profile", "admin", "--arn", f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/alice",
             "--policy", "AmazonEKSViewPolicy")


def test_grant_prints_the_plan_changes_nothing_without_apply_and_then_makes_kubectl_work(world):
    from .scenario import SCENARIOS
    w = world(SCENARIOS["unmapped_role"])
    before = entries(w)

    dry = eksdoctor(w, *GRANT_DEV)
    assert dry.returncode == 0, dry.stderr
    assert f"  1. create an access entry for {DEV_ARN} (STANDARD)" in dry.stdout
    assert (f"aws eks associate-access-policy --region us-east-1 --cluster-name prod --principal-arn {DEV_ARN} "
            "--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster") in dry.stdout
    assert "Dry run: nothing was changed." in dry.stdout
    assert entries(w) == before

    declined = eksdoctor(w, *GRANT_DEV, "--apply")  # no terminal, no answer: no
    assert declined.returncode == 1 and "Nothing was changed." in declined.stdout
    assert entries(w) == before

    applied = eksdoctor(w, *GRANT_DEV, "--apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Verified: a session of" in applied.stdout
    assert entries(w)[DEV_ARN] == ("STANDARD", [], f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/{{{{SessionName}}}}",
                                   ["AmazonEKSViewPolicy"])
    assert kubectl_works(w)

    again = eksdoctor(w, *GRANT_DEV, "--apply", "--yes")
    assert again.returncode == 0 and "Nothing to change: it is already in place." in again.stdout
    assert "already has an access entry (STANDARD): it is updated, never created again" in again.stdout


def test_grant_refuses_what_eks_would_refuse_with_exit_2(world):
    w = config_map_world(world, "refusals")
    bad = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn",
                    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
                    "--policy", "AmazonEKSViewPolicy")
    assert (bad.returncode, bad.stderr.strip()) == (2, f"eksdoctor: error: arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                                                       "eks.amazonaws.com/AWSServiceRoleForAmazonEKS is a service-linked "
                                                       "role: it cannot be granted cluster access (use a regular role)")
    ghost = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn", f"arn:aws:iam::{ACCOUNT}:role/ghost",
                      "--group", "devs")
    assert (ghost.returncode, ghost.stderr.strip()) == (2, f"eksdoctor: error: there is no IAM role named ghost in account {ACCOUNT}")


def test_grant_in_config_map_mode_lints_backs_up_writes_and_verifies_aws_auth(world):
    w = config_map_world(world, "cm_grant")
    original = aws_auth(w)
    assert not kubectl_works(w)
    run = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn", DEV_ARN, "--group", "devs",
                    "--apply", "--yes", "--backup-dir", "backups")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"mode CONFIG_MAP: an aws-auth row (path-less ARN {DEV_ARN})" in run.stdout
    backup_line = next(line for line in run.stdout.splitlines() if "backup: " in line)
    path = backup_line.split("backup: ")[1].split("  (restore")[0]
    assert backup_line.endswith(f"(restore: kubectl replace -f {path})")
    saved = yaml.safe_load((w.tmp / path).read_text())
    assert saved["data"] == original["data"] and "resourceVersion" not in saved["metadata"]
    assert f"aws-auth written (resourceVersion {aws_auth(w)['metadata']['resourceVersion']}) and read back identical" in run.stdout
    assert aws_auth(w)["data"]["mapRoles"].startswith(original["data"]["mapRoles"])  # the node row untouched
    assert kubectl_works(w)
    assert f"Verified: a session of {DEV_ARN} now authenticates by mapRoles[1] as dev:eksdoctor in devs." in run.stdout

    restore = run_shell(w, f"kubectl replace -f {path}", admin=True)     # the printed restore command works
    assert restore.code == 0, restore.err
    assert aws_auth(w)["data"] == original["data"]


def test_a_lint_error_already_in_aws_auth_refuses_every_write(world):
    from .scenario import SCENARIOS
    w = world(SCENARIOS["sso_role_path"])
    before = aws_auth(w)
    run = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn", DEV_ARN, "--group", "devs",
                    "--apply", "--yes", "--backup-dir", "backups")
    assert run.returncode == 1
    assert "cannot: aws-auth: mapRoles[1]: rolearn" in run.stdout and "(already there before this change: fix it first)" in run.stdout
    assert run.stdout.rstrip().endswith("Refused: nothing was changed.")
    assert aws_auth(w) == before and not (w.tmp / "backups").exists()


def other_admin_edits_aws_auth(w: World) -> None:
    """What another admin's `kubectl edit` does to the stored object: a new row and a new resourceVersion."""
    with w.cluster.lock:
        cm = w.cluster.objects["configmaps"][("kube-system", "aws-auth")]
        cm["data"]["mapUsers"] = f"- userarn: {ALICE}\n  username: alice\n  groups:\n    - devs\n"
        cm["metadata"]["resourceVersion"] = w.cluster.next_version()


def race_on_first_put(w: World) -> list:
    """Make the stand-in apply another admin's edit just before eksdoctor's first PUT of aws-auth lands."""
    original, fired = w.kube.api.resource, []

    def resource(method, a, body, user):
        if method == "PUT" and a.resource == "configmaps" and a.name == "aws-auth" and not fired:
            fired.append(True)
            other_admin_edits_aws_auth(w)
        return original(method, a, body, user)
    w.kube.api.resource = resource
    return fired


def test_a_concurrent_edit_is_replanned_and_confirmed_again_never_overwritten(world):
    w = config_map_world(world, "conflict")
    fired = race_on_first_put(w)
    run = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn", DEV_ARN, "--group", "devs",
                    "--apply", "--yes")
    assert fired and run.returncode == 0, run.stdout + run.stderr
    assert "conflict: aws-auth changed between reading and writing (attempt 1); nothing was overwritten" in run.stdout
    assert "someone else edited it. Re-planned on the current version:" in run.stdout
    data = aws_auth(w)["data"]
    assert ALICE in data["mapUsers"] and DEV_ARN in data["mapRoles"] and NODE_ROLE_ARN in data["mapRoles"]
    assert kubectl_works(w)


def test_a_concurrent_edit_is_not_written_over_when_the_new_plan_is_not_confirmed(world):
    w = config_map_world(world, "conflict_declined")
    race_on_first_put(w)
    run = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", "--arn", DEV_ARN, "--group", "devs",
                    "--apply", stdin="y\n")   # yes to the plan; no answer to the re-planned one
    assert run.returncode == 1
    assert "Write this instead?" in run.stdout
    assert "FAILED: not written: the new plan was not confirmed (nothing was overwritten)" in run.stdout
    data = aws_auth(w)["data"]
    assert ALICE in data["mapUsers"] and DEV_ARN not in data["mapRoles"]


def test_writers_racing_on_aws_auth_lose_no_mapping(world):
    w = config_map_world(world, "race")
    grants = [("--arn", DEV_ARN, "--group", "devs"), ("--arn", ALICE, "--group", "devs"),
              ("--arn", f"arn:aws:iam::{ACCOUNT}:role/eks-cluster", "--group", "ops"),
              ("--arn", f"arn:aws:iam::{ACCOUNT}:user/admin", "--group", "ops")]
    results: list = [None] * len(grants)

    def run(i):
        results[i] = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "admin", *grants[i], "--apply", "--yes",
                               "--backup-dir", f"backups-{i}")
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(grants))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0] * len(grants), "\n\n".join(
        f"exit {r.returncode}\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}" for r in results)
    data = aws_auth(w)["data"]
    mapped = data["mapRoles"] + data.get("mapUsers", "")
    for g in grants:
        assert g[1] in mapped
    assert mapped.count("rolearn:") + mapped.count("userarn:") == len(grants) + 1   # + the node role, no duplicates
    assert kubectl_works(w)


# --- migrate --------------------------------------------------------------------------------------------

MIGRATE = ("migrate", "--cluster", "prod", "--profile", "admin")


def migration_world(world) -> World:
    rows = map_roles((DEV_ARN, "dev:{{SessionName}}", ("devs",)), (DEPLOYER, "cluster-admin", ("system:masters",)),
                     (PODS, "system:node:{{SessionName}}", ("system:bootstrappers", "system:nodes", "system:node-proxier")))
    rows["mapUsers"] = f"- userarn: {ALICE}\n  username: alice\n  groups:\n    - devs\n"
    w = config_map_world(world, "migrate", rows)
    iam = w.lab_client("iam")
    iam.create_role(RoleName="deployer", Path="/ci/", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="pods", AssumeRolePolicyDocument=TRUST)
    return w


def test_migrate_is_a_dry_run_and_never_switches_the_mode_without_both_flags(world):
    w = migration_world(world)
    dry = eksdoctor(w, *MIGRATE)
    assert dry.returncode == 0, dry.stderr
    assert "1. switch the authentication mode from CONFIG_MAP to API_AND_CONFIG_MAP (ONE-WAY" in dry.stdout
    assert f"mapRoles[2]: {DEPLOYER} → arn:aws:iam::{ACCOUNT}:role/ci/deployer (full ARN from IAM)" in dry.stdout
    assert f"create an access entry for {PODS} (FARGATE_LINUX)" in dry.stdout
    assert "mapRoles[2]: system:masters becomes AmazonEKSClusterAdminPolicy at cluster scope" in dry.stdout
    assert w.cluster.auth_mode == "CONFIG_MAP" and entries(w) == {}
    assert not (w.tmp / "eksdoctor-migrate-prod.json").exists()

    refused = eksdoctor(w, *MIGRATE, "--apply", "--yes")
    assert refused.returncode == 1
    assert "switching from CONFIG_MAP is ONE-WAY" in refused.stdout and "--switch-mode and --yes" in refused.stdout
    unconfirmed = eksdoctor(w, *MIGRATE, "--apply", "--switch-mode")
    assert unconfirmed.returncode == 1
    assert w.cluster.auth_mode == "CONFIG_MAP" and entries(w) == {}


def test_migrate_resumes_after_a_crash_verifies_removes_the_rows_and_then_changes_nothing(world):
    w = migration_world(world)
    state = w.tmp / "eksdoctor-migrate-prod.json"
    full = (*MIGRATE, "--apply", "--yes", "--switch-mode", "--remove-aws-auth-rows", "--backup-dir", "backups")

    w.switch.cut_at("CreateAccessEntry", 3)     # step 5's write is held by the lab…
    crashing = subprocess.Popen([str(VENV_BIN / "eksdoctor"), *full], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=w.tmp, env=w._env(False, {"NO_COLOR": "1"}), start_new_session=True)
    try:
        assert w.switch.cut_reached.wait(150), "migrate never reached its fifth step"
    finally:
        os.killpg(crashing.pid, signal.SIGKILL)  # …while eksdoctor dies: no clean-up, no further output
        crashing.communicate()
    journal = json.loads(state.read_text())
    assert [d["key"] for d in journal["done"]] == [
        "switch-mode API_AND_CONFIG_MAP", f"create-access-entry arn:aws:iam::{ACCOUNT}:user/admin",
        f"associate-access-policy arn:aws:iam::{ACCOUNT}:user/admin AmazonEKSClusterAdminPolicy type=cluster",
        f"create-access-entry {NODE_ROLE_ARN}"]
    assert w.cluster.auth_mode == "API_AND_CONFIG_MAP"
    assert set(entries(w)) == {f"arn:aws:iam::{ACCOUNT}:user/admin", NODE_ROLE_ARN}
    assert DEV_ARN in aws_auth(w)["data"]["mapRoles"]             # nothing removed before verification

    journal["done"] = journal["done"][:1]        # the journal may even lag behind what was done
    state.write_text(json.dumps(journal))
    resumed = eksdoctor(w, *full)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming the migration recorded in" in resumed.stdout
    assert "1 step(s) done in earlier runs" in resumed.stdout
    assert f"create an access entry for {NODE_ROLE_ARN}" not in resumed.stdout   # found in place, not planned again
    for line in (f"ok   {DEV_ARN}: dev:eksdoctor in devs",
                 f"ok   arn:aws:iam::{ACCOUNT}:role/ci/deployer: cluster-admin in no groups, AmazonEKSClusterAdminPolicy",
                 f"ok   {PODS}: system:node:eksdoctor in system:nodes", f"ok   {ALICE}: alice in devs"):
        assert line in resumed.stdout
    assert entries(w) == {
        f"arn:aws:iam::{ACCOUNT}:user/admin": ("STANDARD", [], f"arn:aws:iam::{ACCOUNT}:user/admin", ["AmazonEKSClusterAdminPolicy"]),
        NODE_ROLE_ARN: ("EC2_LINUX", ["system:nodes"], "system:node:{{EC2PrivateDNSName}}", []),  # EKS adds the group
        DEV_ARN: ("STANDARD", ["devs"], "dev:{{SessionName}}", []),
        f"arn:aws:iam::{ACCOUNT}:role/ci/deployer": ("STANDARD", [], "cluster-admin", ["AmazonEKSClusterAdminPolicy"]),
        PODS: ("FARGATE_LINUX", ["system:nodes"], "system:node:{{SessionName}}", []),
        ALICE: ("STANDARD", ["devs"], "alice", []),
    }
    data = aws_auth(w)["data"]
    assert DEV_ARN not in data["mapRoles"] and DEPLOYER not in data["mapRoles"] and data["mapUsers"] == "[]\n"
    assert NODE_ROLE_ARN in data["mapRoles"] and PODS in data["mapRoles"]    # node/Fargate rows stay without --force
    assert len(list((w.tmp / "backups").glob("aws-auth-backup-*.yaml"))) == 1
    assert kubectl_works(w)                      # dev now gets in through its access entry alone
    assert json.loads(state.read_text())["phase"] == "complete"

    version, before = aws_auth(w)["metadata"]["resourceVersion"], entries(w)
    again = eksdoctor(w, *full)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to change: it is already in place." in again.stdout
    assert aws_auth(w)["metadata"]["resourceVersion"] == version and entries(w) == before


def test_grant_in_config_map_mode_stops_when_aws_auth_cannot_be_read(world):
    w = config_map_world(world, "cm_unreadable")
    before = aws_auth(w)
    run = eksdoctor(w, "grant", "--cluster", "prod", "--profile", "dev", "--arn", ALICE, "--group", "devs",
                    "--apply", "--yes", "--backup-dir", "backups")
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stdout.startswith("eksdoctor: mode CONFIG_MAP grants through aws-auth, which cannot be read as "), run.stdout
    assert aws_auth(w) == before and not (w.tmp / "backups").exists()

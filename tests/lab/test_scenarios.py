"""End to end: each scenario's world, the real kubectl's real output, and the fix applied in the lab
with the real AWS CLI / kubectl, after which kubectl works."""
from __future__ import annotations

import json
import shlex

import pytest

from .scenario import DEV_ARN, SCENARIOS, SSO_ARN
from .state import ACCOUNT
from .world import run_eksdoctor, run_kubectl, run_shell

pytestmark = pytest.mark.lab

# kubectl 1.35 fails in discovery first when nothing is cached, and prints the client-side wording;
# with a warm discovery cache the server's Status message ("Unauthorized") reaches the user.
UNAUTHORIZED_COLD = "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
UNAUTHORIZED_WARM = "error: You must be logged in to the server (Unauthorized)"
NO_PODS = "No resources found in default namespace."


def last_line(run) -> str:
    return run.err.strip().splitlines()[-1]


def assert_kubectl_works(world) -> None:
    run = run_kubectl(world, "get", "pods")
    assert (run.code, run.err.strip()) == (0, NO_PODS)


def assert_unauthorized(world) -> None:
    run = run_kubectl(world, "get", "pods")
    assert run.code == 1
    assert last_line(run) == UNAUTHORIZED_COLD


def denied(world) -> list[str]:
    return [line for line in world.cluster.authenticator_log if 'msg="access denied"' in line]


def whoami(world) -> dict:
    run = run_kubectl(world, "auth", "whoami", "-o", "json")
    assert run.code == 0, run.err
    return run.json()["status"]["userInfo"]


def diagnose(world) -> tuple[object, dict, dict]:
    """`eksdoctor diagnose` in the world as the user would run it: (run, diagnosis, saved bundle)."""
    bundle = world.tmp / "bundle.json"
    run = run_eksdoctor(world, "diagnose", "--output", "json", "--admin-profile", "admin",
                        "--save-bundle", str(bundle))
    assert run.code in (0, 1, 3), run.err
    return run, run.json(), json.loads(bundle.read_text())


def assert_eksdoctor_sees_the_401(world) -> dict:
    """What kubectl got is what eksdoctor's probe got, and it does not call the cluster healthy."""
    run, diagnosis, bundle = diagnose(world)
    assert bundle["kubernetes"]["probe"][0]["response"]["status"] == 401
    assert diagnosis["summary"]["verdict"] != "healthy" and run.code != 0
    return diagnosis


def apply_fix(world, finding: dict, *only: str) -> None:
    """Run the finding's fix commands exactly as eksdoctor printed them (all, or those starting with one of
    `only`), in order, each as whoever it names; every one must succeed."""
    steps = [s for s in finding["fix"] if not only or s["command"].startswith(only)]
    assert steps, finding["fix"]
    for step in steps:
        run = run_shell(world, step["command"], admin=step["run_as"] != "affected user")
        assert run.code == 0, (step["command"], run.err)


def test_healthy_user(lab):
    world = lab("healthy")
    assert_kubectl_works(world)
    me = whoami(world)
    assert me["username"] == "dev:alice"
    assert me["groups"] == ["devs", "system:authenticated"]
    assert me["extra"]["canonicalArn"] == [DEV_ARN]
    assert denied(world) == []

    run, diagnosis, bundle = diagnose(world)
    assert bundle["local"]["kubeconfig"]["current_context"] == "prod"      # update-kubeconfig --alias prod
    assert run.code == 0 and diagnosis["summary"]["verdict"] == "healthy"
    assert [f["id"] for f in diagnosis["findings"] if f["status"] == "fail"] == []
    assert bundle["kubernetes"]["probe"][0]["response"]["status"] == 200


def test_unmapped_role_then_eksdoctors_access_entry_fix(lab):
    world = lab("unmapped_role")
    assert_unauthorized(world)
    assert f'arn={DEV_ARN}' in denied(world)[-1] and 'error="identity is not mapped"' in denied(world)[-1]

    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("principal_not_mapped", "fail")
    apply_fix(world, first)           # read-only looks as the admin, then create-access-entry + associate-access-policy
    assert_kubectl_works(world)
    # the entry's default username; `--role-arn` in get-token uses the session name EKSGetTokenAuth
    assert whoami(world)["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/EKSGetTokenAuth"


def test_sso_role_mapped_with_its_path_then_eksdoctors_rewrite(lab):
    world = lab("sso_role_path")
    assert_unauthorized(world)
    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("sso_role_in_aws_auth", "fail")
    assert 'error="identity is not mapped"' in denied(world)[-1]
    assert f"arn=arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Admin_0123456789abcdef " in denied(world)[-1]

    apply_fix(world, first)           # CONFIG_MAP: save aws-auth, sed the path out of rolearn, replace
    assert_kubectl_works(world)
    assert whoami(world)["groups"] == ["system:masters", "system:authenticated"]
    # the saved copy is now stale: replacing it again is refused instead of overwriting
    again = run_shell(world, "kubectl replace -f aws-auth.yaml", admin=True)
    assert again.code == 1
    assert again.err.strip() == ('Error from server (Conflict): error when replacing "aws-auth.yaml": Operation cannot '
                                 'be fulfilled on configmaps "aws-auth": the object has been modified; please apply '
                                 'your changes to the latest version and try again')


def test_assumed_role_arn_as_rolearn_then_eksdoctors_access_entry(lab):
    world = lab("assumed_role_rolearn")
    assert_unauthorized(world)
    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("wrong_section_or_arn_kind", "fail")
    assert 'error="identity is not mapped"' in denied(world)[-1]

    apply_fix(world, first)           # API_AND_CONFIG_MAP: an access entry for the IAM role, keeping the row's group
    assert_kubectl_works(world)
    assert whoami(world)["groups"] == ["devs", "system:authenticated"]
    can_i = run_kubectl(world, "auth", "can-i", "create", "configmaps")   # devs may edit, as the row intended
    assert (can_i.code, can_i.out.strip()) == (0, "yes")


def test_yaml_error_in_map_roles_then_eksdoctors_lint_and_replace(lab):
    world = lab("aws_auth_yaml_error")
    assert_unauthorized(world)
    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("aws_auth_yaml_broken", "fail")
    assert 'error="identity is not mapped"' in denied(world)[-1]
    # the admin (the creator) still gets in and sees the broken text
    cm = run_kubectl(world, "get", "configmap", "aws-auth", "-n", "kube-system", "-o", "json", admin=True)
    assert "  username: dev\n   groups:" in json.loads(cm.out)["data"]["mapRoles"]

    save_and_lint, replace = (step["command"] for step in first["fix"][:2])
    assert first["fix"][0]["run_as"] == first["fix"][1]["run_as"] == "cluster creator"
    lint = run_shell(world, save_and_lint, admin=True)
    assert lint.code == 1                                  # lint exits 1 on errors and names the line
    assert lint.out.startswith("aws-auth.yaml:11: error: mapRoles: YAML error: mapping values are not allowed here"), lint.out
    assert (world.tmp / "aws-auth.yaml").read_text().splitlines()[10] == "       groups:"   # that is line 11
    # the human step the fix names ("after correcting the YAML"), then lint is clean and replace restores it
    run = run_shell(world, "sed -i 's|^       groups:|      groups:|' aws-auth.yaml && eksdoctor lint aws-auth.yaml",
                    admin=True)
    assert run.code == 0, run.out + run.err
    run = run_shell(world, replace, admin=True)
    assert run.code == 0, run.err
    assert_kubectl_works(world)


def test_access_entry_without_policy_is_forbidden_until_one_is_associated(lab):
    world = lab("access_entry_no_policy")
    run = run_kubectl(world, "get", "pods")
    assert run.code == 1
    assert run.err.strip() == (f'Error from server (Forbidden): pods is forbidden: User "arn:aws:sts::{ACCOUNT}:'
                               f'assumed-role/dev/alice" cannot list resource "pods" in API group "" in the namespace '
                               f'"default"')
    can_i = run_kubectl(world, "auth", "can-i", "list", "pods")
    assert (can_i.code, can_i.out.strip()) == (1, "no")

    run, diagnosis, _ = diagnose(world)
    first = diagnosis["findings"][0]
    assert (run.code, first["id"], first["status"]) == (1, "access_entry_no_permissions", "fail")
    by_id = {f["id"]: f for f in diagnosis["findings"]}
    for check in ("role_path_in_aws_auth", "sso_role_in_aws_auth"):  # mode API: aws-auth is not consulted at all
        assert (by_id[check]["status"], by_id[check]["detail"]) == (
            "pass", "the cluster's authentication mode is API: aws-auth is not consulted")
    apply_fix(world, first)           # associate-access-policy
    assert_kubectl_works(world)


def test_wrong_cluster_name_in_exec_args(lab):
    world = lab("wrong_cluster_name")
    assert_unauthorized(world)
    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("wrong_cluster_name_in_token", "fail")
    line = denied(world)[-1]
    assert "sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-east-1 endpoint." in line
    assert "SignatureDoesNotMatch" in line
    # the authenticator log type is enabled here, so the same line is in CloudWatch Logs
    logs = run_shell(world, "aws logs filter-log-events --log-group-name /aws/eks/prod/cluster "
                            "--log-stream-name-prefix authenticator --filter-pattern '\"access denied\"'", admin=True)
    assert logs.code == 0, logs.err
    assert line in [e["message"] for e in json.loads(logs.out)["events"]]

    # eksdoctor prints `update-kubeconfig` without the kubeconfig's profile; the user's own command keeps it
    run = run_shell(world, "aws eks update-kubeconfig --region us-east-1 --name prod --profile dev")
    assert run.code == 0, run.err
    assert_kubectl_works(world)


def test_v1alpha1_kubeconfig(lab):
    world = lab("exec_v1alpha1")
    run = run_kubectl(world, "get", "pods")
    assert run.code == 1
    assert run.err.strip() == 'error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"'
    assert world.cluster.authenticator_log == []      # kubectl never reached the server

    run, diagnosis, _ = diagnose(world)
    first = diagnosis["findings"][0]
    assert (run.code, first["id"], first["status"]) == (1, "exec_api_v1alpha1", "fail")
    # of its two alternatives, set-credentials keeps the exec env's AWS_PROFILE; update-kubeconfig (printed
    # without --profile) would drop it
    apply_fix(world, first, "kubectl config set-credentials ")
    assert_kubectl_works(world)


def test_expired_static_token(lab):
    world = lab("expired_token")
    assert_unauthorized(world)
    first = assert_eksdoctor_sees_the_401(world)["findings"][0]
    assert (first["id"], first["status"]) == ("token_reused_over_15min", "fail")
    assert "input token was not properly formatted: X-Amz-Date parameter is expired (15 minute expiration)" \
        in denied(world)[-1]
    # once discovery is cached (here by the admin's kubectl), the server's own Status message shows
    assert run_kubectl(world, "get", "pods", admin=True).code == 0
    warm = run_kubectl(world, "get", "pods")
    assert (warm.code, last_line(warm)) == (1, UNAUTHORIZED_WARM)

    apply_fix(world, first)           # aws eks update-kubeconfig: the exec plugin instead of the pasted token
    assert_kubectl_works(world)
    assert whoami(world)["username"] == "alice"


def cluster_state(world):
    """What a write would change: aws-auth's resourceVersion, the access entries, the mode."""
    with world.cluster.lock:
        cm = world.cluster.objects.get("configmaps", {}).get(("kube-system", "aws-auth")) or {}
        entries = {arn: (e.type, tuple(e.groups), e.username, tuple(sorted(e.policies)))
                   for arn, e in world.cluster.access_entries.items()}
        return (cm.get("metadata", {}).get("resourceVersion"), entries, world.cluster.auth_mode)


# --- eksdoctor carries out its own fix: diagnose --fix --apply (access entries, policies, aws-auth edits) ---------

@pytest.mark.parametrize("name", ["unmapped_role", "sso_role_path", "assumed_role_rolearn", "access_entry_no_policy"])
def test_diagnose_fix_apply_makes_kubectl_work(lab, name):
    world = lab(name)
    assert run_kubectl(world, "get", "pods").code == 1
    before = cluster_state(world)
    dry = run_eksdoctor(world, "diagnose", "--admin-profile", "admin", "--fix")
    assert dry.code == 1 and "Dry run: nothing was changed." in dry.out, dry.out + dry.err
    assert cluster_state(world) == before          # diagnose, even with --fix, is read-only without --apply
    run = run_eksdoctor(world, "diagnose", "--admin-profile", "admin", "--fix", "--apply", "--yes", "--backup-dir", "backups")
    assert run.code == 0, run.out + run.err
    assert "\nApplied. Check with: kubectl get pods" in run.out
    if name == "sso_role_path":   # CONFIG_MAP: the aws-auth edit went through the safe writer
        assert len(list((world.tmp / "backups").glob("aws-auth-backup-*.yaml"))) == 1
        assert "and read back identical" in run.out
    assert_kubectl_works(world)


def test_diagnose_fix_apply_prints_what_it_cannot_do_safely_and_changes_nothing(lab):
    world = lab("aws_auth_yaml_error")
    cm = world.cluster.objects["configmaps"][("kube-system", "aws-auth")]
    version = cm["metadata"]["resourceVersion"]
    run = run_eksdoctor(world, "diagnose", "--admin-profile", "admin", "--fix", "--apply", "--yes")
    assert run.code == 1, run.out + run.err
    assert "[for cluster admin to run; eksdoctor does not]" in run.out
    assert "eksdoctor cannot make any of these changes safely itself: they are printed for you to run." in run.out
    assert world.cluster.objects["configmaps"][("kube-system", "aws-auth")]["metadata"]["resourceVersion"] == version


# --- every fix eksdoctor prints, run as printed, in order, each as whoever it names ----------------------------

BROKEN = [name for name in SCENARIOS if name != "healthy"]


@pytest.mark.parametrize("name", BROKEN)
def test_every_printed_fix_run_as_printed_makes_kubectl_work(lab, name):
    world = lab(name)
    assert run_kubectl(world, "get", "pods").code == 1
    run, diagnosis, _ = diagnose(world)
    first = diagnosis["findings"][0]
    assert run.code == 1 and first["status"] == "fail" and first["fix"], first
    if name == "aws_auth_yaml_error":  # the fix has a person's edit in the middle: lint shows the line to correct
        look, write_back = first["fix"][:2]     # the rest is break-glass, for when nobody mapped can log in
        assert "break-glass if" in first["fix"][2]["why"]
        shown = run_shell(world, look["command"], admin=True)
        assert shown.code == 1 and shown.out.startswith("aws-auth.yaml:11: error: mapRoles: YAML error"), shown.out
        assert run_shell(world, "sed -i 's|^       groups:|      groups:|' aws-auth.yaml").code == 0  # the correction
        apply_fix(world, {"fix": [write_back]})
    else:
        apply_fix(world, first)
    assert_kubectl_works(world)

"""The identity kubectl presents, rebuilt like the exec plugin (exec env over the shell, --profile over
env keys over AWS_PROFILE, credential_process, --role-arn), checked against the real AWS CLI run with
the exec plugin's environment, through moto. Also the credential failures a user sees first."""
from __future__ import annotations

import hashlib
import json
import subprocess
import textwrap

import pytest

from conftest import run_cli
from world import moto  # noqa: F401  (fixture)
from world import BIN, PYTHON, aws_client, aws_exec, base_env, iam_user_keys, prod_cluster, write_kubeconfig

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def keys(moto):
    prod_cluster(moto)
    return {"alice": iam_user_keys(moto, "alice"), "cibot": iam_user_keys(moto, "cibot")}


def home_with(tmp_path, keys, config: str = "") -> object:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    a, b = keys["alice"], keys["cibot"]
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {b[0]}\naws_secret_access_key = {b[1]}\n\n"
        f"[dev]\naws_access_key_id = {a[0]}\naws_secret_access_key = {a[1]}\n")
    (home / ".aws" / "config").write_text(textwrap.dedent(config))
    return home


def kubeconfig_for(home, moto_url, exec_section):
    endpoint = prod_cluster(moto_url)["endpoint"]
    return write_kubeconfig(home / ".kube" / "config", {"me": {"exec": exec_section}}, endpoint)


def cli_identity(env: dict, exec_section: dict) -> str:
    """`aws sts get-caller-identity` with the exec plugin's environment: what the plugin would sign with."""
    full = {**env, **{e["name"]: e["value"] for e in exec_section.get("env") or []}}
    out = subprocess.run([str(BIN / "aws"), "sts", "get-caller-identity", "--output", "json"], env=full,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["Arn"]


def whoami(env) -> dict:
    result = run_cli("whoami", "-o", "json", env=env)
    assert result.code == 0, result.err + result.out
    return result.json()


def test_whoami_follows_the_exec_env_profile_not_the_shell(tmp_path, moto, keys):
    home = home_with(tmp_path, keys)
    section = aws_exec(env=[("AWS_PROFILE", "dev")])
    kubeconfig_for(home, moto, section)
    env = base_env(home, moto)
    report = whoami(env)
    assert report["kubectl"]["arn"] == cli_identity(env, section) == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert report["kubectl"]["canonical_arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert report["resolved"]["profile"] == "dev" and report["resolved"]["profile_from"] == "exec.env AWS_PROFILE"
    assert report["resolved"]["provider"] == "shared-credentials-file"
    assert report["shell"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/cibot"
    assert report["shell"]["same_as_kubectl"] is False
    text = run_cli("whoami", env=env).out
    assert "profile dev (from exec.env AWS_PROFILE)" in text and "a DIFFERENT identity" in text


def test_env_keys_beat_the_kubeconfigs_profile(tmp_path, moto, keys):
    home = home_with(tmp_path, keys)
    section = aws_exec(env=[("AWS_PROFILE", "dev")])
    kubeconfig_for(home, moto, section)
    env = base_env(home, moto, AWS_ACCESS_KEY_ID=keys["cibot"][0], AWS_SECRET_ACCESS_KEY=keys["cibot"][1])
    report = whoami(env)
    assert report["kubectl"]["arn"] == cli_identity(env, section) == f"arn:aws:iam::{ACCOUNT}:user/cibot"
    assert report["resolved"]["env_keys"] == "shell"
    assert report["resolved"]["ignored_profile"] == {"name": "dev", "from": "exec.env AWS_PROFILE"}
    result = run_cli("diagnose", "-o", "json", env=env)
    first = result.json()["findings"][0]
    assert first["id"] == "env_creds_override_profile" and first["status"] == "fail", first
    assert f"Profile dev is: arn:aws:iam::{ACCOUNT}:user/alice" in first["detail"]
    assert "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN" in first["fix"][0]["command"]


def test_shell_default_profile_beats_the_kubeconfigs_profile(tmp_path, moto, keys):
    home = home_with(tmp_path, keys)
    section = aws_exec(env=[("AWS_PROFILE", "dev")])
    kubeconfig_for(home, moto, section)
    env = base_env(home, moto, AWS_DEFAULT_PROFILE="default")
    report = whoami(env)
    assert report["kubectl"]["arn"] == cli_identity(env, section) == f"arn:aws:iam::{ACCOUNT}:user/cibot"
    assert report["resolved"]["profile_from"] == "shell AWS_DEFAULT_PROFILE"
    assert "it beats AWS_PROFILE=dev (exec.env AWS_PROFILE)" in report["resolved"]["description"]
    first = run_cli("diagnose", "-o", "json", env=env).json()["findings"][0]
    assert first["id"] == "profile_pinned_or_missing" and first["status"] == "fail", first
    assert first["fix"][0]["command"] == "unset AWS_DEFAULT_PROFILE"


def test_role_arn_is_assumed_with_get_tokens_session_name(tmp_path, moto, keys):
    aws_client(moto, "iam").create_role(RoleName="eks-admin", AssumeRolePolicyDocument="{}")
    role = f"arn:aws:iam::{ACCOUNT}:role/eks-admin"
    home = home_with(tmp_path, keys)
    section = aws_exec(extra=["--role-arn", role], env=[("AWS_PROFILE", "dev")])
    kubeconfig_for(home, moto, section)
    env = base_env(home, moto)
    report = whoami(env)
    assumed = subprocess.run([str(BIN / "aws"), "sts", "assume-role", "--role-arn", role, "--role-session-name",
                              "EKSGetTokenAuth", "--profile", "dev", "--output", "json"], env=env, capture_output=True,
                             text=True, check=True)
    assert report["kubectl"]["arn"] == json.loads(assumed.stdout)["AssumedRoleUser"]["Arn"]
    assert report["kubectl"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-admin/EKSGetTokenAuth"
    assert report["kubectl"]["canonical_arn"] == role
    assert report["resolved"]["session_name"] == "EKSGetTokenAuth" and report["resolved"]["role_assumed"] is True
    saved = tmp_path / "b.json"
    run_cli("diagnose", "--save-bundle", str(saved), "-o", "json", env=env)
    bundle = json.loads(saved.read_text())
    call = bundle["aws"]["sts:AssumeRole"][0]
    assert call["request"] == {"RoleArn": role, "RoleSessionName": "EKSGetTokenAuth"}
    assert "Credentials" not in call["response"] and call["response"]["AssumedRoleUser"]["Arn"].endswith("/EKSGetTokenAuth")
    warn = next(f for f in run_cli("analyze", str(saved), "-o", "json").json()["findings"] if f["id"] == "get_token_session_name")
    assert warn["status"] == "warn"


def test_credential_process_profile(tmp_path, moto, keys):
    script = tmp_path / "creds.py"
    a = keys["alice"]
    script.write_text(f"import json\nprint(json.dumps({{'Version': 1, 'AccessKeyId': {a[0]!r}, 'SecretAccessKey': {a[1]!r}}}))\n")
    home = home_with(tmp_path, keys, f"[profile proc]\ncredential_process = {PYTHON} {script}\n")
    section = aws_exec(env=[("AWS_PROFILE", "proc")])
    kubeconfig_for(home, moto, section)
    env = base_env(home, moto)
    report = whoami(env)
    assert report["kubectl"]["arn"] == cli_identity(env, section) == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert report["resolved"]["provider"] == "custom-process"


def test_missing_profile_is_the_first_finding(tmp_path, moto, keys):
    home = home_with(tmp_path, keys)
    kubeconfig_for(home, moto, aws_exec(env=[("AWS_PROFILE", "ghost")]))
    result = run_cli("diagnose", "-o", "json", env=base_env(home, moto))
    first = result.json()["findings"][0]
    assert first["id"] == "profile_pinned_or_missing" and first["status"] == "fail", first
    assert "The config profile (ghost) could not be found" in first["detail"]
    assert first["fix"][0]["command"] == "aws eks update-kubeconfig --region us-east-1 --name prod --profile default --alias me"
    assert result.code == 1
    who = run_cli("whoami", env=base_env(home, moto))
    assert who.code == 1 and "could not be found" in who.out


def test_expired_sso_session_is_the_first_finding(tmp_path, moto, keys):
    start = "https://example.awsapps.com/start"
    home = home_with(tmp_path, keys, f"""\
        [profile sso]
        sso_start_url = {start}
        sso_region = us-east-1
        sso_account_id = {ACCOUNT}
        sso_role_name = Dev
        region = us-east-1
        """)
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (cache / (hashlib.sha1(start.encode()).hexdigest() + ".json")).write_text(json.dumps(
        {"startUrl": start, "region": "us-east-1", "accessToken": "CANARYssoACCESStoken0123456789",
         "expiresAt": "2020-01-01T00:00:00Z"}))
    kubeconfig_for(home, moto, aws_exec(env=[("AWS_PROFILE", "sso")]))
    result = run_cli("diagnose", "-o", "json", env=base_env(home, moto))
    first = result.json()["findings"][0]
    assert first["id"] == "sso_session_expired" and first["status"] == "fail", first
    assert first["fix"][0]["command"] == "aws sso login --profile sso"
    assert "CANARYssoACCESStoken" not in result.out

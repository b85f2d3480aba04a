"""kubectl's view of the kubeconfig and its exec plugin, as `eksdoctor diagnose` records it: file merge
rules, relative commands, PATH lookup, a plugin that hangs or prints garbage, broken files, impersonation.
Each test writes real files, runs the CLI and reads the saved bundle."""
from __future__ import annotations

import json
import time

import pytest
import yaml

from conftest import run_cli

from world import moto, kube_api  # noqa: F401  (fixtures)
from world import aws_exec, base_env, prod_cluster, credential_plugin, fake_plugin, presigned_token, token_url, write_kubeconfig


@pytest.fixture(scope="module")
def cluster(moto):
    prod_cluster(moto)
    return moto


def diagnose(tmp_path, env, *args) -> tuple:
    saved = tmp_path / "bundle.json"
    result = run_cli("diagnose", "-o", "json", "--save-bundle", str(saved), "--cluster", "prod", *args, env=env, cwd=str(tmp_path))
    assert "Traceback" not in result.err, result.err
    assert saved.is_file(), result.err
    return result, json.loads(saved.read_text())


def test_kubeconfig_files_merge_like_kubectl(tmp_path, cluster, kube_api):
    home = tmp_path / "home"
    first = write_kubeconfig(tmp_path / "a.yaml", {"dev": {"token": "t-first"}}, kube_api.url)
    second = write_kubeconfig(tmp_path / "b.yaml", {"dev": {"token": "t-second"}, "ops": {"token": "t-ops"}},
                              "https://other.example", current="ops")
    doc = yaml.safe_load(first.read_text())  # inside one file, the later entry of a name wins
    doc["users"].append({"name": "dev", "user": {"token": "t-first-later"}})
    first.write_text(yaml.safe_dump(doc))
    env = base_env(home, cluster, KUBECONFIG=f"{first}:{tmp_path / 'missing.yaml'}:{second}")
    result, bundle = diagnose(tmp_path, env)
    kc = bundle["local"]["kubeconfig"]
    assert kc["files"] == [str(first), str(second)]
    assert kc["current_context"] == "dev" and kc["current_context_file"] == str(first)
    assert [u["name"] for u in kc["merged"]["users"]] == ["dev", "ops"]
    assert kc["selected_files"]["users"] == str(first)
    assert {"section": "users", "name": "dev", "file": str(second), "used_from": str(first)} in kc["shadowed"]
    assert any("missing.yaml" in e and "does not exist" in e for e in kc["errors"])
    assert any("appears twice" in e for e in kc["errors"])
    # the winning token is the later one of the first file: kubectl sent it
    assert set(kube_api.headers("authorization")) == {"Bearer t-first-later"}
    assert "t-first-later" not in json.dumps(bundle) and "t-second" not in result.out


def test_relative_exec_command_runs_from_the_kubeconfig_folder(tmp_path, cluster, kube_api):
    folder = tmp_path / "kube"
    (folder / "bin").mkdir(parents=True)
    token = presigned_token(token_url("https://sts.us-east-1.amazonaws.com"))
    credential_plugin(folder / "bin", "get-token", token)
    config = write_kubeconfig(folder / "config", {"me": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                                  "command": "./bin/get-token"}}}, kube_api.url)
    result, bundle = diagnose(tmp_path, base_env(tmp_path / "home", cluster, KUBECONFIG=str(config)))
    run = bundle["local"]["exec"]
    assert run["resolved_path"] == str(folder / "bin" / "get-token")
    assert run["exit_code"] == 0 and run["token"]["host"] == "sts.us-east-1.amazonaws.com"
    assert set(kube_api.headers("authorization")) == {f"Bearer {token}"}
    assert token not in json.dumps(bundle) and token[20:60] not in result.out
    assert "IQoJb3JpZ2luFAKE" not in json.dumps(bundle) and "0123456789abcdef0123" not in json.dumps(bundle)


def test_plugin_not_on_path_is_aws_binary_missing(tmp_path, cluster):
    config = write_kubeconfig(tmp_path / "config", {"me": {"exec": aws_exec()}}, "https://127.0.0.1:9")
    env = base_env(tmp_path / "home", cluster, KUBECONFIG=str(config), PATH="/nonexistent-bin")
    result, bundle = diagnose(tmp_path, env)
    run = bundle["local"]["exec"]
    assert run["resolved_path"] is None and run["exit_code"] is None
    assert run["error"] == "exec: executable aws not found"
    assert bundle["kubernetes"]["probe"][0]["error"]["code"] == "NotSent"
    first = result.json()["findings"][0]
    assert first["id"] == "aws_binary_missing" and first["status"] == "fail"
    assert "never sends the request" in first["detail"]


def test_plugin_found_only_through_a_relative_path_entry_is_refused(tmp_path, cluster):
    fake_plugin(tmp_path, "aws", "print('{}')\n")
    config = write_kubeconfig(tmp_path / "config", {"me": {"exec": aws_exec()}}, "https://127.0.0.1:9")
    env = base_env(tmp_path / "home", cluster, KUBECONFIG=str(config), PATH=".:/nonexistent-bin")
    _, bundle = diagnose(tmp_path, env)
    run = bundle["local"]["exec"]
    assert run["relative_hit"] == "./aws"
    assert run["error"] == 'exec: "aws": cannot run executable found relative to current directory'


def test_plugin_that_hangs_is_killed_and_recorded(tmp_path, cluster):
    fake_plugin(tmp_path, "slow", "import time\ntime.sleep(120)\n")
    config = write_kubeconfig(tmp_path / "config", {"me": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                                    "command": str(tmp_path / "slow")}}}, "https://127.0.0.1:9")
    started = time.monotonic()
    _, bundle = diagnose(tmp_path, base_env(tmp_path / "home", cluster, KUBECONFIG=str(config)), "--timeout", "6")
    assert time.monotonic() - started < 30
    run = bundle["local"]["exec"]
    assert run["timed_out"] is True and run["exit_code"] is None
    assert "did not finish within 3s" in run["error"]


def test_plugin_that_prints_garbage(tmp_path, cluster, kube_api):
    fake_plugin(tmp_path, "garbage", "import sys\nprint('hello, not json')\nsys.stderr.write('oops\\n')\n")
    config = write_kubeconfig(tmp_path / "config", {"me": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                                    "command": str(tmp_path / "garbage")}}}, kube_api.url)
    _, bundle = diagnose(tmp_path, base_env(tmp_path / "home", cluster, KUBECONFIG=str(config)))
    run = bundle["local"]["exec"]
    assert run["exit_code"] == 0 and run["stderr"] == "oops\n"
    assert run["stdout_error"].startswith("the plugin's output is not JSON")
    assert "hello" not in json.dumps(bundle)
    assert bundle["kubernetes"]["probe"][0]["error"]["code"] == "NotSent"
    assert kube_api.requests == []


@pytest.mark.parametrize("content, expected", [
    ("clusters: [\n  - name: a\n", "not valid YAML"),
    ("- just\n- a list\n", "a kubeconfig is a YAML mapping"),
    ("current-context: me\nusers:\n- name: me\n  user:\n    exec:\n      command: aws\n      args: [--cluster-name, 1234]\n",
     "cannot unmarshal number into Go struct field ExecConfig.users.user.exec.args of type string"),
])
def test_broken_kubeconfig_is_a_finding_not_a_crash(tmp_path, cluster, content, expected):
    config = tmp_path / "config"
    config.write_text(content)
    result, bundle = diagnose(tmp_path, base_env(tmp_path / "home", cluster, KUBECONFIG=str(config)))
    assert expected in bundle["local"]["kubeconfig"]["fatal"]
    first = result.json()["findings"][0]
    assert first["id"] == "wrong_context" and first["title"] == "kubectl cannot load the kubeconfig"
    assert result.code == 1


def test_missing_kubeconfig_given_to_whoami_is_a_usage_error(tmp_path):
    result = run_cli("whoami", "--kubeconfig", str(tmp_path / "nope"))
    assert result.code == 2
    assert result.err.strip() == f"eksdoctor: error: {tmp_path / 'nope'}: no such kubeconfig file"


def test_probe_sends_kubectls_impersonation_headers(tmp_path, cluster, kube_api):
    kube_api.status, kube_api.body = 403, {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                                           "message": 'users "dev-admin" is forbidden: User "x" cannot impersonate resource "users"'}
    config = write_kubeconfig(tmp_path / "config", {"me": {"token": "static-bearer", "as": "dev-admin",
                                                           "as-groups": ["devs", "ops"]}}, kube_api.url)
    result, bundle = diagnose(tmp_path, base_env(tmp_path / "home", cluster, KUBECONFIG=str(config)))
    assert kube_api.headers("impersonate-user") == ["dev-admin"]
    assert kube_api.headers("impersonate-group") == ["devs", "ops"]
    probe = bundle["kubernetes"]["probe"][0]
    assert probe["request"]["impersonate"] == {"user": "dev-admin", "groups": ["devs", "ops"]}
    assert probe["response"]["status"] == 403 and probe["response"]["headers"]["Date"]
    assert probe["sent_at"]
    finding = next(f for f in result.json()["findings"] if f["id"] == "impersonation_disables_policies")
    assert finding["status"] == "fail"
    assert "kubectl config unset users.me.act-as" in [s["command"] for s in finding["fix"]]

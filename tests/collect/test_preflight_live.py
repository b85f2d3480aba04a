"""`eksdoctor preflight` run for real, as the README's GitHub Actions step runs it: the AWS side is
moto, kubectl's token comes from the real AWS CLI, and the API server is the stand-in (world.py).
The exit code is the gate: 0 allowed, 1 denied or no access, 3 inconclusive."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import xmlschema

from conftest import FIXTURES, ROOT, run_cli
from world import eks_api, make_cluster, moto, point_kubeconfig_at  # noqa: F401 (fixtures)

JUNIT = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit-10.xsd"))


def readme_snippet_line(start: str, end: str, marker: str) -> str:
    """The shell line of the README's CI snippet between `start` and `end` that runs `eksdoctor preflight`."""
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(start):readme.index(end, readme.index(start))]
    line = next(l for l in block.splitlines() if marker in l)
    return line.split(marker, 1)[1].strip()


def readme_preflight_args() -> list[str]:
    """The arguments of the `eksdoctor preflight` line in the README's GitHub Actions snippet."""
    command = "eksdoctor preflight " + readme_snippet_line("GitHub Actions:", "GitLab CI", "run: eksdoctor preflight")
    command = command.split(" > ", 1)[0]
    words = shlex.split(command)
    assert words[:2] == ["eksdoctor", "preflight"]
    return words[1:]


def gitlab_script_line() -> str:
    """The README's GitLab CI `script:` line that runs preflight, exactly as written (a shell line)."""
    line = readme_snippet_line("GitLab CI", "`--output sarif`", "- eksdoctor preflight")
    return "eksdoctor preflight " + line


@pytest.fixture(scope="module")
def aws_world(moto, tmp_path_factory):  # noqa: F811
    return make_cluster(moto, tmp_path_factory.mktemp("home"))


@pytest.fixture
def job(aws_world, eks_api, tmp_path):  # noqa: F811
    """Run the README's preflight step in a job directory; returns (result, junit root)."""
    env = point_kubeconfig_at(aws_world, eks_api.url, tmp_path / "kubeconfig")

    def run(*extra):
        result = run_cli(*readme_preflight_args(), *extra, env=env, cwd=str(tmp_path))
        assert "Traceback" not in result.err, result.err
        return result
    return run


def test_readme_step_passes_when_every_action_is_allowed(job, eks_api):  # noqa: F811
    eks_api.allowed = {("create", "deployments", "prod"), ("patch", "services", "prod")}
    result = job()
    assert result.code == 0, result.out + result.err
    JUNIT.validate(result.out)
    cases = ET.fromstring(result.out).findall(".//testcase")
    names = [c.get("name") for c in cases]
    assert "preflight_can [create deployments -n prod]" in names and "preflight_can [patch services -n prod]" in names
    # the answers pass (other checks may flag this test world's oddities: an http server, STS at 127.0.0.1)
    assert [c for c in cases if c.get("name").startswith("preflight_") and c.find("failure") is not None] == []
    assert any(t.startswith("k8s-aws-v1.") for t in eks_api.tokens)  # kubectl's real token was presented


def test_readme_step_fails_with_1_on_an_unauthorised_action(job, eks_api):  # noqa: F811
    eks_api.allowed = {("create", "deployments", "prod")}
    result = job()
    assert result.code == 1
    JUNIT.validate(result.out)
    failure = ET.fromstring(result.out).find(".//testcase[@name='preflight_can [patch services -n prod]']/failure")
    assert "cannot patch services -n prod" in failure.get("message")
    assert "kubectl create rolebinding eksdoctor-patch-services --role=eksdoctor-patch-services --user=ci-deployer -n prod" in failure.text


def test_readme_step_fails_with_1_when_the_identity_is_not_let_in(job, eks_api):  # noqa: F811
    eks_api.mode = "unauthorized"
    result = job("--output", "json")  # the last --output wins
    assert result.code == 1
    doc = result.json()
    assert doc["verdict"] == "unauthenticated" and "401" in doc["reason"]
    assert {q["answer"] for q in doc["questions"]} == {"unknown"}
    assert doc["diagnosis"]["findings"]  # the full collection ran to explain it


def test_readme_step_exits_3_when_the_evidence_is_inconclusive(job, eks_api):  # noqa: F811
    eks_api.mode = "reviews_unavailable"
    result = job()
    assert result.code == 3
    JUNIT.validate(result.out)
    skipped = ET.fromstring(result.out).find(".//testcase[@name='preflight_can [create deployments -n prod]']/skipped")
    assert "ServiceUnavailable" in skipped.get("message")


def test_success_is_one_quiet_line(job, eks_api, tmp_path):  # noqa: F811
    eks_api.allowed = {("create", "deployments", "prod"), ("patch", "services", "prod")}
    result = job("--output", "table")
    assert result.code == 0
    assert result.out.count("\n") == 1 and result.out.startswith("preflight OK: ci-deployer can create deployments -n prod, patch services -n prod")
    assert result.err == ""
    saved = json.loads(__import__("gzip").decompress((tmp_path / "preflight.json.gz").read_bytes()))
    asked = [c["request"] for c in saved["kubernetes"]["selfsubjectaccessreviews"]]
    assert {"resourceAttributes": {"verb": "create", "resource": "deployments", "group": "apps", "namespace": "prod"}} in asked
    assert "cloudtrail:LookupEvents" not in saved["aws"]  # the fast path: nothing more was collected


def test_denied_run_is_valid_sarif(job, eks_api):  # noqa: F811
    import jsonschema
    eks_api.allowed = set()
    result = job("--output", "sarif")
    assert result.code == 1
    doc = json.loads(result.out)
    jsonschema.Draft4Validator(json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())).validate(doc)
    results = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "preflight_can"]
    assert len(results) == 2 and all(r["level"] == "error" for r in results)
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "preflight.json.gz"


def test_preflight_on_bundles(tmp_path):
    """Offline: a hand-made bundle without the API server's answers is inconclusive (3), one whose
    checks explain a 401 is broken (1)."""
    data = json.loads((FIXTURES / "healthy__config_map" / "bundle.json").read_text())
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    assert run_cli("preflight", "--bundle", str(partial), "--can", "create deployments -n prod").code == 3
    broken = run_cli("preflight", "--bundle", str(FIXTURES / "sso_role_in_aws_auth" / "bundle.json"),
                     "--can", "create deployments -n prod", "-o", "json")
    assert broken.code == 1 and broken.json()["verdict"] == "broken"
    assert broken.json()["diagnosis"]["findings"][0]["id"] == "sso_role_in_aws_auth"


def test_preflight_usage_errors_exit_2():
    assert run_cli("preflight", "--can", "fly deployments").code == 2
    assert run_cli("preflight", "--fail-on-id", "nope").code == 2
    assert re.search(r"Exit 0 all allowed, 1 .* 3 inconclusive", " ".join(run_cli("preflight", "--help").out.split()))


def test_without_a_review_the_model_answers_from_rbac(tmp_path):
    """A saved bundle with RBAC lists but no review for the action: model/rbac.py decides."""
    data = json.loads((FIXTURES / "healthy__config_map" / "bundle.json").read_text())
    binding = {"metadata": {"name": "deployers-edit"}, "roleRef": {"kind": "ClusterRole", "name": "edit"},
               "subjects": [{"kind": "Group", "name": "deployers"}]}
    data["kubernetes"]["clusterrolebindings"] = [{"as": "exec", "request": {}, "response": {"items": [binding]}}]
    data["kubernetes"]["rolebindings"] = [{"as": "exec", "request": {}, "response": {"items": []}}]
    path = tmp_path / "rbac.json"
    path.write_text(json.dumps(data))
    allowed = run_cli("preflight", "--bundle", str(path), "--can", "create deployments -n prod", "-o", "json")
    assert allowed.code == 0 and allowed.json()["questions"][0]["source"] == "model"
    denied = run_cli("preflight", "--bundle", str(path), "--can", "create clusterroles", "-o", "json")
    assert denied.code == 1 and denied.json()["questions"][0]["answer"] == "denied"
    fix = denied.json()["diagnosis"]["findings"][0]["fix"]
    assert fix[-1]["command"] == ("kubectl create clusterrolebinding eksdoctor-create-clusterroles "
                                  "--clusterrole=eksdoctor-create-clusterroles --user=deployer")


@pytest.fixture
def gitlab_job(aws_world, eks_api, tmp_path):  # noqa: F811
    """Run the README's GitLab CI script line in a shell, with the CI variables it uses; returns
    (exit code, the junit report the line writes)."""
    env = point_kubeconfig_at(aws_world, eks_api.url, tmp_path / "kubeconfig")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECONFIG"))}, **env,
           "CLUSTER": "prod", "AWS_REGION": "us-east-1", "NO_COLOR": "1"}

    def run():
        proc = subprocess.run([shutil.which("bash"), "-c", gitlab_script_line()], env=env, cwd=str(tmp_path), capture_output=True,
                              text=True, timeout=120)
        assert "Traceback" not in proc.stderr, proc.stderr
        report = (tmp_path / "preflight.xml").read_text()
        JUNIT.validate(report)
        return proc.returncode, ET.fromstring(report)
    return run


def test_gitlab_script_line_is_the_one_tested():
    line = gitlab_script_line()
    assert '--cluster "$CLUSTER"' in line and "--output junit > preflight.xml" in line


def test_gitlab_job_passes_when_allowed_and_fails_with_1_on_an_unauthorised_action(gitlab_job, eks_api):  # noqa: F811
    eks_api.allowed = {("create", "deployments", "prod")}
    code, report = gitlab_job()
    assert code == 0 and report.findall(".//testcase[@name='preflight_can [create deployments -n prod]']/failure") == []
    eks_api.allowed = set()
    code, report = gitlab_job()
    assert code == 1
    failure = report.find(".//testcase[@name='preflight_can [create deployments -n prod]']/failure")
    assert "cannot create deployments -n prod" in failure.get("message")


def test_gitlab_job_exits_3_when_the_evidence_is_inconclusive(gitlab_job, eks_api):  # noqa: F811
    eks_api.mode = "reviews_unavailable"
    code, report = gitlab_job()
    assert code == 3
    assert "ServiceUnavailable" in report.find(".//testcase[@name='preflight_can [create deployments -n prod]']/skipped").get("message")

"""SARIF and JUnit as a pipeline consumes them: valid against their schemas, one rule/testcase per
check, GitHub's code-scanning requirements, and the gate options (--fail-on-id, missing evidence)."""
from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import xmlschema

from conftest import FIXTURES, ROOT, run_cli
from eksdoctor.findings import FixStep, Finding, Severity, Status
from eksdoctor.engine import Diagnosis
from eksdoctor.render import render

SCHEMAS = ROOT / "tests" / "schemas"
SARIF_SCHEMA = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
JUNIT = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
SCENARIOS = sorted(p.name for p in FIXTURES.iterdir() if (p / "bundle.json").is_file())


@functools.lru_cache(maxsize=1)
def _check_ids():
    return frozenset(c["id"] for c in run_cli("checks", "-o", "json").json()["checks"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_sarif_validates_and_meets_github_requirements(name):
    result = run_cli("analyze", f"fixtures/{name}/bundle.json", "-o", "sarif", cwd=str(ROOT))
    doc = json.loads(result.out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= _check_ids()  # one rule per check
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    json_run = run_cli("analyze", f"fixtures/{name}/bundle.json", "-o", "json", cwd=str(ROOT))
    json_doc = json_run.json()
    gating = [f for f in json_doc["findings"] if f["status"] in ("fail", "warn")]
    assert [r["ruleId"] for r in run["results"]] == [f["id"] for f in gating]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        # GitHub: a repository-relative uri (no scheme) and a startLine, or the result is not shown
        assert loc["artifactLocation"]["uri"] == f"fixtures/{name}/bundle.json"
        assert loc["region"]["startLine"] == 1
        assert res["message"]["text"] and res["partialFingerprints"]
        assert res["properties"]["status"] in ("fail", "warn")
    assert result.code == json_run.code  # the same gate, whatever the format


def test_sarif_result_carries_fix_commands_and_level():
    doc = json.loads(run_cli("analyze", "--example", "sso-role-path", "-o", "sarif").out)
    first = doc["runs"][0]["results"][0]
    assert first["ruleId"] == "sso_role_in_aws_auth" and first["level"] == "error"
    assert first["properties"]["id"] == "sso_role_in_aws_auth" and first["properties"]["status"] == "fail"
    commands = first["properties"]["fix_commands"]
    assert any("#arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef\\1#" in c for c in commands)
    assert commands[-1] in first["message"]["text"]


def test_sarif_warn_is_a_warning_not_an_error():
    doc = json.loads(run_cli("analyze", str(FIXTURES / "role_path_in_aws_auth__other_caller" / "bundle.json"), "-o", "sarif").out)
    (only,) = doc["runs"][0]["results"]
    assert only["level"] == "warning" and only["properties"]["status"] == "warn"


@pytest.mark.parametrize("name", SCENARIOS)
def test_junit_validates_one_testcase_per_check(name):
    result = run_cli("analyze", str(FIXTURES / name / "bundle.json"), "-o", "junit")
    JUNIT.validate(result.out)
    root = ET.fromstring(result.out)
    cases = root.findall("./testsuite/testcase")
    assert {c.get("name").split(" (")[0] for c in cases} >= _check_ids()
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == len(root.findall(".//failure"))
    assert int(suite.get("skipped")) == len(root.findall(".//skipped"))


def test_junit_failure_carries_title_detail_and_fix():
    out = run_cli("analyze", "--example", "sso-role-path", "-o", "junit").out
    case = ET.fromstring(out).find(".//testcase[@name='sso_role_in_aws_auth']")
    failure = case.find("failure")
    assert failure.get("type") == "fail"
    assert "aws-auth maps the IAM Identity Center role" in failure.get("message")
    assert "kubectl replace -f aws-auth.yaml" in failure.text and "mapRoles[0]" in failure.text


def test_junit_marks_skipped_and_errors():
    finding = lambda i, status, **kw: Finding(id=i, check=i, status=status, severity=Severity.HIGH, title=f"{i} title",
                                              stage="authentication", **kw)
    diagnosis = Diagnosis((
        finding("broken_thing", Status.FAIL, detail="why <it> & breaks", fix=(FixStep("aws eks x --y 'z'", "cluster admin", "because"),)),
        finding("crashed", Status.ERROR, detail="KeyError: 'x'\x01"),
        finding("waiting", Status.SKIPPED, detail="evidence not collected: kubernetes:probe"),
        finding("risky", Status.WARN, detail="a risk"),
        finding("fine", Status.PASS),
    ), "broken", "broken_thing: broken_thing title", {"cluster": "c", "region": None, "account": None})
    out = render(diagnosis, "junit", gate=())
    JUNIT.validate(out)
    root = ET.fromstring(out)
    assert root.find(".//testcase[@name='broken_thing']/failure").text.count("aws eks x --y 'z'") == 1
    assert root.find(".//testcase[@name='crashed']/error").get("message") == "crashed title"
    assert root.find(".//testcase[@name='waiting']/skipped").get("message").startswith("evidence not collected")
    assert root.find(".//testcase[@name='risky']/failure") is None  # below the gate: not a failing test
    assert "a risk" in root.find(".//testcase[@name='risky']/system-out").text
    gated = ET.fromstring(render(diagnosis, "junit", gate=["risky"]))
    assert gated.find(".//testcase[@name='risky']/failure").get("type") == "warn"
    sarif = json.loads(render(diagnosis, "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    run = sarif["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert [n["descriptor"]["id"] for n in run["invocations"][0]["toolExecutionNotifications"] if n["level"] == "error"] == ["crashed"]


def test_fail_on_id_fails_on_a_warning_below_the_threshold():
    bundle = str(FIXTURES / "role_path_in_aws_auth__other_caller" / "bundle.json")
    assert run_cli("analyze", bundle, "-o", "json").code == 0
    assert run_cli("analyze", bundle, "-o", "json", "--fail-on-id", "role_path_in_aws_auth").code == 1
    assert run_cli("analyze", bundle, "-o", "json", "--fail-on-id", "sso_role_in_aws_auth").code == 0
    assert run_cli("analyze", bundle, "-o", "json", "--fail-on", "never", "--fail-on-id", "role_path_in_aws_auth").code == 1


def test_unknown_fail_on_id_fails_closed():
    result = run_cli("analyze", "--example", "sso-role-path", "--fail-on-id", "role_path_in_awsauth")
    assert result.code == 2 and result.out == ""
    assert "unknown check id(s) for --fail-on-id: role_path_in_awsauth" in result.err


def test_hand_made_bundle_says_which_evidence_is_missing_and_how_to_collect_it(tmp_path):
    data = json.loads((FIXTURES / "sso_role_in_aws_auth" / "bundle.json").read_text())
    del data["kubernetes"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    table = run_cli("analyze", str(partial))
    assert table.code == 3
    section = table.out[table.out.index("Missing evidence"):]
    command = "kubectl get configmap aws-auth -n kube-system -o json"
    assert section.count(command) == 1  # two checks need it, one line says how to get it
    assert "needed by role_path_in_aws_auth, sso_role_in_aws_auth" in section
    markdown = run_cli("analyze", str(partial), "-o", "markdown").out
    assert "## Missing evidence" in markdown
    assert markdown[markdown.index("## Missing evidence"):markdown.index("## Passed")].count(command) == 1


def test_every_need_of_every_check_says_how_to_collect_it():
    for check in run_cli("checks", "-o", "json").json()["checks"]:
        for need in check["needs"]:
            from eksdoctor.bundle import collect_hint
            assert collect_hint(need, {"cluster": "prod", "region": "us-east-1"}), f"{check['id']} needs {need}: no command"


def test_missing_evidence_section_appears_only_when_something_is_missing(tmp_path):
    data = json.loads((FIXTURES / "sso_role_in_aws_auth" / "bundle.json").read_text())
    doc = run_cli("analyze", str(FIXTURES / "sso_role_in_aws_auth" / "bundle.json"), "-o", "json").json()
    missing = [f for f in doc["findings"] if f["status"] == "skipped" and f["detail"].startswith("evidence not collected")]
    table = run_cli("analyze", str(FIXTURES / "sso_role_in_aws_auth" / "bundle.json")).out
    assert ("Missing evidence" in table) == bool(missing)
    no_checks_need_anything = tmp_path / "empty.json"
    no_checks_need_anything.write_text(json.dumps({k: data[k] for k in ("kind", "version", "collected_at")}))
    doc = run_cli("analyze", str(no_checks_need_anything), "-o", "json").json()
    assert any(f["detail"].startswith("evidence not collected") for f in doc["findings"])
    assert "Missing evidence" in run_cli("analyze", str(no_checks_need_anything)).out

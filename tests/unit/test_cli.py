"""The command as a user runs it: exit codes, one-line errors, deterministic JSON, the catalog."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema

from conftest import FIXTURES, ROOT, run_cli

SPEC_EXAMPLE = FIXTURES / "sso_role_in_aws_auth" / "bundle.json"
SCHEMA = json.loads((ROOT / "eksdoctor" / "schema" / "diagnosis-v1.json").read_text())


def test_example_shows_ranked_diagnosis_with_fix():
    result = run_cli("analyze", "--example", "sso-role-path")
    assert result.code == 1
    first_line = next(line for line in result.out.splitlines() if "ROOT CAUSE" in line)
    assert "sso_role_in_aws_auth" in first_line
    assert "#arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef\\1#" in result.out


def test_list_examples_names_them():
    result = run_cli("analyze", "--list-examples")
    assert result.code == 0
    assert "sso-role-path" in result.out


def test_json_output_is_byte_identical_and_valid(tmp_path):
    first = run_cli("analyze", str(SPEC_EXAMPLE), "-o", "json")
    second = run_cli("analyze", str(SPEC_EXAMPLE), "-o", "json")
    assert first.out == second.out
    doc = first.json()
    jsonschema.validate(doc, SCHEMA)
    assert doc["findings"][0]["id"] == "sso_role_in_aws_auth"
    assert doc["summary"]["root_cause"] == "sso_role_in_aws_auth"


def test_gzipped_bundle_gives_the_same_answer(tmp_path):
    packed = tmp_path / "bundle.json.gz"
    packed.write_bytes(gzip.compress(SPEC_EXAMPLE.read_bytes()))
    plain = run_cli("analyze", str(SPEC_EXAMPLE), "-o", "json")
    zipped = run_cli("analyze", str(packed), "-o", "json")
    assert zipped.code == 1
    assert zipped.out == plain.out


def test_markdown_output_puts_root_cause_and_fix_first():
    result = run_cli("analyze", str(SPEC_EXAMPLE), "-o", "markdown")
    assert result.code == 1
    assert result.out.index("## Root cause: `sso_role_in_aws_auth`") < result.out.index("## Chain of evidence")
    assert "```sh" in result.out


def _one_line_error(result):
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_not_json_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("this is not json {")
    assert "not valid JSON" in _one_line_error(run_cli("analyze", str(bad)))


def test_json_that_is_not_a_bundle_exits_2(tmp_path):
    bad = tmp_path / "list.json"
    bad.write_text("[1, 2, 3]")
    assert "a bundle is a JSON object" in _one_line_error(run_cli("analyze", str(bad)))
    other = tmp_path / "other.json"
    other.write_text('{"apiVersion": "v1", "kind": "ConfigMap"}')
    assert "not an eksdoctor bundle" in _one_line_error(run_cli("analyze", str(other)))


def test_truncated_gzip_exits_2(tmp_path):
    packed = gzip.compress(SPEC_EXAMPLE.read_bytes())
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    assert "truncated" in _one_line_error(run_cli("analyze", str(cut)))


def test_missing_file_and_wrong_record_shape_exit_2(tmp_path):
    assert "no such file" in _one_line_error(run_cli("analyze", str(tmp_path / "nope.json")))
    data = json.loads(SPEC_EXAMPLE.read_text())
    data["aws"]["eks:DescribeCluster"] = {"cluster": {}}
    shaped = tmp_path / "shape.json"
    shaped.write_text(json.dumps(data))
    assert "must be a list of call records" in _one_line_error(run_cli("analyze", str(shaped)))


def test_unknown_fail_on_fails_closed():
    line = _one_line_error(run_cli("analyze", str(SPEC_EXAMPLE), "--fail-on", "severe"))
    assert "unknown severity 'severe'" in line


def test_fail_on_threshold_changes_exit_code():
    assert run_cli("analyze", str(SPEC_EXAMPLE), "--fail-on", "critical", "-o", "json").code == 0
    assert run_cli("analyze", str(SPEC_EXAMPLE), "--fail-on", "never", "-o", "json").code == 0
    assert run_cli("analyze", str(SPEC_EXAMPLE), "--fail-on", "medium", "-o", "json").code == 1


def test_unknown_verdict_exits_3(tmp_path):
    data = json.loads(SPEC_EXAMPLE.read_text())
    del data["kubernetes"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    result = run_cli("analyze", str(partial), "-o", "json")
    assert result.code == 3
    doc = result.json()
    assert doc["summary"]["verdict"] == "unknown"
    skipped = {f["id"]: f["detail"] for f in doc["findings"] if f["status"] == "skipped"}
    assert "kubectl get configmap aws-auth -n kube-system -o json" in skipped["sso_role_in_aws_auth"]


def test_version_and_help():
    version = run_cli("--version")
    assert version.code == 0 and version.out.startswith("eksdoctor ")
    helptext = run_cli("--help")
    assert helptext.code == 0
    assert "Exit codes" in helptext.out and "analyze" in helptext.out


def test_usage_error_exits_2():
    result = run_cli("analyze", "--no-such-option")
    assert result.code == 2
    assert "Traceback" not in result.err


def test_checks_catalog_lists_and_shows():
    listing = run_cli("checks")
    assert listing.code == 0 and "sso_role_in_aws_auth" in listing.out
    as_json = run_cli("checks", "--output", "json").json()
    ids = [c["id"] for c in as_json["checks"]]
    assert "role_path_in_aws_auth" in ids and len(ids) == len(set(ids))
    shown = run_cli("checks", "show", "sso_role_in_aws_auth")
    assert shown.code == 0 and "aws-reserved/sso.amazonaws.com" in shown.out
    assert "no check with id" in _one_line_error(run_cli("checks", "show", "nope"))


def test_bad_can_question_exits_2_before_collecting():
    line = _one_line_error(run_cli("diagnose", "--can", "fly pods"))
    assert "is not a Kubernetes verb" in line

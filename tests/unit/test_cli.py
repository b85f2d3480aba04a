"""The command as a user runs it: exit codes, one-line errors, deterministic JSON, the catalog."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema
import pytest

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


@pytest.mark.parametrize("command", ["analyze", "report", "preflight"])
@pytest.mark.parametrize("depth, refused", [(190, False), (250, True), (5000, True)])
def test_a_bundle_nested_too_deeply_exits_2_with_one_line(tmp_path, command, depth, refused):
    data = json.loads(SPEC_EXAMPLE.read_text())
    data["symptom"]["note"] = "NESTED"
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(data).replace('"NESTED"', "[" * depth + "]" * depth))
    args = (command, str(deep)) if command == "analyze" else (command, "--bundle", str(deep))
    if command == "report":
        args += ("--output", str(tmp_path / "report.md"))
    result = run_cli(*args)
    if refused:
        assert "nested deeper than 200 levels" in _one_line_error(result)
    else:
        assert result.code in (0, 1, 3) and "Traceback" not in result.err


def test_a_gzip_bomb_is_refused_at_the_size_limit(tmp_path):
    """A ~0.5 MB file that inflates past MAX_BUNDLE_BYTES (512 MiB of spaces, valid JSON whitespace): refused
    with one line once the limit is passed, never parsed."""
    import zlib

    from eksdoctor.bundle import MAX_BUNDLE_BYTES
    bomb = tmp_path / "bomb.json.gz"
    packer, chunk = zlib.compressobj(9, zlib.DEFLATED, 31), b" " * (1 << 20)
    with bomb.open("wb") as out:
        out.write(packer.compress(b"{"))
        for _ in range(MAX_BUNDLE_BYTES // len(chunk) + 1):
            out.write(packer.compress(chunk))
        out.write(packer.compress(b"}") + packer.flush())
    assert bomb.stat().st_size < 2 * 1024 * 1024
    assert f"decompresses to more than {MAX_BUNDLE_BYTES} bytes" in _one_line_error(run_cli("analyze", str(bomb)))


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


@pytest.mark.parametrize("args, says", [
    (["analyze", "--example", "sso-role-path", "-o", "bogus"], "Invalid value for '--output'"),
    (["analyze", "--no-such-option"], "No such option: --no-such-option"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["report"], "Missing option '--output'"),
    (["preflight", "--timeout", "soon"], "'soon' is not a valid float"),
    (["lint"], "Missing argument 'files'"),
])
def test_click_usage_errors_are_one_line_naming_the_help(args, says):
    line = _one_line_error(run_cli(*args))
    assert line.startswith("eksdoctor: error: ") and says in line and line.endswith("--help)")


def test_help_lists_the_exit_codes_one_per_line():
    lines = [l.strip() for l in run_cli("--help").out.splitlines()]
    for code in "0123":
        assert any(l.startswith(f"{code}  ") for l in lines), f"exit code {code} is not on a line of its own"


def test_truncated_plain_json_bundle_exits_2(tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_text(SPEC_EXAMPLE.read_text()[:300])
    assert "not valid JSON" in _one_line_error(run_cli("analyze", str(cut)))


@pytest.mark.parametrize("content, says", [
    ("apiVersion: v1\nclusters: [\n  - name: x\n", "not valid YAML (line 3)"),
    ("- just\n- a list\n", "a kubeconfig is a YAML mapping, this is a list"),
    (None, "no such kubeconfig file"),
    ("", "is a directory"),
])
@pytest.mark.parametrize("command", [["diagnose"], ["whoami"], ["preflight", "--can", "get pods"], ["report", "-o", "r.md"]])
def test_an_explicit_kubeconfig_that_is_not_one_exits_2_before_collecting(tmp_path, content, says, command):
    path = tmp_path / "kubeconfig"
    if content == "":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    line = _one_line_error(run_cli(*command, "--kubeconfig", str(path), cwd=str(tmp_path)))
    assert str(path) in line and says in line
    assert not (tmp_path / "r.md").exists()


@pytest.mark.parametrize("fmt", ["json", "markdown", "sarif", "junit", "table"])
def test_every_format_is_byte_identical_for_the_same_bundle(tmp_path, fmt):
    copy = tmp_path / "bundle.json"
    copy.write_bytes(SPEC_EXAMPLE.read_bytes())
    runs = [run_cli("analyze", "bundle.json", "-o", fmt, cwd=str(tmp_path)) for _ in range(2)]
    runs.append(run_cli("analyze", "bundle.json", "-o", fmt, cwd=str(tmp_path), env={"TZ": "Asia/Tokyo", "LANG": "C"}))
    assert runs[0].out and runs[0].out == runs[1].out == runs[2].out


LIVE_OPTIONS = ["--cluster", "--region", "--profile", "--context", "--kubeconfig", "--admin-profile", "--can", "--since",
                "--save-bundle", "--timeout"]


def test_live_commands_share_one_definition_of_each_collection_option():
    import typer

    from eksdoctor.cli import app
    commands = typer.main.get_command(app).commands
    described = {}
    for name in ("diagnose", "report", "preflight"):
        params = {opt: p for p in commands[name].params for opt in p.opts}
        for opt in LIVE_OPTIONS:
            assert opt in params, f"{name} has no {opt}"
            described.setdefault(opt, set()).add(params[opt].help)
    assert {opt: len(helps) for opt, helps in described.items()} == {opt: 1 for opt in LIVE_OPTIONS}


@pytest.mark.parametrize("command", [["report", "-o", "r.md"], ["preflight", "--can", "get pods"]])
def test_a_live_option_given_with_bundle_is_a_usage_error(tmp_path, command):
    line = _one_line_error(run_cli(*command, "--bundle", str(SPEC_EXAMPLE), "--cluster", "other", "--since", "2h",
                                   cwd=str(tmp_path)))
    assert "--cluster, --since only make sense when collecting live" in line
    assert not (tmp_path / "r.md").exists()


@pytest.mark.parametrize("command", [["diagnose"], ["report", "-o", "r.md"], ["preflight", "--can", "get pods"]])
def test_since_is_checked_before_collecting_on_every_live_command(tmp_path, command):
    assert "--since 'soon' is not a duration" in _one_line_error(run_cli(*command, "--since", "soon", cwd=str(tmp_path)))


def test_shell_completion_still_answers():
    import os
    import subprocess
    import sys
    script = str(Path(sys.executable).parent / "eksdoctor")  # completion keys on the program's name
    env = {**os.environ, "_EKSDOCTOR_COMPLETE": "complete_bash", "COMP_WORDS": "eksdoctor ana", "COMP_CWORD": "1"}
    proc = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.split() == ["analyze"], proc.stderr
    # typer detects the shell from the parent processes (none under a detached CI runner); name it instead
    named = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    shown = subprocess.run([script, "--show-completion", "bash"], env=named, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "_eksdoctor_completion" in shown.stdout

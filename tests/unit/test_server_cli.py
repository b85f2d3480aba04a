"""`eksdoctor explain` and `eksdoctor lint` as a user runs them: output, JSON contract, exit codes."""
from __future__ import annotations

import json

import jsonschema
import yaml

from conftest import FIXTURES, ROOT, run_cli

EXPLAIN_SCHEMA = json.loads((ROOT / "eksdoctor" / "schema" / "explain-v1.json").read_text())
A = "111122223333"
NODE = f"arn:aws:iam::{A}:role/eks-node-role"
MANIFEST = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: {NODE}
      username: system:node:{{{{EC2PrivateDNSName}}}}
      groups:
        - system:bootstrappers
        - system:nodes
    - rolearn: arn:aws:iam::{A}:role/admin
      username: admin
      groups:
        - system:masters
  mapUsers: |
    - userarn: arn:aws:iam::{A}:user/jane
      username: jane
      groups:
        - system:masters
"""
# The one-character slip: one extra space before `username` of the second role (file line 14).
SLIP = MANIFEST.replace("      username: admin", "       username: admin")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_lint_catches_a_one_character_slip_that_drops_every_node_role(tmp_path):
    assert SLIP != MANIFEST and len(SLIP) == len(MANIFEST) + 1
    new, old = _write(tmp_path, "aws-auth.yaml", SLIP), _write(tmp_path, "old.yaml", MANIFEST)
    result = run_cli("lint", new, "--against", old)
    assert result.code == 1
    first = result.out.splitlines()[0]
    assert first.startswith(f"{new}:14: error: mapRoles: YAML error")
    assert "drops every entry of mapRoles" in first and f"node roles: {NODE}" in first
    assert f"locks out node role {NODE} (was mapRoles[0])" in result.out
    doc = run_cli("lint", new, "--against", old, "-o", "json").json()["files"][0]
    assert [lo["kind"] for lo in doc["locked_out"]] == ["node role", "role"]  # node roles first
    assert doc["locked_out"][0]["arn"] == NODE
    assert doc["sections"]["mapRoles"]["error"] and doc["sections"]["mapUsers"]["kept"] == 1  # users still work


def test_lint_passes_a_good_configmap(tmp_path):
    result = run_cli("lint", _write(tmp_path, "aws-auth.yaml", MANIFEST))
    assert result.code == 0 and "0 error(s), 0 warning(s)" in result.out


def test_lint_bare_map_roles_with_paths_sts_arns_templates_and_duplicates(tmp_path):
    bare = (f"- rolearn: arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef\n"
            "  username: admin\n"
            f"- rolearn: arn:aws:sts::{A}:assumed-role/deployer/ci\n  username: deployer\n"
            f"- rolearn: arn:aws:iam::{A}:role/dev\n  username: 'dev:{{{{Session}}}}'\n"
            f"- rolearn: arn:aws:iam::{A}:role/DEV\n  username: dev2\n"
            f"- rolearn: arn:aws:iam:us-east-1:{A}:role/x\n  username: x\n  groups:\n  - system:bootstrappers\n   - system:nodes\n")
    path = _write(tmp_path, "mapRoles.yaml", bare)
    result = run_cli("lint", path)
    assert result.code == 1
    out = result.out
    assert f"{path}:1: error: mapRoles[0]: rolearn" in out and f"write arn:aws:iam::{A}:role/AWSReservedSSO_Admin_0123456789abcdef" in out
    assert f"{path}:3: error: mapRoles[1]" in out and "is an sts ARN" in out
    assert "{{Session}} is not a placeholder" in out
    assert f"{path}:5: error: mapRoles[2]" in out and "mapped again later" in out
    assert "has a region (us-east-1)" in out
    assert "contains whitespace" in out  # the silently merged groups


def test_lint_kubectl_json_output_and_map_accounts(tmp_path):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
          "data": {"mapRoles": f"- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups: [system:nodes]\n",
                   "mapAccounts": f"- {A}\n- '12345'\n", "mapusers": "- userarn: x\n"}}
    result = run_cli("lint", _write(tmp_path, "cm.json", json.dumps(cm)), "-o", "json")
    assert result.code == 1
    issues = [i["message"] for i in result.json()["files"][0]["issues"]]
    assert any("'12345' is not 12 digits" in m for m in issues)
    assert any("'mapusers' is ignored: top-level keys are case-sensitive" in m for m in issues)


def test_lint_yaml_manifest_with_an_unquoted_list_and_unquoted_accounts(tmp_path):
    text = MANIFEST.replace("  mapUsers: |\n", "  mapUsers:\n") + f"  mapAccounts: |\n    - {A}\n"
    result = run_cli("lint", _write(tmp_path, "aws-auth.yaml", text))
    assert result.code == 1
    assert "mapUsers is written as YAML, not as a string" in result.out
    assert f"warning: mapAccounts: account {A} is not quoted" in result.out


def test_lint_several_files_for_pre_commit_and_unreadable_input(tmp_path):
    good = _write(tmp_path, "a.yaml", MANIFEST)
    bad = _write(tmp_path, "b.yaml", SLIP)
    result = run_cli("lint", good, bad)
    assert result.code == 1 and f"{good}: 0 error(s)" in result.out and f"{bad}:14: error" in result.out
    missing = run_cli("lint", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "no such file" in missing.err
    other = run_cli("lint", _write(tmp_path, "deploy.yaml", "kind: Deployment\nmetadata:\n  name: web\n"))
    assert other.code == 2 and "no aws-auth ConfigMap" in other.err and "Traceback" not in other.err


def test_pre_commit_hook_runs_lint():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "eksdoctor-lint-aws-auth" and hooks[0]["entry"] == "eksdoctor lint"


# --- explain ---------------------------------------------------------------------------------------

def test_explain_from_a_bundle_gives_the_documented_json():
    bundle = FIXTURES / "principal_not_mapped" / "bundle.json"
    doc = run_cli("explain", "--bundle", str(bundle), "--arn", f"arn:aws:sts::{A}:assumed-role/ops/bob", "-o", "json").json()
    jsonschema.validate(doc, EXPLAIN_SCHEMA)
    assert (doc["authenticated"], doc["username"], doc["groups"], doc["matched_by"]) == (True, "ops", ["ops"], "mapRoles[1]")
    assert doc["canonical_arn"] == f"arn:aws:iam::{A}:role/ops"
    caller = run_cli("explain", "--bundle", str(bundle), "--arn", f"arn:aws:sts::{A}:assumed-role/data-eng/alice", "-o", "json")
    assert caller.code == 0
    doc = caller.json()
    jsonschema.validate(doc, EXPLAIN_SCHEMA)
    assert doc["authenticated"] is False and doc["matched_by"] is None
    assert doc["reasons"][-1] == "identity is not mapped: the API server answers 401 Unauthorized"


def test_explain_from_files_entry_overrides_aws_auth(tmp_path):
    role = f"arn:aws:iam::{A}:role/teams/dev"
    entries = [{"accessEntries": [role]},
               {"accessEntry": {"principalArn": role, "type": "STANDARD", "kubernetesGroups": [],
                                "username": f"arn:aws:sts::{A}:assumed-role/dev/{{{{SessionName}}}}"}},
               {"principalArn": role, "associatedAccessPolicies": [{
                   "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                   "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]}]
    entries_file = _write(tmp_path, "entries.json", "\n".join(json.dumps(d) for d in entries))
    auth = _write(tmp_path, "aws-auth.yaml", f"- rolearn: arn:aws:iam::{A}:role/dev\n  username: dev\n  groups:\n  - system:masters\n")
    args = ["explain", "--arn", f"arn:aws:sts::{A}:assumed-role/dev/alice@example.com", "--aws-auth", auth,
            "--access-entries", entries_file, "--mode", "API_AND_CONFIG_MAP", "--can", "create deployments -n prod"]
    doc = run_cli(*args, "-o", "json").json()
    jsonschema.validate(doc, EXPLAIN_SCHEMA)
    assert doc["matched_by"] == "access entry" and doc["username"] == f"arn:aws:sts::{A}:assumed-role/dev/alice-example.com"
    assert doc["access_policies"] == [{"policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                       "name": "AmazonEKSEditPolicy", "access_scope": {"type": "namespace", "namespaces": ["dev"]}}]
    assert any("overrides aws-auth mapRoles[0]" in r for r in doc["reasons"])
    assert doc["authorization"]["allowed"] is None  # Edit does not reach prod; RBAC is unknown from files
    table = run_cli(*args)
    assert table.code == 0 and "authenticated  yes by access entry" in table.out
    # the same files in mode API: aws-auth is ignored; in CONFIG_MAP the entry is
    api = run_cli(*args[:-2], "-o", "json").json()
    assert api["matched_by"] == "access entry"
    cm = run_cli("explain", "--arn", f"arn:aws:sts::{A}:assumed-role/dev/x", "--aws-auth", auth, "--access-entries", entries_file,
                 "--mode", "CONFIG_MAP", "-o", "json").json()
    assert (cm["matched_by"], cm["groups"]) == ("mapRoles[0]", ["system:masters"])


def test_explain_input_errors_exit_2(tmp_path):
    mixed = run_cli("explain", "--arn", f"arn:aws:iam::{A}:role/x", "--cluster", "prod", "--aws-auth", _write(tmp_path, "a.yaml", MANIFEST))
    assert mixed.code == 2 and "give one source of cluster evidence, not --aws-auth/--access-entries and --cluster" in mixed.err
    assert run_cli("explain", "--arn", "x").code == 2
    bad_mode = run_cli("explain", "--arn", "x", "--aws-auth", _write(tmp_path, "a.yaml", MANIFEST), "--mode", "BOTH")
    assert bad_mode.code == 2 and "is not one of" in bad_mode.err
    bad_entries = run_cli("explain", "--arn", "x", "--access-entries", _write(tmp_path, "e.json", "{not json"))
    assert bad_entries.code == 2 and "access entries:" in bad_entries.err and "Traceback" not in bad_entries.err


def test_explain_a_bad_arn_says_why_it_is_rejected(tmp_path):
    doc = run_cli("explain", "--arn", f"arn:aws:iam::{A}:group/devs", "--aws-auth", _write(tmp_path, "a.yaml", MANIFEST), "-o", "json").json()
    jsonschema.validate(doc, EXPLAIN_SCHEMA)
    assert doc["authenticated"] is False and doc["canonical_arn"] is None
    assert "unrecognized resource group/devs for service iam" in doc["reasons"][-1]


# --- lint for pipelines: SARIF and JUnit, validated against their schemas ------------------------

def _lint_formats(tmp_path, *args):
    import xml.etree.ElementTree as ET

    import xmlschema
    schemas = ROOT / "tests" / "schemas"
    sarif, junit = (run_cli("lint", *args, "-o", fmt, cwd=str(tmp_path)) for fmt in ("sarif", "junit"))
    jsonschema.Draft4Validator(json.loads((schemas / "sarif-schema-2.1.0.json").read_text())).validate(json.loads(sarif.out))
    xmlschema.XMLSchema(str(schemas / "junit-10.xsd")).validate(junit.out)
    return sarif, json.loads(sarif.out)["runs"][0], junit, ET.fromstring(junit.out)


def test_lint_sarif_and_junit_point_at_the_file_line_of_each_slip(tmp_path):
    from eksdoctor.model.lint import RULES
    _write(tmp_path, "aws-auth.yaml", SLIP)
    _write(tmp_path, "old.yaml", MANIFEST)
    sarif, run, junit, root = _lint_formats(tmp_path, "aws-auth.yaml", "--against", "old.yaml")
    assert sarif.code == junit.code == run_cli("lint", "aws-auth.yaml", "--against", "old.yaml", cwd=str(tmp_path)).code == 1
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert sorted(rules) == sorted(RULES)  # one rule per lint rule
    first = run["results"][0]
    assert first["ruleId"] == "aws_auth_yaml_broken" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "aws-auth.yaml"}, "region": {"startLine": 14}}
    node = next(r for r in run["results"] if r["ruleId"] == "node_role_unmapped")
    assert NODE in node["message"]["text"] and node["level"] == "error"
    assert len({r["partialFingerprints"]["eksdoctorFinding/v1"] for r in run["results"]}) == len(run["results"])
    yaml_rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "aws_auth_yaml_broken")
    assert "docs/checks/aws_auth_yaml_broken.md" in yaml_rule["help"]["text"]
    failed = root.find(".//testcase[@name='aws_auth_yaml_broken [aws-auth.yaml:14]']/failure")
    assert "drops every entry of mapRoles" in failed.text
    assert root.find(".//testcase[@name='node_role_unmapped [aws-auth.yaml]']/failure") is not None
    assert root.find("testsuite").get("name") == "eksdoctor: aws-auth lint"
    for spelled in ("./aws-auth.yaml", str(tmp_path / "aws-auth.yaml")):  # code scanning wants repository-relative paths
        again = json.loads(run_cli("lint", spelled, "-o", "sarif", cwd=str(tmp_path)).out)["runs"][0]["results"][0]
        assert again["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "aws-auth.yaml"


def test_lint_junit_has_a_passing_testcase_per_rule_for_a_good_file(tmp_path):
    from eksdoctor.model.lint import RULES
    _write(tmp_path, "aws-auth.yaml", MANIFEST)
    sarif, run, junit, root = _lint_formats(tmp_path, "aws-auth.yaml")
    assert sarif.code == junit.code == 0
    assert [r["ruleId"] for r in run["results"]] == []
    cases = root.findall(".//testcase")
    assert sorted(c.get("name") for c in cases) == sorted(f"{rule} [aws-auth.yaml]" for rule in RULES)
    assert root.findall(".//failure") == []
    skipped = root.find(".//testcase[@name='node_role_unmapped [aws-auth.yaml]']/skipped")
    assert "--against" in skipped.get("message")  # lock-outs are only checked against the old version


def test_lint_sarif_carries_each_issue_rule_warnings_as_warnings(tmp_path):
    text = (f"- rolearn: arn:aws:iam::{A}:role/team/dev\n  username: dev\n  groups: [dev]\n"
            f"- rolearn: arn:aws:sts::{A}:assumed-role/ops/alice\n  username: ops\n  groups: [ops]\n"
            f"- rolearn: arn:aws:iam::{A}:user/bob\n  username: bob\n  groups: [dev]\n")
    _write(tmp_path, "roles.yaml", text)
    _, run, _, _ = _lint_formats(tmp_path, "roles.yaml")
    got = {(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert got == {("role_path_in_aws_auth", "error", 1), ("aws_auth_sts_arn", "error", 4),
                   ("wrong_section_or_arn_kind", "warning", 7)}

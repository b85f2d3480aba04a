"""--anonymize: pseudonyms keep the problem's structure, so the diagnosis of the anonymised bundle is
the diagnosis of the original (same finding ids and statuses), while the names are gone."""
from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURES, ROOT, run_cli
from eksdoctor.anonymize import anonymize_bundle
from eksdoctor.model import arn as arns

BUNDLES = sorted(FIXTURES.glob("*/bundle.json")) + sorted((ROOT / "eksdoctor" / "examples").glob("*.json"))


def _outcome(path):
    doc = run_cli("analyze", str(path), "-o", "json").json()
    return [(f["id"], f["status"]) for f in doc["findings"]], doc["summary"]["verdict"]


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.parent.name if p.name == "bundle.json" else p.stem)
def test_anonymised_bundle_gives_the_same_diagnosis(path, tmp_path):
    original = json.loads(path.read_text())
    anonymised = anonymize_bundle(original)
    out = tmp_path / "anon.json"
    out.write_text(json.dumps(anonymised))
    assert _outcome(out) == _outcome(path)
    text = out.read_text()
    target = original["target"]
    assert target["account"] not in text
    assert not re.search(rf"(?<![\w@.-]){re.escape(target['cluster'])}(?![\w@-])", text)  # as a whole name
    assert anonymised["redaction"]["anonymized"] is True


SAMPLE = {
    "kind": "EksdoctorBundle", "version": 1, "collected_at": "2026-11-23T01:02:03Z",
    "target": {"cluster": "payments-eu", "region": "eu-west-1", "account": "444455556666"},
    "aws": {
        "sts:GetCallerIdentity": [{"as": "exec", "request": {}, "response": {
            "UserId": "AROAX:jane.doe@corp.example", "Account": "444455556666",
            "Arn": "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_PlatformAdmins_0123456789abcdef/jane.doe@corp.example"}}],
        "eks:DescribeCluster": [{"as": "exec", "request": {"name": "payments-eu"}, "response": {"cluster": {
            "name": "payments-eu", "arn": "arn:aws:eks:eu-west-1:444455556666:cluster/payments-eu",
            "endpoint": "https://0A1B2C3D4E5F60718293A4B5C6D7E8F9.gr7.eu-west-1.eks.amazonaws.com"}}}],
        "iam:GetRole": [{"as": "exec", "request": {"RoleName": "deployer"}, "error": {
            "code": "AccessDenied", "message": "User: arn:aws:sts::444455556666:assumed-role/ci/teams/deployer/run-7 is not "
            "authorized to perform: iam:GetRole on resource: role deployer because of arn:aws:iam::777788889999:policy/Guard."}}],
    },
    "kubernetes": {"configmaps/kube-system/aws-auth": [{"as": "admin", "request": {}, "response": {"data": {
        "mapRoles": "- rolearn: arn:aws:iam::444455556666:role/ci/teams/deployer\n  username: deployer\n"
                    "- rolearn: arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmins_0123456789abcdef\n"
                    "  username: '{{SessionName}}'\n"
                    "- rolearn: arn:aws:iam::aws:policy/AmazonEKSClusterPolicy\n"}}}]},
    "local": {"kubeconfig": {"merged": {"clusters": [{"name": "arn:aws:eks:eu-west-1:444455556666:cluster/payments-eu",
              "cluster": {"server": "https://0A1B2C3D4E5F60718293A4B5C6D7E8F9.gr7.eu-west-1.eks.amazonaws.com"}}]},
              "current_context": "arn:aws:eks:eu-west-1:444455556666:cluster/payments-eu"},
              "exec": {"args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "payments-eu"]}},
}


def test_structure_survives_and_names_do_not():
    out = anonymize_bundle(SAMPLE)
    text = json.dumps(out)
    for secret in ("444455556666", "777788889999", "payments-eu", "jane.doe", "corp.example", "deployer",
                   "PlatformAdmins", "0123456789abcdef", "0A1B2C3D4E5F60718293A4B5C6D7E8F9", "teams"):
        assert secret not in text, secret
    caller = out["aws"]["sts:GetCallerIdentity"][0]["response"]["Arn"]
    assert arns.is_sso_role(caller)  # AWSReservedSSO_ kept
    rows = out["kubernetes"]["configmaps/kube-system/aws-auth"][0]["response"]["data"]["mapRoles"]
    role_arns = re.findall(r"rolearn: (\S+)", rows)
    assert all(arns.try_parse(a) for a in role_arns)
    assert "/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_" in role_arns[1]
    assert arns.strip_path(role_arns[1]) == arns.canonicalize(caller)  # the same role, path stripped
    assert role_arns[0].count("/") == 3  # role/<p>/<p>/<name>: the path keeps its shape
    assert role_arns[2] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"  # AWS-owned: unchanged
    assert "{{SessionName}}" in rows
    cluster = out["aws"]["eks:DescribeCluster"][0]["response"]["cluster"]
    assert out["target"]["cluster"] == cluster["name"] == out["local"]["exec"]["args"][-1]
    assert cluster["arn"] == out["local"]["kubeconfig"]["current_context"]
    assert cluster["endpoint"] == out["local"]["kubeconfig"]["merged"]["clusters"][0]["cluster"]["server"]
    assert re.fullmatch(r"https://[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com", cluster["endpoint"])
    message = out["aws"]["iam:GetRole"][0]["error"]["message"]
    assert message.count(out["target"]["account"]) == 1 and "role/" in message
    assert re.search(r"resource: role (\S+) because", message).group(1) == role_arns[0].rsplit("/", 1)[1]
    assert anonymize_bundle(SAMPLE) == out  # stable


def test_diagnose_anonymize_needs_save_bundle():
    result = run_cli("diagnose", "--anonymize")
    assert result.code == 2 and "--save-bundle" in result.err


def test_pseudonyms_invent_no_near_miss_and_keep_case_relations():
    from eksdoctor.anonymize import Pseudonyms
    p = Pseudonyms()
    names = [p.name(f"team-{i}-deployer", "role") for i in range(60)]
    assert len(set(names)) == 60
    for i, a in enumerate(names):  # one character apart would read as an ARN typo
        for b in names[i + 1:]:
            assert sum(x != y for x, y in zip(a, b)) >= 3 or len(a) != len(b)
    accounts = [p.account(f"{111122220000 + i:012d}") for i in range(30)]
    assert all(len(a) == 12 and a.isdigit() for a in accounts) and len(set(accounts)) == 30
    upper, lower = p.name("Deployer", "role"), p.name("deployer", "role")
    assert upper != lower and upper.casefold() == lower.casefold()

"""No secret survives: canary secrets planted in a bundle's records, in the environment and the
kubeconfig of a live `diagnose`, and in what the (stand-in) API server returns, must not reach any
output format (table, json, markdown, sarif, junit, report md/html) or any saved bundle (plain, .gz,
anonymised)."""
from __future__ import annotations

import base64
import gzip
import json
import re

import jsonschema
import pytest
import xmlschema
import yaml

from conftest import FIXTURES, ROOT, run_cli
from world import eks_api, make_cluster, moto, point_kubeconfig_at  # noqa: F401 (fixtures)

SECRET_KEY = "CANARYsecretKEY0123456789abcdefghijklmnop"
SESSION = "IQoJb3JpZ2luCANARYsessionTOKEN0123456789abcdefghij"
EKS_TOKEN = "k8s-aws-v1." + base64.urlsafe_b64encode(b"https://sts.amazonaws.com/?X-Amz-Signature=CANARYeks").decode().rstrip("=") + "CANARYeksTOKEN"
PRESIGNED = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Security-Token=CANARYsts&X-Amz-Signature=CANARYsig0123456789abcdef"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowCANARYpemKEYMATERIAL0123456789\n-----END RSA PRIVATE KEY-----"
FORMATS = ["table", "json", "markdown", "sarif", "junit"]
SCHEMAS = ROOT / "tests" / "schemas"


def assert_clean(text: str, where: str) -> None:
    assert "CANARY" not in text, f"a canary secret reached {where}: …{text[max(0, text.find('CANARY') - 80):text.find('CANARY') + 40]}…"
    assert not re.search(r"k8s-aws-v1\.(?!REDACTED)[A-Za-z0-9_-]{8,}", text), f"an EKS token reached {where}"
    assert not re.search(r"X-Amz-Signature(=|%3D)(?!REDACTED)\w", text), f"a signature reached {where}"
    assert "PRIVATE KEY-----" not in text, f"a private key reached {where}"


def planted_bundle(path):
    data = json.loads((FIXTURES / "sso_role_in_aws_auth" / "bundle.json").read_text())
    data["aws"]["sts:AssumeRole"] = [{"as": "shell", "request": {"RoleArn": "arn:aws:iam::111122223333:role/x", "RoleSessionName": "s"},
                                      "response": {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": SECRET_KEY,
                                                                   "SessionToken": SESSION}}}]
    data["aws"]["eks:ListClusters"] = [{"as": "exec", "request": {}, "error": {"code": "SignatureDoesNotMatch",
                                        "message": f"The request signature we calculated does not match: {PRESIGNED}"}}]
    configmap = data["kubernetes"]["configmaps/kube-system/aws-auth"][0]["response"]
    configmap["metadata"]["annotations"] = {"last-applied": f"token: {EKS_TOKEN}\nkey: {PEM}", "note": f"Bearer {SESSION}"}
    configmap["data"]["mapUsers"] = f"# aws_secret_access_key = {SECRET_KEY}\n# {PRESIGNED}\n"
    data["symptom"]["output"] += f"\nI1123 GET https://api/ Authorization: Bearer {EKS_TOKEN}"
    data["local"] = {
        "env": {"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION, "AWS_PROFILE": "dev"},
        "kubeconfig": {"merged": {"users": [{"name": "u", "user": {"token": EKS_TOKEN, "client-key-data": "CANARYclientKEY==",
                                                                     "password": "CANARYpassword"}}]}},
        "exec": {"command": "aws", "exit_code": 255, "stderr": f"aws_session_token = {SESSION}\n{PEM}\n"},
    }
    data["collection"] = {"errors": [{"collector": "probe", "code": "ConnectError", "message": f"{PRESIGNED} {PEM}"}]}
    path.write_text(json.dumps(data))
    raw = path.read_text()
    assert "CANARY" in raw and "PRIVATE KEY-----" in raw  # the test would see a leak
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_bundle_leaks_nothing_in_any_format(tmp_path, fmt):
    result = run_cli("analyze", str(planted_bundle(tmp_path / "b.json")), "-o", fmt)
    assert result.code == 1, result.err
    assert_clean(result.out + result.err, f"analyze -o {fmt}")


@pytest.mark.parametrize("name", ["report.md", "report.html"])
@pytest.mark.parametrize("anonymize", [False, True])
def test_planted_bundle_leaks_nothing_in_reports(tmp_path, name, anonymize):
    out = tmp_path / name
    result = run_cli("report", "--bundle", str(planted_bundle(tmp_path / "b.json")), "-o", str(out),
                     *(["--anonymize"] if anonymize else []))
    assert result.code == 0, result.err
    text = out.read_text()
    assert "REDACTED" in text  # the planted records are shown, redacted
    assert_clean(text + result.out, name)


def test_preflight_on_planted_bundle_leaks_nothing(tmp_path):
    for fmt in FORMATS:
        result = run_cli("preflight", "--bundle", str(planted_bundle(tmp_path / "b.json")), "--can", "get pods", "-o", fmt)
        assert result.code == 1
        assert_clean(result.out + result.err, f"preflight -o {fmt}")


@pytest.fixture(scope="module")
def planted_world(moto, tmp_path_factory):  # noqa: F811
    home = tmp_path_factory.mktemp("home")
    return make_cluster(moto, home, env={"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION})


@pytest.fixture
def live(planted_world, eks_api, tmp_path):  # noqa: F811
    env = point_kubeconfig_at(planted_world, eks_api.url, tmp_path / "kubeconfig")
    config = yaml.safe_load((tmp_path / "kubeconfig").read_text())  # other users with static secrets
    config["users"] += [{"name": "static", "user": {"token": EKS_TOKEN, "client-key-data": "CANARYclientKEY==",
                                                     "client-certificate-data": "Y2VydA==", "password": "CANARYpassword"}}]
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(config))
    eks_api.configmap_data = {**eks_api.configmap_data, "mapUsers": f"# {PRESIGNED}\n# {PEM}\n# token: {EKS_TOKEN}\n"}
    eks_api.allowed = {("list", "pods", "default")}
    return env


@pytest.mark.parametrize("fmt,bundle,extra", [
    ("table", "b.json", []), ("json", "b.json.gz", []), ("markdown", "b.json", ["--anonymize"]),
    ("sarif", "b.json.gz", ["--anonymize"]), ("junit", "b.json", []),
])
def test_live_diagnose_leaks_nothing(live, eks_api, tmp_path, fmt, bundle, extra):  # noqa: F811
    saved = tmp_path / bundle
    result = run_cli("diagnose", "-o", fmt, "--save-bundle", str(saved), *extra, env=live, cwd=str(tmp_path))
    assert "Traceback" not in result.err, result.err
    assert any(t.startswith("k8s-aws-v1.") for t in eks_api.tokens)  # a real token was made and sent
    raw = saved.read_bytes()
    text = (gzip.decompress(raw) if bundle.endswith(".gz") else raw).decode()
    doc = json.loads(text)
    assert doc["kubernetes"]["probe"][0]["response"]["status"] == 200
    assert doc["redaction"] == {"secrets": True, "anonymized": bool(extra)}
    if extra:
        assert "123456789012" not in text and '"prod"' not in text
    assert_clean(result.out + result.err, f"diagnose -o {fmt}")
    assert_clean(text, f"the saved bundle {bundle} {extra}")
    if fmt == "sarif":  # live diagnose for pipelines: valid against the schemas, like analyze and preflight
        jsonschema.Draft4Validator(json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())).validate(json.loads(result.out))
    if fmt == "junit":
        xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(result.out)


@pytest.mark.parametrize("name", ["report.md", "report.html"])
def test_live_report_leaks_nothing(live, tmp_path, name):
    result = run_cli("report", "-o", str(tmp_path / name), env=live, cwd=str(tmp_path))
    assert result.code == 0, result.err
    assert_clean((tmp_path / name).read_text() + result.out + result.err, f"live report {name}")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_live_explain_leaks_nothing(live, eks_api, tmp_path, fmt):  # noqa: F811
    result = run_cli("explain", "--arn", "arn:aws:iam::123456789012:user/nobody", "--cluster", "prod", "-o", fmt,
                     env=live, cwd=str(tmp_path))
    assert result.code == 0, result.err
    assert any(t.startswith("k8s-aws-v1.") for t in eks_api.tokens)  # aws-auth was read with a real token
    if fmt == "json":
        assert result.json()["authenticated"] is False
    assert_clean(result.out + result.err, f"live explain -o {fmt}")

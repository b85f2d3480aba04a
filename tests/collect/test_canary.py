"""No secret reaches any output: canary credentials planted everywhere a user keeps them (env keys, a
profile's keys in ~/.aws/credentials, the kubeconfig's exec env, static token, client key, password and
id-token, the SSO cache's tokens and client secret) must not appear in any output format, in --debug
stderr, in the saved bundle (plain and .gz), or in whoami's output."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re

from conftest import run_cli
from world import kube_api, moto  # noqa: F401  (fixtures)
from world import aws_exec, base_env, presigned_token, prod_cluster, token_url, write_kubeconfig

CANARIES = {
    "env_secret": "CANARYenvSECRETkey0123456789abcdefghijklmn",
    "env_session": "IQoJb3JpZ2luCANARYenvSESSIONtoken0123456789abc",
    "env_key_id": "AKIACANARYENVKEY0001",
    "profile_secret": "CANARYprofileSECRET0123456789abcdefghijklm",
    "profile_session": "CANARYprofileSESSIONtoken0123456789abcdef",
    "exec_env_secret": "CANARYexecENVsecret0123456789abcdefghijkl",
    "bearer": "CANARYstaticBEARERtoken0123456789",
    "password": "CANARYpassword0123456789",
    "id_token": "CANARYidTOKEN0123456789abcdef",
    "sso_access": "CANARYssoACCESStoken0123456789abcdefgh",
    "sso_refresh": "CANARYssoREFRESHtoken0123456789abcdefgh",
    "sso_client_secret": "CANARYssoCLIENTsecret0123456789abcdefg",
    "signature": "CANARYSIGNATURE0123456789abcdef",
}
CLIENT_KEY = "-----BEGIN RSA PRIVATE KEY-----\nCANARYclientKEYmaterial0123456789\n-----END RSA PRIVATE KEY-----\n"


def plant(tmp_path, moto_url, kube_url) -> dict:
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = AKIACANARYPROFILE001\naws_secret_access_key = {CANARIES['profile_secret']}\n"
        f"aws_session_token = {CANARIES['profile_session']}\n")
    (home / ".aws" / "config").write_text(
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
    (home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")).write_text(json.dumps({
        "startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": CANARIES["sso_access"],
        "expiresAt": "2020-01-01T00:00:00Z", "refreshToken": CANARIES["sso_refresh"], "clientId": "cid",
        "clientSecret": CANARIES["sso_client_secret"], "registrationExpiresAt": "2020-01-01T00:00:00Z"}))
    eks_token = presigned_token(token_url("https://sts.us-east-1.amazonaws.com").replace(
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", CANARIES["signature"]))
    CANARIES["eks_token"] = eks_token
    users = {
        "exec": {"exec": aws_exec(env=[("AWS_PROFILE", "dev"), ("AWS_SECRET_ACCESS_KEY", CANARIES["exec_env_secret"])])},
        "static": {"token": eks_token, "client-certificate-data": base64.b64encode(b"CERT").decode(),
                   "client-key-data": base64.b64encode(CLIENT_KEY.encode()).decode()},
        "basic": {"username": "admin", "password": CANARIES["password"]},
        "oidc": {"auth-provider": {"name": "oidc", "config": {"id-token": CANARIES["id_token"],
                                                              "refresh-token": CANARIES["id_token"] + "r"}}},
    }
    write_kubeconfig(home / ".kube" / "config", users, kube_url)
    return base_env(home, moto_url, AWS_ACCESS_KEY_ID=CANARIES["env_key_id"],
                    AWS_SECRET_ACCESS_KEY=CANARIES["env_secret"], AWS_SESSION_TOKEN=CANARIES["env_session"])


def secrets() -> list[str]:
    values = list(CANARIES.values()) + ["CANARYclientKEYmaterial", base64.b64encode(CLIENT_KEY.encode()).decode()[:40]]
    return values + [v[:24] for v in values]


def leaks(text: str) -> list[str]:
    found = [s for s in secrets() if s in text]
    found += re.findall(r"k8s-aws-v1\.(?!REDACTED)[A-Za-z0-9_-]{16,}", text)
    found += re.findall(r"X-Amz-Signature=(?!REDACTED)[0-9a-fA-F]{16,}", text)
    return found


def test_no_canary_in_any_output_or_bundle(tmp_path, moto, kube_api):
    prod_cluster(moto)
    env = plant(tmp_path, moto, kube_api.url)
    outputs = {}
    for context in ("exec", "static"):  # every bundle holds the whole merged kubeconfig (basic, oidc users too)
        for fmt in ("table", "json", "markdown"):
            saved = tmp_path / f"{context}.json"
            packed = tmp_path / f"{context}.json.gz"
            result = run_cli("--debug", "diagnose", "--context", context, "-o", fmt, "-v", "--save-bundle",
                             str(packed if fmt == "json" else saved), env=env)
            assert "Traceback" not in result.err
            outputs[f"diagnose {context} {fmt} stdout"] = result.out
            outputs[f"diagnose {context} {fmt} stderr"] = result.err
        outputs[f"bundle {context}"] = saved.read_text()
        outputs[f"bundle {context} gz"] = gzip.decompress(packed.read_bytes()).decode()
        for fmt in ("table", "json"):
            result = run_cli("--debug", "whoami", "--context", context, "-o", fmt, env=env)
            outputs[f"whoami {context} {fmt}"] = result.out + result.err
        analyzed = run_cli("analyze", str(packed), "-o", "markdown")
        outputs[f"analyze {context}"] = analyzed.out + analyzed.err
    # the canaries were really in play: the probe carried the static token, the plugin ran with the exec env
    assert f"Bearer {CANARIES['eks_token']}" in kube_api.headers("authorization")
    exec_bundle = json.loads(outputs["bundle exec"])
    assert exec_bundle["local"]["exec"]["env"] == {"AWS_PROFILE": "dev", "AWS_SECRET_ACCESS_KEY": "<set>"}
    assert exec_bundle["local"]["env"]["AWS_SECRET_ACCESS_KEY"] == "<set>"
    assert json.loads(outputs["bundle static"])["local"]["kubeconfig"]["static_token"]["host"] == "sts.us-east-1.amazonaws.com"
    assert exec_bundle["local"]["aws_config"]["sso"][0]["expires_at"] == "2020-01-01T00:00:00Z"
    found = {name: leaks(text) for name, text in outputs.items() if leaks(text)}
    assert found == {}

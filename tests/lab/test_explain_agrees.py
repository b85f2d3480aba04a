"""`eksdoctor explain` against the lab's own server, scenario by scenario.

For every scenario in scenario.py and every caller of the cast (the kubeconfig's own identity, the
profiles default/dev/sso, the creator `admin`), a fresh valid token is made with the real
`aws eks get-token` and sent to the Kubernetes stand-in (a SelfSubjectReview). What the stand-in's
authenticator decided (201 with a username and groups, or 401; the caller's ARN from its "STS response"
log line), and for a caller it lets in whether its authorizer allows `list pods` in `default` (a
SelfSubjectAccessReview), must be what `eksdoctor explain --arn ARN` predicts from the scenario's evidence: the bundle
that `eksdoctor diagnose --all --save-bundle` wrote (every entry described), the files an admin saves by hand, and what
`eksdoctor explain --cluster prod` reads live.
"""
from __future__ import annotations

import base64
import json
import re
import ssl
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from .scenario import CLUSTER, REGION, SCENARIOS
from .world import run_aws, run_eksdoctor, run_shell

pytestmark = pytest.mark.lab

PROFILES = ("default", "dev", "sso", "admin")
LIVE = ["--cluster", CLUSTER, "--admin-profile", "admin"]
REVIEW = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
ACCESS_REVIEW = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                 "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}}}


def kubeconfig_token(world) -> str:
    """A fresh token for whoever the user's kubeconfig presents, made with its own exec command (the
    cluster name put right); for a pasted static token, its signer's profile."""
    user = yaml.safe_load(world.kubeconfig.read_text())["users"][0]["user"]
    if "exec" not in user:
        credential = parse_qs(urlsplit(_url(user["token"])).query)["X-Amz-Credential"][0]
        owner = next(name for name, (key, _) in world.keys.items() if credential.startswith(key))
        return profile_token(world, "default" if owner == "alice" else owner)
    exec_section = user["exec"]
    args = list(exec_section["args"])
    if "--cluster-name" in args:
        args[args.index("--cluster-name") + 1] = CLUSTER
    env = {e["name"]: e["value"] for e in exec_section.get("env") or []}
    run = world.run([exec_section["command"], *args], env=env)
    assert run.code == 0, run.err
    return json.loads(run.out)["status"]["token"]


def profile_token(world, profile: str) -> str:
    run = run_aws(world, "--region", REGION, "eks", "get-token", "--cluster-name", CLUSTER, "--profile", profile)
    assert run.code == 0, run.err
    return json.loads(run.out)["status"]["token"]


def _url(token: str) -> str:
    body = token.removeprefix("k8s-aws-v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def post(world, path: str, body: dict, token: str) -> tuple[int, dict | None]:
    """POST to the stand-in with a bearer token, straight (no proxy), trusting the lab CA."""
    request = urllib.request.Request(f"{world.kube.url}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(world.ca.path))))
    try:
        with opener.open(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def server_decision(world, token: str) -> tuple[str, dict]:
    """(the caller's STS ARN, what the stand-in made of it) for one token."""
    before = len(world.cluster.authenticator_log)
    status, body = post(world, "/apis/authentication.k8s.io/v1/selfsubjectreviews", REVIEW, token)
    lines = world.cluster.authenticator_log[before:]
    sts = next(line for line in lines if 'msg="STS response"' in line)
    arn = re.search(r' arn=("(?:[^"\\]|\\.)*"|\S+)', sts).group(1)
    arn = json.loads(arn) if arn.startswith('"') else arn
    if status == 401:
        return arn, {"authenticated": False}
    assert status == 201, (status, body)
    info = body["status"]["userInfo"]
    code, review = post(world, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ACCESS_REVIEW, token)
    assert code == 201, code
    return arn, {"authenticated": True, "username": info["username"],
                 "groups": [g for g in info["groups"] if g != "system:authenticated"], "allowed": review["status"]["allowed"]}


def predicted(world, arn: str, *evidence: str) -> dict:
    run = run_eksdoctor(world, "explain", "--arn", arn, *evidence, "--output", "json")
    assert run.code == 0, run.err
    doc = run.json()
    # every source gives the whole picture: the mode, and aws-auth wherever the mode consults it
    assert doc["mode"] == world.scenario.auth_mode, doc["reasons"]
    assert not any("aws-auth was not read" in r or "were not read" in r for r in doc["reasons"]), doc["reasons"]
    if not doc["authenticated"]:
        return {"authenticated": False}
    return {"authenticated": True, "username": doc["username"], "groups": doc["groups"],
            "allowed": doc["authorization"]["allowed"]}


def saved_files(world) -> list[str]:
    """The evidence an admin saves by hand: aws-auth (kubectl -o yaml), every access entry described with
    its policies, the mode and the creator; as `explain --aws-auth/--access-entries/--mode/--creator`."""
    args = ["--mode", world.scenario.auth_mode, "--creator", world.cluster.creator_arn]
    cm = run_shell(world, "kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml", admin=True)
    if cm.code == 0:
        args += ["--aws-auth", "aws-auth.yaml"]
    if world.scenario.auth_mode != "CONFIG_MAP":
        listed = run_aws(world, "eks", "list-access-entries", "--cluster-name", CLUSTER, "--output", "json", admin=True)
        assert listed.code == 0, listed.err
        docs = [listed.out]
        for principal in json.loads(listed.out)["accessEntries"]:
            for op in ("describe-access-entry", "list-associated-access-policies"):
                run = run_aws(world, "eks", op, "--cluster-name", CLUSTER, "--principal-arn", principal, "--output", "json",
                              admin=True)
                assert run.code == 0, run.err
                docs.append(run.out)
        (world.tmp / "entries.json").write_text("\n".join(docs))
        args += ["--access-entries", "entries.json"]
    return args


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_explain_agrees_with_the_lab_server(lab, name):
    world = lab(name)
    bundle = world.tmp / "bundle.json"
    run = run_eksdoctor(world, "diagnose", "--output", "json", "--admin-profile", "admin", "--all", "--save-bundle", str(bundle))
    assert run.code in (0, 1, 3) and bundle.is_file(), run.err
    files = saved_files(world)

    tokens = {"kubeconfig": kubeconfig_token(world), **{p: profile_token(world, p) for p in PROFILES}}
    seen, outcomes, disagreements = set(), set(), []
    for caller, token in tokens.items():
        arn, server = server_decision(world, token)
        if arn in seen:
            continue
        seen.add(arn)
        outcomes.add(server["authenticated"])
        for label, evidence in (("bundle", ["--bundle", str(bundle)]), ("files", files), ("live", LIVE)):
            if label != "bundle" and caller != "kubeconfig":
                continue    # files and live once per scenario: the bundle covers every caller
            guess, want = predicted(world, arn, *evidence), dict(server)
            if label == "files" and guess.get("allowed") is None:
                guess.pop("allowed", None), want.pop("allowed", None)   # RBAC is not among the files
            if guess != want:
                disagreements.append(f"{caller} {arn} ({label}): server {server}, explain {guess}")
    assert len(seen) >= 4 and outcomes == {True, False}    # every scenario lets someone in and keeps someone out
    assert disagreements == []


def test_live_explain_reads_aws_auth_only_from_the_named_cluster(lab):
    """A kubeconfig context that points at another API server: its aws-auth is not this cluster's, so live
    explain leaves it out and says so, and answers from the rest (the mode, the access entries)."""
    world = lab("healthy")
    doc = yaml.safe_load(world.kubeconfig.read_text())
    doc["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:9"
    other = world.tmp / "other.yaml"
    other.write_text(yaml.safe_dump(doc))
    run = run_eksdoctor(world, "explain", "--arn", world.cluster.creator_arn, *LIVE, "--kubeconfig", str(other), "-o", "json")
    assert run.code == 0, run.err
    answer = run.json()
    assert answer["reasons"][0] == (f"aws-auth and RBAC were not read: the kubeconfig context points at https://127.0.0.1:9, "
                                    f"not {world.cluster.endpoint} (give --context)")
    assert (answer["mode"], answer["authenticated"], answer["matched_by"]) == ("API_AND_CONFIG_MAP", True, "access entry")

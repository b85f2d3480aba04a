"""`eksdoctor whoami` in the lab, scenario by scenario: the identity it says kubectl presents is what the
real AWS CLI answers when run with the exec plugin's environment (`aws sts get-caller-identity`, or
`aws sts assume-role` for a kubeconfig that names a role), and what the lab's server saw in kubectl's
own token (its authenticator's "STS response" line); the shell's identity is the plain shell's answer.
"""
from __future__ import annotations

import json
import re

import pytest
import yaml

from .scenario import SCENARIOS
from .world import run_aws, run_eksdoctor, run_kubectl

pytestmark = pytest.mark.lab

EXEC_SCENARIOS = sorted(name for name, s in SCENARIOS.items() if s.kubeconfig.static_token_age_min is None)


def exec_plugin_identity(world) -> str:
    """The ARN the exec plugin signs as, asked of STS by the AWS CLI with the plugin's env and args."""
    exec_section = yaml.safe_load(world.kubeconfig.read_text())["users"][0]["user"]["exec"]
    env = {e["name"]: e["value"] for e in exec_section.get("env") or []}
    args = exec_section["args"]
    profile = ["--profile", args[args.index("--profile") + 1]] if "--profile" in args else []
    role = next((args[i + 1] for i, a in enumerate(args) if a in ("--role", "--role-arn")), None)
    if role:   # get-token assumes it with its default session name
        run = world.run(["aws", *profile, "sts", "assume-role", "--role-arn", role,
                         "--role-session-name", "EKSGetTokenAuth", "--output", "json"], env=env)
        assert run.code == 0, run.err
        return run.json()["AssumedRoleUser"]["Arn"]
    run = world.run(["aws", *profile, "sts", "get-caller-identity", "--output", "json"], env=env)
    assert run.code == 0, run.err
    return run.json()["Arn"]


def server_saw(world) -> str | None:
    """The caller ARN in the stand-in's log for kubectl's own request (None when STS refused the token or
    kubectl never sent one)."""
    before = len(world.cluster.authenticator_log)
    run_kubectl(world, "get", "pods")
    for line in world.cluster.authenticator_log[before:]:
        if 'msg="STS response"' in line:
            return re.search(r" arn=(\S+)", line).group(1)
    return None


@pytest.mark.parametrize("name", EXEC_SCENARIOS)
def test_whoami_is_what_sts_says_for_the_exec_plugins_env(lab, name):
    world = lab(name)
    run = run_eksdoctor(world, "whoami", "-o", "json")
    assert run.code == 0, run.err
    report = run.json()
    expected = exec_plugin_identity(world)
    assert report["kubectl"]["arn"] == expected
    seen = server_saw(world)
    if seen is not None:
        assert seen == expected
    shell = run_aws(world, "sts", "get-caller-identity", "--output", "json")
    assert report["shell"]["arn"] == json.loads(shell.out)["Arn"]
    assert report["shell"]["same_as_kubectl"] is (report["shell"]["canonical_arn"] == report["kubectl"]["canonical_arn"])

"""Every aws-auth write of the --apply path, step by step: the guard runs on the object as it is when written
(lint errors refused even with --force; node rows and the last admin only with --force), a timestamped backup
with its restore command comes before the PUT, the PUT carries the resourceVersion, and the read-back must
still hold the change. The API server is a recording stand-in (the HTTP boundary, not eksdoctor's code)."""
from __future__ import annotations

import copy
import io
import re

import pytest
import yaml

from eksdoctor.act import awsauth_edit as edits
from eksdoctor.act.apply import Options, Runner
from eksdoctor.act.plan import EditAwsAuth, Snapshot
from eksdoctor.model.access import AccessEntries
from eksdoctor.model.evidence import Target

A = "111122223333"
NODE = f"arn:aws:iam::{A}:role/eks-node"
ADMINS = f"arn:aws:iam::{A}:role/eks-admins"
DEV = f"arn:aws:iam::{A}:role/dev"
NODE_ROW = f"- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n"
ADMIN_ROW = f"- rolearn: {ADMINS}\n  username: admin\n  groups:\n  - system:masters\n"


class FakeApiServer:
    """kube-system/aws-auth as the API server keeps it: optimistic concurrency on resourceVersion.
    `after_put(server)` runs once after the first successful PUT (another writer coming right after)."""

    def __init__(self, data: dict, after_put=None):
        self.obj = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "aws-auth", "namespace": "kube-system", "resourceVersion": "100"},
                    "data": dict(data)}
        self.after_put = after_put
        self.puts: list[dict] = []

    def bump(self, data: dict) -> None:
        self.obj["data"] = dict(data)
        self.obj["metadata"]["resourceVersion"] = str(int(self.obj["metadata"]["resourceVersion"]) + 1)

    def request(self, method, path, body=None, headers=None):
        assert path == "/api/v1/namespaces/kube-system/configmaps/aws-auth"
        if method == "GET":
            return {"status": 200, "body": copy.deepcopy(self.obj)}
        assert method == "PUT"
        self.puts.append(copy.deepcopy(body))
        if body["metadata"].get("resourceVersion") != self.obj["metadata"]["resourceVersion"]:
            return {"status": 409, "body": {"reason": "Conflict", "message": "the object has been modified"}}
        self.bump(body["data"])
        written = copy.deepcopy(self.obj)
        if self.after_put is not None:
            hook, self.after_put = self.after_put, None
            hook(self)
        return {"status": 200, "body": written}


def run(server: FakeApiServer, edit, tmp_path, **options):
    t = Target("prod", "us-east-1", A, "aws", "CONFIG_MAP")
    snap = Snapshot(t, "CONFIG_MAP", AccessEntries((), True), copy.deepcopy(server.obj),
                    node_roles=(("nodegroup", "ng-1", NODE),))
    out: list[str] = []
    ok = Runner(None, server, snap, Options(backup_dir=tmp_path / "backups", **options), out.append).run(
        [EditAwsAuth((edit,))])
    return ok, "\n".join(out)


def backups(tmp_path):
    return sorted((tmp_path / "backups").glob("*")) if (tmp_path / "backups").exists() else []


def test_a_write_is_backed_up_with_a_timestamp_and_a_restore_command_then_put_with_its_resource_version(tmp_path):
    server = FakeApiServer({"mapRoles": NODE_ROW + ADMIN_ROW})
    original = copy.deepcopy(server.obj)
    ok, out = run(server, edits.AddRow(DEV, "dev", ("devs",)), tmp_path)
    assert ok, out
    [saved] = backups(tmp_path)
    assert re.fullmatch(r"aws-auth-backup-\d{8}T\d{6}Z-rv100\.yaml", saved.name)
    assert f"backup: {saved}  (restore: kubectl replace -f {saved})" in out
    manifest = yaml.safe_load(saved.read_text())
    assert manifest["data"] == original["data"] and "resourceVersion" not in manifest["metadata"]
    assert [p["metadata"]["resourceVersion"] for p in server.puts] == ["100"]
    assert DEV in server.obj["data"]["mapRoles"] and server.obj["data"]["mapRoles"].startswith(NODE_ROW + ADMIN_ROW)
    assert "aws-auth written (resourceVersion 101) and read back identical" in out


def test_a_lint_error_is_refused_even_with_force_and_nothing_is_backed_up_or_written(tmp_path):
    server = FakeApiServer({"mapRoles": NODE_ROW + ADMIN_ROW})
    ok, out = run(server, edits.AddRow(f"arn:aws:iam::{A}:role/team/ops", "ops", ("ops",)), tmp_path, force=True, yes=True)
    assert not ok
    assert "FAILED: refused: the result would not lint cleanly" in out and "written with its IAM path" in out
    assert server.puts == [] and backups(tmp_path) == []


def test_removing_a_node_role_is_refused_unless_forced(tmp_path):
    server = FakeApiServer({"mapRoles": NODE_ROW + ADMIN_ROW})
    ok, out = run(server, edits.RemoveRows((NODE,)), tmp_path)
    assert not ok and f"FAILED: refused (--force overrides):\n       mapRoles[0] maps node/Fargate role {NODE}" in out
    assert server.puts == [] and backups(tmp_path) == []

    ok, out = run(server, edits.RemoveRows((NODE,)), tmp_path, force=True)
    assert ok, out
    assert f"forced: mapRoles[0] maps node/Fargate role {NODE}" in out
    assert NODE not in server.obj["data"]["mapRoles"] and len(backups(tmp_path)) == 1


def test_removing_the_last_admin_is_refused_unless_forced(tmp_path):
    server = FakeApiServer({"mapRoles": NODE_ROW + ADMIN_ROW})
    ok, out = run(server, edits.RemoveRows((ADMINS,)), tmp_path)
    assert not ok and "this removes the last cluster admin mapping" in out
    assert server.puts == []
    ok, out = run(server, edits.RemoveRows((ADMINS,)), tmp_path, force=True)
    assert ok and ADMINS not in server.obj["data"]["mapRoles"]


@pytest.mark.parametrize("answer", ["n", "y"])
def test_a_change_made_in_between_is_replanned_on_the_new_version_and_asked_again(tmp_path, monkeypatch, answer):
    alice = f"- userarn: arn:aws:iam::{A}:user/alice\n  username: alice\n  groups:\n  - devs\n"
    server = FakeApiServer({"mapRoles": NODE_ROW})
    t = Target("prod", "us-east-1", A, "aws", "CONFIG_MAP")
    snap = Snapshot(t, "CONFIG_MAP", AccessEntries((), True), copy.deepcopy(server.obj))
    server.bump({"mapRoles": NODE_ROW, "mapUsers": alice})        # another admin, after eksdoctor's plan
    monkeypatch.setattr("sys.stdin", io.StringIO(answer + "\n"))  # the person's answer to the new question
    out: list[str] = []
    ok = Runner(None, server, snap, Options(backup_dir=tmp_path), out.append).run(
        [EditAwsAuth((edits.AddRow(DEV, "dev", ("devs",)),))])
    text = "\n".join(out)
    assert "resourceVersion 100 → 101): someone else edited it. Re-planned on the current version:" in text
    assert DEV in text                                             # the new plan is shown
    assert server.obj["data"]["mapUsers"] == alice                 # the other admin's row survives either way
    if answer == "n":
        assert not ok and "FAILED: not written: the new plan was not confirmed (nothing was overwritten)" in text
        assert server.puts == []
    else:
        assert ok, text
        assert [p["metadata"]["resourceVersion"] for p in server.puts] == ["101"] and DEV in server.obj["data"]["mapRoles"]


def test_a_concurrent_change_that_lands_first_is_read_again_never_overwritten(tmp_path):
    alice = f"- userarn: arn:aws:iam::{A}:user/alice\n  username: alice\n  groups:\n  - devs\n"
    server = FakeApiServer({"mapRoles": NODE_ROW})
    original_request = server.request
    raced = []

    def request(method, path, body=None, headers=None):
        if method == "PUT" and not raced:   # another admin's edit lands between eksdoctor's read and its PUT
            raced.append(True)
            server.bump({"mapRoles": NODE_ROW, "mapUsers": alice})
        return original_request(method, path, body, headers)
    server.request = request
    ok, out = run(server, edits.AddRow(DEV, "dev", ("devs",)), tmp_path, yes=True)
    assert ok, out
    assert "conflict: aws-auth changed between reading and writing (attempt 1); nothing was overwritten" in out
    assert [p["metadata"]["resourceVersion"] for p in server.puts] == ["100", "101"]
    assert server.obj["data"]["mapUsers"] == alice and DEV in server.obj["data"]["mapRoles"]


def test_a_read_back_that_lost_the_change_fails_the_step(tmp_path):
    """Someone writes over eksdoctor's version right after it (without a resourceVersion): the read-back sees it."""
    server = FakeApiServer({"mapRoles": NODE_ROW}, after_put=lambda s: s.bump({"mapRoles": NODE_ROW}))
    ok, out = run(server, edits.AddRow(DEV, "dev", ("devs",)), tmp_path)
    assert not ok
    assert "FAILED: aws-auth changed again right after this write and no longer holds the change" in out


def test_a_read_back_where_a_later_writer_kept_the_change_succeeds_and_says_so(tmp_path):
    def other(s):
        s.bump({**s.obj["data"], "mapUsers": f"- userarn: arn:aws:iam::{A}:user/alice\n  username: alice\n  groups: [devs]\n"})
    server = FakeApiServer({"mapRoles": NODE_ROW}, after_put=other)
    ok, out = run(server, edits.AddRow(DEV, "dev", ("devs",)), tmp_path)
    assert ok, out
    assert "aws-auth written (resourceVersion 101); someone else wrote after it (102) and the change is still in place" in out

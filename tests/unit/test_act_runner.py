"""The executor re-checks the live cluster before each change: an entry that appeared since the plan is updated,
never created twice; a one-way mode switch needs both flags. The AWS side is a recording stand-in (the boundary,
not eksdoctor's own code)."""
from __future__ import annotations

from eksdoctor.act.apply import Options, Runner
from eksdoctor.act.client import AwsError
from eksdoctor.act.plan import AssociatePolicy, CreateEntry, Snapshot, SwitchMode
from eksdoctor.model.access import AccessEntries
from eksdoctor.model.evidence import Target

A = "111122223333"
DEV = f"arn:aws:iam::{A}:role/dev"


class FakeEks:
    """Answers like EKS for one cluster; records every call."""

    def __init__(self, entries=None, mode="API_AND_CONFIG_MAP", create_races=False):
        self.entries = dict(entries or {})
        self.mode = mode
        self.create_races = create_races
        self.calls: list[tuple[str, dict]] = []

    def call(self, service, operation, **params):
        self.calls.append((operation, params))
        arn = params.get("principalArn")
        if operation == "DescribeAccessEntry":
            if arn not in self.entries:
                raise AwsError("ResourceNotFoundException", "The specified principalArn could not be found.")
            return {"accessEntry": self.entries[arn]}
        if operation == "CreateAccessEntry":
            if self.create_races:  # someone else created it between our look and our create
                self.entries[arn] = {"principalArn": arn, "type": "STANDARD", "kubernetesGroups": ["ops"], "username": "x"}
            if arn in self.entries:
                raise AwsError("ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
            self.entries[arn] = {"principalArn": arn, "type": params.get("type", "STANDARD"),
                                 "kubernetesGroups": params.get("kubernetesGroups", [])}
            return {}
        if operation == "UpdateAccessEntry":
            self.entries[arn]["kubernetesGroups"] = params["kubernetesGroups"]
            return {}
        if operation == "ListAssociatedAccessPolicies":
            return {"associatedAccessPolicies": self.entries[arn].get("policies", [])}
        if operation == "DescribeCluster":
            return {"cluster": {"status": "ACTIVE", "accessConfig": {"authenticationMode": self.mode}}}
        raise AssertionError(f"unexpected call {operation}")

    def made(self):
        return [op for op, _ in self.calls if not op.startswith(("Describe", "List"))]


def runner(fake, **options):
    snap = Snapshot(Target("prod", "us-east-1", A, "aws", fake.mode), fake.mode, AccessEntries((), True), None)
    out: list[str] = []
    return Runner(fake, None, snap, Options(**options), out.append), out


def test_an_entry_that_appeared_since_the_plan_is_updated_not_created_again():
    fake = FakeEks({DEV: {"principalArn": DEV, "type": "STANDARD", "kubernetesGroups": ["ops"]}})
    r, out = runner(fake)
    assert r.run([CreateEntry(DEV, groups=("devs",))])
    assert fake.made() == ["UpdateAccessEntry"]
    assert fake.entries[DEV]["kubernetesGroups"] == ["ops", "devs"]   # the update sends the union


def test_a_create_that_loses_a_race_becomes_an_update():
    fake = FakeEks(create_races=True)
    r, out = runner(fake)
    assert r.run([CreateEntry(DEV, groups=("devs",))])
    assert fake.made() == ["CreateAccessEntry", "UpdateAccessEntry"]
    assert fake.entries[DEV]["kubernetesGroups"] == ["ops", "devs"]


def test_an_entry_of_another_type_stops_the_plan():
    fake = FakeEks({DEV: {"principalArn": DEV, "type": "EC2_LINUX"}})
    r, out = runner(fake)
    assert not r.run([CreateEntry(DEV), AssociatePolicy(DEV, "AmazonEKSViewPolicy")])
    assert fake.made() == [] and "stopped at step 1" in out[-1]


def test_service_linked_roles_and_reserved_names_are_never_sent():
    fake = FakeEks()
    r, out = runner(fake)
    assert not r.run([CreateEntry(f"arn:aws:iam::{A}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS")])
    assert not r.run([CreateEntry(DEV, username="system:dev")])
    assert fake.made() == []


def test_the_mode_is_switched_only_with_both_flags():
    for options in ({}, {"yes": True}, {"switch_mode": True}):
        fake = FakeEks(mode="CONFIG_MAP")
        r, out = runner(fake, **options)
        assert not r.run([SwitchMode("API_AND_CONFIG_MAP", "CONFIG_MAP")])
        assert fake.made() == [] and "only with both --switch-mode and --yes" in "\n".join(out)


def test_an_association_already_covering_the_scope_is_not_sent_again():
    fake = FakeEks({DEV: {"principalArn": DEV, "type": "STANDARD", "policies": [
        {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "accessScope": {"type": "cluster"}}]}})
    r, out = runner(fake)
    assert r.run([AssociatePolicy(DEV, "AmazonEKSViewPolicy", ("dev",))])
    assert fake.made() == [] and "already associated" in out[-1]

"""Fault matrix, first half: STS, EKS and IAM each throttle (retries exhausted), answer 5xx, hang, refuse
connections, fail DNS, deny, and answer a cut-off body (fault_matrix.py says what each run must show)."""
from __future__ import annotations

import pytest

from .fault_matrix import check
from .faults import KINDS

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", ["sts", "eks", "iam"])
def test_fault(fault_world, target, kind):
    check(fault_world, target, kind)


def test_a_denied_read_names_the_permission_and_the_statement(fault_world):
    doc = check(fault_world, "eks", "denied")
    finding = next(f for f in doc["findings"] if f["id"] == "read_permission_denied")
    assert finding["status"] == "warn" and "eks:DescribeCluster" in finding["title"]
    command = finding["fix"][0]["command"]
    assert command.startswith("aws iam put-role-policy --role-name dev --policy-name eksdoctor-read")
    assert '"eks:ListAccessEntries"' in command and finding["fix"][0]["run_as"] == "IAM admin"

"""Fault matrix, second half: CloudTrail, CloudWatch Logs and the Kubernetes API server each throttle,
answer 5xx, hang, refuse connections, fail DNS, deny, and answer a cut-off body (see fault_matrix.py)."""
from __future__ import annotations

import pytest

from .fault_matrix import check
from .faults import KINDS

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", ["cloudtrail", "logs", "kubernetes"])
def test_fault(fault_world, target, kind):
    check(fault_world, target, kind)


def test_api_server_unavailable_is_unknown_exit_3(fault_world):
    """Nothing explains a 503 from the API server: the verdict is unknown, so diagnose exits 3."""
    doc = check(fault_world, "kubernetes", "5xx")
    assert doc["summary"]["verdict"] == "unknown" and "503" in doc["summary"]["reason"]

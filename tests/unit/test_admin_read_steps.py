"""When the affected user cannot read the mapping sources, the fix lists what an admin runs: only the
sources the cluster's mode consults (list-access-entries fails in CONFIG_MAP mode; aws-auth is ignored in API)."""
from __future__ import annotations

import pytest

from eksdoctor.model.evidence import Target
from eksdoctor.model.fixes import admin_read_steps

ENTRIES = "aws eks list-access-entries --region us-east-1 --cluster-name prod"
CONFIGMAP = "kubectl get configmap aws-auth -n kube-system -o yaml"


@pytest.mark.parametrize("mode, wanted", [
    ("CONFIG_MAP", [CONFIGMAP]),
    ("API", [ENTRIES]),
    ("API_AND_CONFIG_MAP", [ENTRIES, CONFIGMAP]),
    (None, [ENTRIES, CONFIGMAP]),
])
def test_an_admin_reads_only_what_the_mode_consults(mode, wanted):
    steps = admin_read_steps(Target("prod", "us-east-1", "111122223333", "aws", mode), "arn:aws:iam::111122223333:role/dev")
    assert [s.command for s in steps[:-1]] == wanted
    assert steps[-1].command.startswith("eksdoctor diagnose --cluster prod --region us-east-1 --save-bundle cluster.json.gz")

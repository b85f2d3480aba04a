"""Commands that need no AWS or Kubernetes access must not import boto3 or the kubernetes client."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["checks"], ["analyze", "--example", "sso-role-path", "-o", "json"]])
def test_offline_commands_do_not_import_boto3_or_kubernetes(args):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "eksdoctor", *args], capture_output=True, text=True)
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert proc.returncode in (0, 1)
    assert "eksdoctor.engine" in imported or args[0] in ("--help", "--version")
    heavy = {name for name in imported if name.split(".")[0] in ("boto3", "botocore", "kubernetes")}
    assert heavy == set()

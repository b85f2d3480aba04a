"""The README's first set-up command, as written there, on a fresh machine: a new venv, `pip install .`
from a copy of the source tree, then a real diagnosis of a shipped example with no AWS account, no
AWS configuration and no kubeconfig."""
from __future__ import annotations

import os
import shutil
import subprocess

from conftest import ROOT


def readme_first_command() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Set-up: two commands"):]
    block = section[section.index("```sh") + len("```sh"):]
    return block[:block.index("```")].strip()


def source_tree(dest):
    """The files a clean clone has (tracked, plus new ones not ignored), without the developer's venv."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_readme_first_command_shows_a_real_diagnosis_on_a_fresh_machine(tmp_path):
    command = readme_first_command()
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert ".venv/bin/eksdoctor analyze --example " in command
    clone = source_tree(tmp_path / "eksdoctor")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECONFIG", "VIRTUAL_ENV"))}
    env.update({"HOME": str(tmp_path / "home"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "NO_COLOR": "1", "COLUMNS": "200"})
    proc = subprocess.run([shutil.which("bash"), "-c", command], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=900)
    out = proc.stdout
    assert proc.returncode == 1, proc.stderr[-2000:]  # 1: the example's access is broken, and it says why
    assert "ROOT CAUSE" in out and "sso_role_in_aws_auth" in out
    assert "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef" in out  # the corrected ARN in the fix
    assert "Traceback" not in proc.stderr

"""`eksdoctor report`: one self-contained document for a ticket, in Markdown or offline HTML."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, run_cli

SSO = FIXTURES / "sso_role_in_aws_auth" / "bundle.json"
FIX = "#arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef\\1#"


def _bundle_with_errors(tmp_path):
    data = json.loads(SSO.read_text())
    data["collection"] = {"errors": [{"collector": "creator", "code": "AccessDeniedException",
                                      "message": "not authorized to perform: cloudtrail:LookupEvents"}]}
    data["local"] = {"platform": "linux", "tools": {"aws": {"path": "/usr/bin/aws", "version": "aws-cli/2.22.0"},
                                                    "kubectl": None},
                     "env": {"AWS_PROFILE": "dev", "AWS_SECRET_ACCESS_KEY": "<set>", "AWS_REGION": None}}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("suffix", ["md", "html"])
def test_report_has_verdict_fix_evidence_environment_and_errors(tmp_path, suffix):
    out = tmp_path / f"report.{suffix}"
    result = run_cli("report", "--bundle", str(_bundle_with_errors(tmp_path)), "-o", str(out))
    assert result.code == 0, result.err
    assert result.out.startswith(f"wrote {out} (broken: sso_role_in_aws_auth")
    text = out.read_text()
    order = ["sso_role_in_aws_auth", "Chain of evidence", "Evidence", "Environment", "Collection errors"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert FIX in text
    assert "kubernetes.configmaps/kube-system/aws-auth[0]" in text  # the evidence record, shown
    assert "not authorized to perform: cloudtrail:LookupEvents" in text
    for fact in ("CONFIG_MAP", "aws-cli/2.22.0", "us-east-1", "AWS_PROFILE=dev", "AWS_SECRET_ACCESS_KEY (set)"):
        assert fact in text, fact
    assert list(tmp_path.glob(".report.*")) == []  # the atomic write left no temp file


def test_html_report_loads_nothing_from_anywhere(tmp_path):
    out = tmp_path / "report.html"
    run_cli("report", "--bundle", str(SSO), "-o", str(out))
    html = out.read_text()
    assert "default-src 'none'" in html
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url(", "@font-face"):
        assert forbidden not in html.lower(), forbidden


def test_report_anonymize_hides_names(tmp_path):
    out = tmp_path / "report.md"
    assert run_cli("report", "--bundle", str(SSO), "-o", str(out), "--anonymize").code == 0
    text = out.read_text()
    assert "111122223333" not in text and "alice" not in text and "cluster prod" not in text
    assert "AWSReservedSSO_" in text and "sso_role_in_aws_auth" in text
    assert "names anonymised: yes" in text


def test_report_usage_errors_are_one_line(tmp_path):
    bad = run_cli("report", "--bundle", str(SSO), "-o", str(tmp_path / "report.pdf"))
    assert bad.code == 2 and "Markdown (.md) or HTML (.html)" in bad.err
    nowhere = run_cli("report", "--bundle", str(SSO), "-o", str(tmp_path / "missing" / "report.md"))
    assert nowhere.code == 2 and len(nowhere.err.strip().splitlines()) == 1 and "Traceback" not in nowhere.err
    mixed = run_cli("report", "--bundle", str(SSO), "-o", str(tmp_path / "r.md"), "--cluster", "x")
    assert mixed.code == 2


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium); "
                                             "the offline HTML rendering check needs a real browser")
def test_html_report_renders_offline_in_headless_chromium(tmp_path):
    out = tmp_path / "report.html"
    run_cli("report", "--bundle", str(_bundle_with_errors(tmp_path)), "-o", str(out))
    offline = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking"]
    dom = subprocess.run([*offline, "--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "Root cause" in dom and FIX in dom.replace("&amp;", "&")
    shot = tmp_path / "report.png"
    subprocess.run([*offline, "--window-size=1200,1600", f"--screenshot={shot}", out.as_uri()],
                   capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 1600)
    assert len(png) > 40_000, "the screenshot is (nearly) blank"
    (FIXTURES.parent / ".screenshots").mkdir(exist_ok=True)
    shutil.copy(shot, FIXTURES.parent / ".screenshots" / "report.png")  # for a person to look at

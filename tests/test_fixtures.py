"""Every fixtures/NAME/ (bundle.json + expect.json) is one scenario: the first finding, its status,
the fix text and the exit code are what a user would see from `eksdoctor analyze`."""
from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, run_cli

SCENARIOS = sorted(p.name for p in FIXTURES.iterdir() if (p / "bundle.json").is_file())


def test_fixtures_exist():
    assert len(SCENARIOS) >= 4


@pytest.mark.parametrize("name", SCENARIOS)
def test_fixture(name):
    expect = json.loads((FIXTURES / name / "expect.json").read_text())
    result = run_cli("analyze", str(FIXTURES / name / "bundle.json"), "--output", "json")
    assert result.code == expect["exit_code"], result.err
    doc = result.json()
    findings = doc["findings"]
    fails = [f for f in findings if f["status"] == "fail"]
    if expect["first"] is None:
        assert fails == [], f"expected no failing finding, got {[f['id'] for f in fails]}"
    else:
        first = findings[0]
        assert first["id"] == expect["first"]
        assert first["status"] == expect.get("status", "fail")
        commands = "\n".join(step["command"] for step in first["fix"])
        for text in expect.get("fix_contains", []):
            assert text in commands
        for text in expect.get("fix_lacks", []):
            assert text not in commands
        for text in expect.get("detail_contains", []):
            assert text in first["detail"]
    by_id = {f["id"]: f for f in findings}
    for check_id, status in expect.get("present", {}).items():
        assert by_id[check_id]["status"] == status, by_id[check_id]
    if "verdict" in expect:
        assert doc["summary"]["verdict"] == expect["verdict"]

"""Every check that `eksdoctor checks` lists (each module in checks/) has a docs page, a fixture named
after it where it is the first finding, and a control fixture where it is present and passes. The
fixtures themselves run in test_fixtures.py, so each claim here is also checked against the real CLI."""
import json

import pytest

from conftest import FIXTURES, ROOT, run_cli

MODULES = sorted(p.stem for p in (ROOT / "checks").glob("*.py") if not p.stem.startswith("_"))
EXPECTS = {p.name: json.loads((p / "expect.json").read_text()) for p in FIXTURES.iterdir() if (p / "expect.json").is_file()}


def test_the_catalog_is_exactly_the_check_modules():
    listed = run_cli("checks", "-o", "json").json()
    ids = sorted(c["id"] for c in listed["checks"])
    assert ids == MODULES


@pytest.mark.parametrize("check_id", MODULES)
def test_check_is_first_in_a_fixture_and_passes_in_a_control(check_id):
    assert (ROOT / "docs" / "checks" / f"{check_id}.md").is_file()
    firsts = [name for name, e in EXPECTS.items() if e.get("first") == check_id and name.split("__")[0] == check_id]
    assert firsts, f"no fixture named {check_id}[__variant] where it is the first finding"
    controls = [name for name, e in EXPECTS.items() if e.get("present", {}).get(check_id) == "pass"]
    assert controls, f"no control fixture where {check_id} is present and passes"

"""The engine: metadata validated at load, dependencies honoured, crashes kept, plugins discovered."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from eksdoctor.bundle import validate
from eksdoctor.check import Check, CheckDefinitionError, failed, passed
from eksdoctor.engine import discover, run_checks
from eksdoctor.findings import FixStep, Status

BUNDLE = validate({"kind": "EksdoctorBundle", "version": 1, "collected_at": "2026-11-23T01:02:03Z",
                   "aws": {"sts:GetCallerIdentity": []}})


def make(cid, run, **kw):
    kw.setdefault("severity", "high")
    kw.setdefault("stage", "authentication")
    return Check(id=cid, title=f"title of {cid}", run=run, **kw)


def test_bad_severity_is_rejected_at_load():
    with pytest.raises(CheckDefinitionError, match="severity 'urgent'"):
        make("bad_severity", lambda b: passed(), severity="urgent")


def test_bad_id_stage_and_need_are_rejected():
    with pytest.raises(CheckDefinitionError, match="snake_case"):
        make("Bad-Id", lambda b: passed())
    with pytest.raises(CheckDefinitionError, match="stage"):
        make("bad_stage", lambda b: passed(), stage="somewhere")
    with pytest.raises(CheckDefinitionError, match="need"):
        make("bad_need", lambda b: passed(), needs=("eks:DescribeCluster",))


def test_fix_command_must_not_be_a_url():
    with pytest.raises(ValueError, match="not a URL"):
        FixStep("https://docs.aws.amazon.com/eks/", "cluster admin", "read the docs")


def test_a_fix_that_is_a_url_becomes_an_error_finding():
    url_fix = make("url_fix", lambda b: failed("x", fix=[FixStep("https://example.com", "me", "no")]))
    finding = run_checks(BUNDLE, [url_fix]).findings[0]
    assert finding.status is Status.ERROR and "not a URL" in finding.detail


def test_dependent_of_a_failed_check_is_skipped_and_root_cause_first():
    root = make("root_cause", lambda b: failed("the root"), stage="credentials")
    child = make("child_check", lambda b: failed("never runs"), depends_on=("root_cause",), stage="kubeconfig")
    diagnosis = run_checks(BUNDLE, [child, root])
    assert [f.id for f in diagnosis.findings] == ["root_cause", "child_check"]
    assert diagnosis.findings[1].status is Status.SKIPPED
    assert diagnosis.findings[1].detail == "blocked by root_cause (fail)"


def test_crash_becomes_error_finding_naming_the_exception():
    def boom(bundle):
        raise KeyError("cluster")
    diagnosis = run_checks(BUNDLE, [make("crashes", boom)])
    finding = diagnosis.findings[0]
    assert finding.status is Status.ERROR
    assert "KeyError" in finding.detail
    assert diagnosis.verdict == "unknown"


def test_missing_evidence_skips_with_how_to_collect():
    check = make("needs_cluster", lambda b: passed(), needs=("aws:eks:DescribeCluster",))
    finding = run_checks(BUNDLE, [check]).findings[0]
    assert finding.status is Status.SKIPPED
    assert "aws eks describe-cluster" in finding.detail


def test_present_but_empty_evidence_counts_as_collected():
    check = make("needs_identity", lambda b: passed("ran"), needs=("aws:sts:GetCallerIdentity",))
    assert run_checks(BUNDLE, [check]).findings[0].status is Status.PASS


def test_duplicates_unknown_dependencies_and_cycles_are_reported_not_dropped():
    a = make("cycle_a", lambda b: passed(), depends_on=("cycle_b",))
    b = make("cycle_b", lambda b: passed(), depends_on=("cycle_a",))
    orphan = make("orphan", lambda b: passed(), depends_on=("missing_check",))
    dup1 = make("twice", lambda b: passed())
    dup2 = make("twice", lambda b: passed())
    findings = run_checks(BUNDLE, [a, b, orphan, dup1, dup2]).findings
    details = " | ".join(f.detail for f in findings if f.status is Status.ERROR)
    assert "dependency cycle" in details and "unknown check(s) missing_check" in details
    assert "duplicate check id 'twice'" in details
    assert sum(1 for f in findings if f.id == "twice" and f.status is Status.PASS) == 1


def test_builtins_load_through_entry_points_and_validate():
    checks, problems = discover()
    assert problems == []
    assert {"sso_role_in_aws_auth", "role_path_in_aws_auth"} <= {c.id for c in checks}
    assert all(c.origin == "builtin" for c in checks)
    assert [c.id for c in checks if c.title.startswith("Check module")] == []  # every module imported


def test_a_broken_builtin_module_errors_alone(tmp_path):
    """One check module that cannot be imported becomes one error finding; the other checks still run."""
    import shutil
    import eksdoctor.checks as builtin
    copy = tmp_path / "eksdoctor_checks_copy"
    shutil.copytree(builtin.__path__[0], copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "zz_broken.py").write_text("import no_such_module_anywhere\n")
    script = (f"import sys, importlib.util; spec = importlib.util.spec_from_file_location('eksdoctor.checks', {str(copy / '__init__.py')!r}, "
              f"submodule_search_locations=[{str(copy)!r}]); m = importlib.util.module_from_spec(spec); sys.modules['eksdoctor.checks'] = m; "
              "spec.loader.exec_module(m); cs = m.builtin_checks(); "
              "print(len(cs), [c.id for c in cs if c.title.startswith('Check module')])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    count, broken = out.split(" ", 1)
    assert int(count) > 40 and broken.strip() == "['zz_broken']"


def test_third_party_plugin_is_discovered_through_the_same_group(tmp_path):
    (tmp_path / "acme_checks.py").write_text(textwrap.dedent("""
        from eksdoctor.check import Check, warned
        CHECK = Check(id="acme_policy", title="ACME policy", severity="low", stage="evidence",
                      run=lambda bundle: warned("ACME says hi"))
    """))
    dist = tmp_path / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[eksdoctor.checks]\nacme = acme_checks:CHECK\n")
    script = ("import json, sys; from eksdoctor.engine import discover; c, p = discover(); "
              "print(json.dumps({'ids': [x.id for x in c], 'origins': [x.origin for x in c], 'problems': [x.message for x in p]}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    assert '"acme_policy"' in out and '"plugin:acme"' in out and '"problems": []' in out

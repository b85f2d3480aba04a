"""What eksdoctor shows when its own collection goes wrong: a crashing collector is one line of the
collection_incomplete finding (its traceback only with --debug), an AWS answer quoted in an error
never carries the keys in it, and --timeout bounds the whole run (tests/lab/fault_matrix.py runs it)."""
from __future__ import annotations

import json

from conftest import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksdoctor.bundle import save_bundle
from eksdoctor.collect import Options
from eksdoctor.collect.context import Context
from eksdoctor.collect.graph import Clock, Collector, run_graph
from eksdoctor.collect.run import collection_budget
from eksdoctor.redact import redact_text


def broken_collector(ctx) -> None:  # a collector with a bug (the test's own, not eksdoctor's)
    {}["missing"]


def test_a_crashing_collector_is_reported_and_debug_shows_its_traceback(tmp_path):
    details = {}
    for debug in (False, True):
        ctx = Context(Options(cluster="prod", region="us-east-1", debug=debug), environ={})
        run_graph([Collector("broken", broken_collector)], ctx, Clock(5))
        path = tmp_path / f"debug-{debug}.json"
        save_bundle(ctx.data, path)
        run = run_cli("analyze", str(path), "-o", "json")
        assert run.code == 3 and "Traceback" not in run.err, run.err
        finding = next(f for f in run.json()["findings"] if f["id"] == "collection_incomplete")
        assert finding["status"] == "warn" and "collector broken: CollectorError: KeyError: 'missing'" in finding["detail"]
        details[debug] = finding["detail"]
    assert "Traceback" not in details[False]
    assert "Traceback (most recent call last)" in details[True] and "broken_collector" in details[True]


def test_an_sts_answer_quoted_in_an_error_loses_its_keys():
    cut = ('Unable to parse response: b\'<AssumeRoleResponse><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>'
           '<SecretAccessKey>wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY</SecretAccessKey><SessionToken>FQoGZXIvYXdzE'
           '<Expiration>2026')
    shown = redact_text(cut)
    assert "wJalrXUtnFEMI" not in shown and "FQoGZXIvYXdzE" not in shown and "ASIAEXAMPLE" in shown
    assert redact_text('{"SecretAccessKey": "abc/def+ghi", "SessionToken":"tok"}') == \
        '{"SecretAccessKey": "REDACTED", "SessionToken":"REDACTED"}'


def test_timeout_bounds_the_whole_run():
    assert collection_budget(60) == 58 and collection_budget(6) == 4.5 and collection_budget(1) == 0.75


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temp_file(tmp_path):
    """The report is written to a temp file and renamed (bundle.write_atomic, also used for bundles and
    aws-auth backups); here the file-size limit stops the write halfway, as a full disk would."""
    import resource
    import signal
    import subprocess
    import sys

    out = tmp_path / "report.html"
    out.write_text("the previous report\n")

    def small_files() -> None:  # in the child: writing past 4 KiB fails with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    bundle = ROOT / "fixtures" / "principal_not_mapped" / "bundle.json"
    proc = subprocess.run([sys.executable, "-m", "eksdoctor", "report", "--output", str(out), "--bundle", str(bundle)],
                          capture_output=True, text=True, preexec_fn=small_files, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("eksdoctor: error: ") and "cannot write" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_inputs_over_the_documented_sizes_are_refused_in_one_line(tmp_path):
    """README 'Faults, time and size limits': sparse files, so nothing is written or read."""
    from eksdoctor.bundle import MAX_BUNDLE_BYTES
    from eksdoctor.server_commands import MAX_INPUT_BYTES

    big_bundle = tmp_path / "big.json"
    with open(big_bundle, "wb") as handle:
        handle.truncate(MAX_BUNDLE_BYTES + 1)
    big_map = tmp_path / "aws-auth.yaml"
    with open(big_map, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)
    for args, said in ((("analyze", str(big_bundle)), "byte limit for a bundle"),
                       (("explain", "--arn", "arn:aws:iam::111122223333:role/dev", "--aws-auth", str(big_map)), "larger than"),
                       (("lint", str(big_map)), "larger than")):
        run = run_cli(*args)
        assert run.code == 2 and said in run.err, (args, run.code, run.err)
        assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err


# aws-auth and access-entries files as `explain` and `lint` read them: any bytes give a result or one line
manifests = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda body: ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\n"
                            "data:\n  mapRoles: |\n" + "".join(f"    {line}\n" for line in body.splitlines())).encode(),
              st.text(max_size=200)),
    st.builds(lambda doc: json.dumps(doc).encode(), st.recursive(
        st.none() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["accessEntries", "accessEntry", "principalArn", "associatedAccessPolicies", "data",
                             "mapRoles", "kind", "items"]), inner, max_size=3), max_leaves=15)))


@settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=manifests)
def test_explain_and_lint_inputs_give_a_result_or_one_line(tmp_path, raw):
    from eksdoctor.errors import UserError
    from eksdoctor.server_commands import explain_document, lint_documents

    path = tmp_path / "input"
    path.write_bytes(raw)
    for read in (lambda: lint_documents([path], None),
                 lambda: explain_document("arn:aws:iam::111122223333:role/dev", aws_auth=path),
                 lambda: explain_document("arn:aws:iam::111122223333:role/dev", access_entries=path)):
        try:
            read()
        except UserError as exc:
            assert "\n" not in str(exc)


def test_a_bundle_that_cannot_be_written_is_one_line_exit_2(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    target = tmp_path / "no-such-folder" / "out.json.gz"
    run = run_cli("diagnose", "--kubeconfig", str(kubeconfig), "--save-bundle", str(target), "--timeout", "10",
                  env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.code == 2, (run.code, run.err)
    assert run.err.startswith(f"eksdoctor: error: {target}: cannot write: ") and len(run.err.strip().splitlines()) == 1
    assert not target.parent.exists()

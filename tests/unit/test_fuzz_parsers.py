"""Property-based tests over every parser that reads user input: each input gets a result or a clear
error of the documented kind, never another exception, never a hang (hypothesis deadlines)."""
from __future__ import annotations

import gzip
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksdoctor.bundle import MAX_JSON_DEPTH, BundleError, parse_document, validate
from eksdoctor.collect import kubeconfig as kc
from eksdoctor.engine import discover, run_checks
from eksdoctor.findings import Status
from eksdoctor.model import arn, token
from eksdoctor.model.awsauth import parse_data
from eksdoctor.redact import redact_bundle

FAST = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=25)
CHECKS, PROBLEMS = discover()


@FAST
@given(st.binary(max_size=300))
def test_bundle_bytes_never_escape_as_anything_but_bundle_error(raw):
    try:
        validate(parse_document(raw, "fuzz"), "fuzz")
    except BundleError as exc:
        assert "\n" not in str(exc)


@FAST
@given(st.integers(min_value=1, max_value=5000))
def test_deep_nesting_is_refused_cleanly(depth):
    text = '{"x": ' + "[" * depth + "]" * depth + "}"
    try:
        redact_bundle(parse_document(text.encode(), "deep"))
    except BundleError as exc:
        assert "nested deeper" in str(exc) and depth >= MAX_JSON_DEPTH
    else:
        assert depth < MAX_JSON_DEPTH


def test_huge_numbers_parse_or_fail_cleanly():
    head = b'{"kind": "EksdoctorBundle", "version": 1, "collected_at": "2026-11-23T01:02:03Z", "x": 1'
    assert parse_document(head + b"0" * 300 + b"}", "big")["x"] == 10 ** 300
    try:
        parse_document(head + b"0" * 5000 + b"}", "huge")
    except BundleError as exc:
        assert "not valid JSON" in str(exc) and "digits" in str(exc)


call_records = st.fixed_dictionaries({}, optional={
    "as": st.sampled_from(["exec", "shell", "admin", 3]), "request": json_values,
    "response": json_values, "error": json_values, "region": json_values})
AWS_KEYS = ["sts:GetCallerIdentity", "eks:DescribeCluster", "eks:ListAccessEntries", "eks:DescribeAccessEntry",
            "eks:ListAssociatedAccessPolicies", "iam:GetRole", "cloudtrail:LookupEvents", "logs:GetQueryResults"]
KUBE_KEYS = ["probe", "configmaps/kube-system/aws-auth", "selfsubjectreviews", "clusterrolebindings"]
bundles = st.fixed_dictionaries(
    {"kind": st.just("EksdoctorBundle"), "version": st.just(1), "collected_at": st.just("2026-11-23T01:02:03Z")},
    optional={
        "target": st.dictionaries(st.sampled_from(["cluster", "region", "account"]), json_scalars),
        "local": st.dictionaries(st.sampled_from(["exec", "kubeconfig", "env", "tools", "aws_config"]), json_values),
        "aws": st.dictionaries(st.sampled_from(AWS_KEYS), st.lists(call_records, max_size=3)),
        "kubernetes": st.dictionaries(st.sampled_from(KUBE_KEYS), st.lists(call_records, max_size=3)),
    })


@settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(bundles)
def test_checks_survive_any_well_formed_bundle(data):
    diagnosis = run_checks(validate(data), CHECKS, PROBLEMS)
    crashed = [f"{f.id}: {f.detail}" for f in diagnosis.findings if f.status is Status.ERROR]
    assert crashed == []


@FAST
@given(st.text(max_size=400))
def test_aws_auth_sections_never_raise(text):
    parsed = parse_data({"mapRoles": text, "mapUsers": text, "mapAccounts": text})
    assert isinstance(parsed.roles, tuple)


@FAST
@given(st.dictionaries(st.sampled_from(["mapRoles", "mapUsers", "mapAccounts", "other"]), json_values))
def test_aws_auth_data_of_any_shape_never_raises(data):
    parse_data(data)


@FAST
@given(st.text(max_size=200) | st.builds(lambda s: "k8s-aws-v1." + s, st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=300)))
def test_token_decode_never_raises(text):
    info = token.decode(text)
    assert "format_error" in info


@FAST
@given(st.text(max_size=120) | st.builds(lambda p, s, r: f"arn:{p}:{s}::123456789012:{r}",
                                           st.sampled_from(["aws", "aws-cn", "x"]), st.sampled_from(["iam", "sts", "s3"]), st.text(max_size=40)))
def test_arn_canonicalize_raises_only_arn_error(text):
    try:
        arn.canonicalize(text)
    except arn.ArnError:
        pass


@FAST
@given(st.binary(max_size=400))
def test_kubeconfig_of_any_bytes_is_loaded_or_reported(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_bytes(raw)
    loaded = kc.load(str(path), {})
    selected = kc.select(loaded, None)
    assert loaded.errors or selected.problem or selected.context is not None


def test_truncated_gzip_bundle_is_a_bundle_error(tmp_path):
    from eksdoctor.bundle import load_bundle
    data = gzip.compress(json.dumps({"kind": "EksdoctorBundle"}).encode())
    path = tmp_path / "cut.json.gz"
    for cut in range(2, len(data) - 1, 5):
        path.write_bytes(data[:cut])
        with pytest.raises(BundleError):
            load_bundle(path)

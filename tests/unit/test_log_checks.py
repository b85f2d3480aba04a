"""What a user sees from the log checks: the cause the authenticator's lines confirm, the lines
themselves, the logging-disabled fix, and no token or signature ever printed."""
from __future__ import annotations

import copy
import json

from conftest import FIXTURES, run_cli


def load(name: str) -> dict:
    return json.loads((FIXTURES / name / "bundle.json").read_text())


def analyze(tmp_path, data: dict, *args: str):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    return run_cli("analyze", str(path), *args)


def by_id(result) -> dict:
    return {f["id"]: f for f in result.json()["findings"]}


def set_lines(data: dict, lines: list[tuple[str, str]]) -> dict:
    data = copy.deepcopy(data)
    data["aws"]["logs:GetQueryResults"][0]["response"]["results"] = [
        [{"field": "@timestamp", "value": ts}, {"field": "@message", "value": msg},
         {"field": "@logStream", "value": "authenticator-0123"}] for ts, msg in lines]
    return data


def test_a_denied_arn_is_confirmed_from_the_logs():
    """The affected user cannot read aws-auth: the mapping check can only infer; the log line makes it certain."""
    result = run_cli("analyze", str(FIXTURES / "principal_not_mapped__from_logs" / "bundle.json"), "-o", "json")
    assert result.code == 1
    first = result.json()["findings"][0]
    assert (first["id"], first["status"], first["confidence"]) == ("principal_not_mapped", "fail", "certain")
    assert 'error="ARN is not mapped: arn:aws:iam::444455556666:role/deployer"' in first["detail"]
    assert "aws.logs:GetQueryResults[0].results[0]" in first["evidence"]
    logs = by_id(result)["authenticator_log_evidence"]
    assert (logs["status"], logs["confidence"], logs["fix"]) == ("fail", "certain", [])  # the owning check gives the fix


def test_the_same_bundle_without_its_log_lines_is_only_likely(tmp_path):
    found = by_id(analyze(tmp_path, set_lines(load("principal_not_mapped__from_logs"), []), "-o", "json"))
    assert found["principal_not_mapped"]["confidence"] == "likely"
    assert "authenticator's log" not in found["principal_not_mapped"]["detail"]


def test_the_human_output_shows_the_deciding_line_and_the_confidence():
    result = run_cli("analyze", str(FIXTURES / "principal_not_mapped__from_logs" / "bundle.json"))
    root = next(line for line in result.out.splitlines() if "ROOT CAUSE" in line)
    assert "principal_not_mapped" in root and "certain" in root
    assert "The authenticator's log confirms it:" in result.out
    assert '2026-11-23 01:01:40  time="2026-11-23T01:01:40Z" level=warning msg="access denied"' in result.out


def test_a_mapping_finding_becomes_certain_when_a_denial_line_confirms_it():
    result = run_cli("analyze", str(FIXTURES / "role_path_in_aws_auth__confirmed_by_logs" / "bundle.json"), "-o", "json")
    found = by_id(result)
    assert found["role_path_in_aws_auth"]["confidence"] == "certain"
    assert "The authenticator's log confirms it" in found["role_path_in_aws_auth"]["detail"]
    confirm = found["authenticator_log_evidence"]
    assert confirm["status"] == "fail" and confirm["fix"] == []  # the owning check gives the fix
    assert "Consistent with: principal_not_mapped, role_path_in_aws_auth" in confirm["detail"]


def test_without_the_log_line_the_mapping_finding_makes_no_claim(tmp_path):
    data = set_lines(load("role_path_in_aws_auth__confirmed_by_logs"), [])
    found = by_id(analyze(tmp_path, data, "-o", "json"))
    assert found["role_path_in_aws_auth"]["confidence"] != "certain"
    assert "authenticator's log" not in found["role_path_in_aws_auth"]["detail"]
    assert found["authenticator_log_evidence"]["status"] == "warn"  # 401 and no line: the token side


def test_a_later_grant_refutes_an_earlier_denial(tmp_path):
    data = load("role_path_in_aws_auth__confirmed_by_logs")
    rows = data["aws"]["logs:GetQueryResults"][0]["response"]["results"]
    grant = ('time="2026-11-23T01:01:59Z" level=info msg="access granted" arn="arn:aws:iam::444455556666:role/deployer" '
             'groups="[deployers]" uid="aws-iam-authenticator:444455556666:AROAEXAMPLEDEPLOY" username=deployer')
    data = set_lines(data, [(r[0]["value"], r[1]["value"]) for r in rows] + [("2026-11-23 01:01:59.000", grant)])
    found = by_id(analyze(tmp_path, data, "-o", "json"))
    assert found["role_path_in_aws_auth"]["confidence"] == "possible"
    assert "granted this ARN after denying it" in found["role_path_in_aws_auth"]["detail"]


def test_logging_disabled_gives_the_command_the_cost_and_what_to_do_next():
    result = run_cli("analyze", str(FIXTURES / "authenticator_logs_disabled" / "bundle.json"))
    assert result.code == 0  # an evidence gap: a warning, below the default --fail-on high
    assert ("aws eks update-cluster-config --region eu-west-1 --name payments --logging "
            "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'") in result.out
    assert "Cost: CloudWatch Logs bills ingestion and storage" in result.out
    assert "Then reproduce the error, then run eksdoctor again" in result.out


def test_logging_enabled_is_a_pass_and_malformed_lines_are_counted_not_fatal():
    result = run_cli("analyze", str(FIXTURES / "healthy__logs_granted" / "bundle.json"), "-o", "json")
    assert result.code == 0
    found = by_id(result)
    assert found["authenticator_logs_disabled"]["status"] == "pass"
    detail = found["authenticator_log_evidence"]["detail"]
    assert "granted arn:aws:iam::444455556666:role/deployer as username 'deployer'" in detail
    assert "1 line(s) matched no known authenticator format" in detail


def test_no_line_for_the_caller_while_the_probe_got_401_points_at_the_token_side(tmp_path):
    data = set_lines(load("principal_not_mapped__from_logs"), [])
    finding = by_id(analyze(tmp_path, data, "-o", "json"))["authenticator_log_evidence"]
    assert (finding["status"], finding["confidence"]) == ("warn", "possible")
    assert "look at the token and credential side" in finding["detail"]


def test_token_errors_tied_by_time_are_likely_and_old_ones_only_possible(tmp_path):
    expired = ('time="2026-11-23T01:00:00Z" level=warning msg="access denied" client="127.0.0.1:1" error="sts getCallerIdentity '
               'failed: error from AWS (expected 200, got 403) on eu-west-1 endpoint. Body: {\\"Error\\":{\\"Code\\":'
               '\\"SignatureDoesNotMatch\\",\\"Message\\":\\"The request signature we calculated does not match\\"}}"')
    base = load("principal_not_mapped__from_logs")  # no kubeconfig/exec in the bundle: only the logs show it
    recent = by_id(analyze(tmp_path, set_lines(base, [("2026-11-23 01:00:00.000", expired)]), "-o", "json"))
    finding = recent["authenticator_log_evidence"]
    assert (finding["status"], finding["confidence"]) == ("fail", "likely")
    assert "Cause: wrong_cluster_name_in_token (likely), from the authenticator's log lines alone" in finding["detail"]
    assert finding["fix"][0]["command"] == "aws eks update-kubeconfig --region eu-west-1 --name payments"
    old = by_id(analyze(tmp_path, set_lines(base, [("2026-11-23 00:10:00.000", expired)]), "-o", "json"))
    assert (old["authenticator_log_evidence"]["status"], old["authenticator_log_evidence"]["confidence"]) == ("warn", "possible")


def test_aws_auth_broken_is_reported_by_its_own_check_from_the_logs():
    result = run_cli("analyze", str(FIXTURES / "aws_auth_yaml_broken__from_logs" / "bundle.json"), "-o", "json")
    first = result.json()["findings"][0]
    assert (first["id"], first["check"], first["confidence"]) == ("aws_auth_yaml_broken", "aws_auth_yaml_broken", "likely")
    assert "Errors parsing configmap" in first["detail"] or "error parsing the config maps" in first["detail"]
    assert by_id(result)["principal_not_mapped"]["detail"].startswith("blocked by aws_auth_yaml_broken")


def test_no_token_or_signature_is_ever_printed(tmp_path):
    token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eQ"
    signature = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
    line = ('time="2026-11-23T01:01:00Z" level=warning msg="access denied" client="127.0.0.1:1" '
            f'error="input token was not properly formatted: bad token {token} url ?X-Amz-Signature={signature}&X-Amz-Date=1"')
    data = set_lines(load("principal_not_mapped__from_logs"), [("2026-11-23 01:01:00.000", line)])
    for output in ("table", "json", "markdown"):
        result = analyze(tmp_path, data, "-o", output)
        assert "k8s-aws-v1.REDACTED" in result.out, output
        assert token[12:] not in result.out and signature not in result.out, output



def test_the_report_shows_the_log_line_a_finding_points_at(tmp_path):
    out = tmp_path / "report.md"
    result = run_cli("report", "--bundle", str(FIXTURES / "principal_not_mapped__from_logs" / "bundle.json"), "-o", str(out))
    assert result.code in (0, 1), result.err
    text = out.read_text()
    assert "aws.logs:GetQueryResults[0].results[0]" in text
    assert 'error=\\"ARN is not mapped: arn:aws:iam::444455556666:role/deployer\\"' in text


def test_clock_skew_reports_a_behind_clock_from_the_logs_when_no_server_time_was_recorded():
    result = run_cli("analyze", str(FIXTURES / "clock_skew__from_logs" / "bundle.json"), "-o", "json")
    first = result.json()["findings"][0]
    assert (first["id"], first["check"], first["confidence"]) == ("clock_skew", "clock_skew", "certain")
    assert "X-Amz-Date parameter is expired (15 minute expiration) 2026-11-23 00:39:03" in first["detail"]
    logs = by_id(result)["authenticator_log_evidence"]
    assert logs["fix"] == [] and "Consistent with: clock_skew" in logs["detail"]


def test_a_written_bundle_redacts_log_lines_and_analysis_only_skips_copying_them():
    from eksdoctor.redact import redact_bundle
    token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20"
    data = set_lines(load("principal_not_mapped__from_logs"), [("2026-11-23 01:01:00.000", f'msg="access denied" error="{token}"')])
    data["aws"]["logs:GetQueryResults"][0]["request"]["queryString"] = f"filter @message like /{token}/"
    written = json.dumps(redact_bundle(data))
    assert token not in written and "k8s-aws-v1.REDACTED" in written
    analysed = redact_bundle(data, keep_log_lines=True)
    rows = analysed["aws"]["logs:GetQueryResults"][0]["response"]["results"]
    assert rows is data["aws"]["logs:GetQueryResults"][0]["response"]["results"]  # shared, not copied
    assert token not in analysed["aws"]["logs:GetQueryResults"][0]["request"]["queryString"]  # the rest is redacted
    assert data["aws"]["logs:GetQueryResults"][0]["response"]["status"] == "Complete"  # the input is not changed

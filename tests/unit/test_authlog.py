"""The authenticator log parser and classifier: every line format of the reference, garbage tolerated,
bounded memory, secrets never shown, and the two bundle shapes (Logs Insights, FilterLogEvents)."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eksdoctor.bundle import validate
from eksdoctor.model import authlog
from eksdoctor.model.authlog import LogView, classify, denial_cause, log_view, parse_line, scrub

ACCT = "111122223333"

# Lines as the reference quotes them (failure-modes.md §4, authenticator.md §2 and §5).
GRANTED_CREATOR = ('time="2026-11-23T00:59:01Z" level=info msg="access granted" arn="arn:aws:iam::111122223333:user/u" '
                   'client="127.0.0.1:40192" groups="[system:masters]" method=POST path=/authenticate '
                   'stsendpoint=sts.us-east-1.amazonaws.com uid="aws-iam-authenticator:111122223333:AIDAEXAMPLE" '
                   'username=kubernetes-admin')
STS_BODY = ('{\\"Error\\":{\\"Code\\":\\"%s\\",\\"Message\\":\\"%s\\",\\"Type\\":\\"Sender\\"},'
            '\\"RequestId\\":\\"0d6c6e4b-1111-2222-3333-444455556666\\"}')


def sts_denied(code: str, message: str) -> str:
    return ('time="2026-11-23T00:59:03Z" level=warning msg="access denied" client="127.0.0.1:33264" '
            'error="sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-east-1 endpoint. Body: '
            + STS_BODY % (code, message) + '" method=POST path=/authenticate')


def format_denied(error: str) -> str:
    return f'level=warning msg="access denied" client="127.0.0.1:1" error="{error}" method=POST path=/authenticate'


CASES = [
    (format_denied("ARN is not mapped: arn:aws:iam::a:role/x"), "not_mapped"),
    (format_denied("identity is not mapped"), "not_mapped"),
    (sts_denied("ExpiredToken", "The security token included in the request is expired"), "expired_token"),
    (sts_denied("InvalidClientTokenId", "The security token included in the request is invalid."), "invalid_client_token"),
    (sts_denied("SignatureDoesNotMatch", "The request signature we calculated does not match"), "signature_mismatch"),
    (sts_denied("SignatureDoesNotMatch", "Signature expired: 20261123T003903Z is now earlier than 20261123T004704Z"), "signature_time"),
    (format_denied("input token was not properly formatted: X-Amz-Date parameter is expired (15 minute expiration) "
                   "2026-11-23 00:30:00 +0000 UTC"), "token_expired"),
    (format_denied("input token was not properly formatted: client did not sign the x-k8s-aws-id header in the pre-signed URL"),
     "unsigned_header"),
    (format_denied("input token was not properly formatted: global endpoint unsupported in partition aws-cn"), "sts_endpoint"),
    (format_denied("input token was not properly formatted: unexpected hostname \\\"evil.example.com\\\" in pre-signed URL"),
     "sts_endpoint"),
    (format_denied('input token was not properly formatted: token is missing expected \\"k8s-aws-v1.\\" prefix'),
     "malformed_token"),
    (format_denied("sts getCallerIdentity was throttled: Throttling"), "sts_throttled"),
    (format_denied("sts getCallerIdentity failed: error during GET: dial tcp: i/o timeout on us-east-1 endpoint"),
     "sts_unreachable"),
    (format_denied("mapper EKSConfigMap renderTemplates error: SessionName did not contain an instance id"), "mapping_error"),
    (format_denied("something new"), "unknown"),
]


@pytest.mark.parametrize("line,cause", CASES)
def test_denials_are_classified_by_their_error_text(line, cause):
    entry = classify(line)
    assert entry.kind == "denied"
    assert entry.cause == cause
    assert authlog.CAUSES[cause].key == cause


def test_granted_line_gives_arn_username_groups_uid_and_endpoint():
    entry = classify(GRANTED_CREATOR)
    assert entry.kind == "granted"
    assert entry.arn == "arn:aws:iam::111122223333:user/u"
    assert entry.fields["username"] == "kubernetes-admin"
    assert entry.fields["groups"] == "[system:masters]"
    assert entry.fields["uid"] == "aws-iam-authenticator:111122223333:AIDAEXAMPLE"
    assert entry.fields["stsendpoint"] == "sts.us-east-1.amazonaws.com"


def test_sts_error_body_escapes_are_undone():
    entry = classify(sts_denied("ExpiredToken", "The security token included in the request is expired"))
    assert '"Code":"ExpiredToken"' in entry.fields["error"]
    assert entry.fields["method"] == "POST" and entry.fields["path"] == "/authenticate"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab "\\nt0x7', max_size=12).filter(lambda inner: not inner.endswith("\\")))
def test_a_quoted_value_reads_the_same_whichever_way_it_is_unescaped(inner):
    """_value skips the regex when the only escapes are \\" (STS error bodies); it must agree with it."""
    assert authlog._value(f'"{inner}"') == authlog._ESCAPE.sub(authlog._unescape, inner)


def test_sts_response_line():
    entry = classify('level=info msg="STS response" accesskeyid=ASIAEXAMPLE accountid=111122223333 '
                     'arn="arn:aws:sts::111122223333:assumed-role/R/S" client="127.0.0.1:1" method=POST '
                     'path=/authenticate session=S userid=AROAEXAMPLE')
    assert entry.kind == "sts_response"
    assert (entry.fields["accesskeyid"], entry.fields["session"], entry.fields["userid"]) == ("ASIAEXAMPLE", "S", "AROAEXAMPLE")
    assert entry.arn == "arn:aws:sts::111122223333:assumed-role/R/S"


def test_not_mapped_arn_comes_from_the_error_when_the_line_has_no_arn_field():
    entry = classify(format_denied("ARN is not mapped: arn:aws:iam::111122223333:role/x"))
    assert entry.arn == "arn:aws:iam::111122223333:role/x"


@pytest.mark.parametrize("line", [
    'level=warning msg="Errors parsing configmap: [yaml: line 2: mapping values are not allowed in this context]"',
    'level=error msg="There was an error parsing the config maps.  Only saving data that was good, error parsing config map: [x]"',
    "E1123 00:00:00.000000 1 configmap.go:99] Errors parsing configmap: [yaml: bad]",
])
def test_configmap_parse_errors(line):
    assert classify(line).kind == "configmap_error"


def test_json_log_format_is_understood():
    entry = classify('{"level":"warning","msg":"access denied","arn":"arn:aws:iam::1:role/x",'
                     '"error":"identity is not mapped","groups":["a","b"],"time":"2026-11-23T00:00:00Z"}')
    assert (entry.kind, entry.cause, entry.arn) == ("denied", "not_mapped", "arn:aws:iam::1:role/x")
    assert parse_line('{"msg":"access granted","groups":["a","b"]}')["groups"] == "[a b]"


@pytest.mark.parametrize("garbage", [
    "", "   ", "no fields here", "=", '=""', 'msg', '"', 'msg="unterminated', 'a="a="a="a=', "\x00\x01\x02",
    "{", "{not json", "[1,2]", '{"msg": 1}', 'msg=ok', "x" * 100_000, 'k="' + "\\" * 5000,
])
def test_garbage_never_raises(garbage):
    classify(garbage)
    scrub(garbage)


def test_pathological_line_is_parsed_in_linear_time():
    import time
    line = 'msg="x" ' + 'a="a=' * 3000 + "b" * 20000
    start = time.perf_counter()
    parse_line(line)
    assert time.perf_counter() - start < 0.5


# --- property tests ---------------------------------------------------------------------------

_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+")


def go_quote(value: str) -> str:
    """logrus' text formatter: bare when every character is safe, else Go's %q."""
    if value and all(ch in _SAFE for ch in value):
        return value
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(lambda k: k != "msg")


@settings(max_examples=300, deadline=None)
@given(msg=st.text(max_size=60), fields=st.dictionaries(keys, st.text(max_size=80), max_size=8))
def test_logfmt_round_trip(msg, fields):
    line = " ".join([f"msg={go_quote(msg)}"] + [f"{k}={go_quote(v)}" for k, v in fields.items()])
    parsed = parse_line(line)
    assert parsed is not None
    assert parsed["msg"] == msg
    for k, v in fields.items():
        assert parsed[k] == v


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_classify_never_raises_on_arbitrary_text(text):
    entry = classify(text)
    assert entry.kind in ("granted", "denied", "sts_response", "configmap_error", "other", "unparsed")


fragments = st.sampled_from(['msg=', '"', '\\', '=', ' ', 'access denied', 'error=', 'arn=', '{', '}', '\\x', '\\u12',
                             '"access granted"', 'ARN is not mapped: ', 'arn:aws:iam::1:role/', '\n', 'ünï', '\x00'])


@settings(max_examples=500, deadline=None)
@given(st.lists(fragments, max_size=40).map("".join))
def test_classify_never_raises_on_logfmt_like_text(text):
    entry = classify(text)
    _ = entry.arn, entry.token_date


@settings(max_examples=200, deadline=None)
@given(payload=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=200),
       sig=st.text(alphabet="0123456789abcdef", min_size=16, max_size=64))
def test_scrub_removes_tokens_and_signatures(payload, sig):
    assume(payload not in "REDACTED")  # the marker itself is what a removed secret leaves
    line = f'msg="access denied" error="bad k8s-aws-v1.{payload} X-Amz-Signature={sig}&x=1 X-Amz-Security-Token={sig}"'
    shown = scrub(line)
    assert payload not in shown and sig not in shown
    assert "k8s-aws-v1.REDACTED" in shown


# --- reading a bundle ------------------------------------------------------------------------

def bundle(aws: dict, **extra):
    return validate({"kind": "EksdoctorBundle", "version": 1, "collected_at": "2026-11-23T01:02:03Z", "aws": aws, **extra})


def insights(rows, status="Complete", **stats):
    return [{"request": {"queryId": "q1"}, "response": {"results": [
        [{"field": "@timestamp", "value": ts}, {"field": "@message", "value": msg}, {"field": "@logStream", "value": stream},
         {"field": "@ptr", "value": f"p{i}"}] for i, (ts, msg, stream) in enumerate(rows)], "status": status,
        **({"statistics": stats} if stats else {})}}]


DENIED_X = 'level=warning msg="access denied" arn="arn:aws:iam::111122223333:role/X" error="identity is not mapped"'


def test_insights_and_filter_events_are_both_read_and_duplicates_counted_once():
    rows = [("2026-11-23 00:59:01.000", DENIED_X, "authenticator-abc"), ("2026-11-23 00:40:00.000", GRANTED_CREATOR, "authenticator-abc")]
    events = {"request": {"startTime": 1795392123000, "endTime": 1795395723000}, "response": {"events": [
        {"timestamp": 1795395541000, "message": DENIED_X, "logStreamName": "authenticator-abc", "eventId": "e0"},  # = row 0
        {"timestamp": 1795395542000, "message": DENIED_X, "logStreamName": "authenticator-abc", "eventId": "e1"},
        {"timestamp": 1795395542000, "message": DENIED_X, "logStreamName": "authenticator-abc", "eventId": "e1"},
        {"timestamp": 1795395543000, "message": "kube-apiserver line", "logStreamName": "kube-apiserver-abc"},
    ]}}
    view = log_view(bundle({"logs:GetQueryResults": insights(rows), "logs:FilterLogEvents": [events]}))
    assert view.events == 4 and view.other_streams == 1
    denied = view.denials_for("arn:aws:iam::111122223333:role/x")  # case-insensitive, like aws-auth
    assert denied["not_mapped"].count == 2
    assert denied["not_mapped"].last == "2026-11-23 00:59:02.000"
    assert view.creators()[0][0] == "arn:aws:iam::111122223333:user/u"
    assert view.window == ("2026-11-23 00:02:03", "2026-11-23 01:02:03")


def test_moto_style_epoch_timestamps_are_normalised():
    view = log_view(bundle({"logs:GetQueryResults": insights([("1795395541000", DENIED_X, "authenticator-x")])}))
    assert view.denied[("not_mapped", "arn:aws:iam::111122223333:role/x")].last == "2026-11-23 00:59:01.000"


def test_malformed_lines_are_counted_and_sampled_not_fatal():
    rows = [("2026-11-23 00:59:0%d.000" % i, text, "authenticator-x")
            for i, text in enumerate(["garbage one", "\x00\x01", 'msg="unterminated', DENIED_X, None, 42])]
    view = log_view(bundle({"logs:GetQueryResults": insights(rows)}))
    assert view.kinds == {"unparsed": 4, "other": 1, "denied": 1}  # an unterminated msg still has a msg
    assert len(view.unparsed_examples) == 4 <= authlog.MAX_EXAMPLES
    assert "4 unparsed" in view.summary()


def test_failed_and_partial_queries_are_reported():
    refused = [{"request": {"queryId": "q"}, "error": {"code": "AccessDeniedException", "message": "no"}}]
    assert not log_view(bundle({"logs:GetQueryResults": refused})).readable
    running = log_view(bundle({"logs:GetQueryResults": insights([("2026-11-23 00:00:00.000", DENIED_X, "authenticator")],
                                                                 status="Running")}))
    assert running.readable and not running.complete
    full = log_view(bundle({"logs:GetQueryResults": insights([("2026-11-23 00:00:00.000", DENIED_X, "authenticator")],
                                                              recordsMatched=25000.0)}))
    assert not full.complete and "incomplete" in full.summary()


def test_memory_is_bounded_per_bucket_and_in_distinct_keys_but_the_caller_is_never_dropped():
    view = LogView(focus=frozenset({"arn:aws:iam::111122223333:role/x"}))
    for i in range(authlog.MAX_BUCKETS + 50):
        view.add(authlog.Event(f"2026-11-23 00:00:{i % 60:02d}.000", "authenticator-x",
                               f'msg="access denied" arn="arn:aws:iam::1:role/r{i}" error="identity is not mapped"', f"p{i}"))
    for i in range(200):
        view.add(authlog.Event(f"2026-11-23 00:{i // 60:02d}:{i % 60:02d}.000", "authenticator-x", DENIED_X, f"q{i}"))
    assert len(view.denied) == authlog.MAX_BUCKETS + 1  # the caller came after the cap and is still kept
    assert view.dropped_keys >= 50
    bucket = view.denials_for("arn:aws:iam::111122223333:role/X")["not_mapped"]
    assert bucket.count == 200 and len(bucket.lines) == authlog.LINES_PER_BUCKET
    assert [line.time for line in bucket.lines] == ["2026-11-23 00:03:19.000", "2026-11-23 00:03:18.000", "2026-11-23 00:03:17.000"]


def test_denial_cause_of_nothing_is_unknown():
    assert denial_cause("") == "unknown"


def test_logging_enabled_reads_cluster_logging():
    def with_logging(logging):
        return bundle({"eks:DescribeCluster": [{"request": {}, "response": {"cluster": {"name": "c", "logging": logging}}}]})
    on = {"clusterLogging": [{"types": ["api"], "enabled": False}, {"types": ["authenticator", "audit"], "enabled": True}]}
    off = {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": False}]}
    assert authlog.logging_enabled(with_logging(on))[0] is True
    assert authlog.logging_enabled(with_logging(off))[0] is False
    assert authlog.logging_enabled(with_logging(None))[0] is None


# --- the fast path (anchored reads of the canonical layout) agrees with full tokenization ----------

def same(line: str) -> None:
    fast, slow = classify(line), classify(line, fast=False)
    assert (fast.kind, fast.cause, fast.arn, fast.token_date) == (slow.kind, slow.cause, slow.arn, slow.token_date)
    assert fast.fields == slow.fields


values = st.text(max_size=40) | st.sampled_from(["arn:aws:iam::1:role/x", "identity is not mapped", "[a b]", "",
                                                 'ARN is not mapped: arn:aws:iam::1:role/x', "x\\y", 'q"q',
                                                 "a error=b c", "z arn=y w", " client=c d", "x accesskeyid=k arn=q r"])


@settings(max_examples=400, deadline=None)
@given(msg=st.sampled_from(["access granted", "access denied", "STS response", "Errors parsing configmap: [x]",
                            "mapping IAM role", 'with "quotes"']),
       fields=st.dictionaries(st.sampled_from(["accesskeyid", "accountid", "arn", "client", "error", "groups", "method",
                                               "msg", "path", "session", "uid", "username", "zz"]), values, max_size=7),
       with_time=st.booleans(), level=st.sampled_from(["info", "warning", "error", "Info"]), data=st.data())
def test_fast_path_agrees_with_tokenization_on_logrus_lines(msg, fields, with_time, level, data):
    head = (['time="2026-11-23T00:00:00Z"'] if with_time else []) + [f"level={level}", f"msg={go_quote(msg)}"]
    order = sorted(fields) if data.draw(st.booleans()) else data.draw(st.permutations(sorted(fields)))
    same(" ".join(head + [f"{k}={go_quote(fields[k])}" for k in order]))


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments | st.sampled_from(['time="t" ', 'level=info ', 'msg="access denied"', ' arn=', ' client=',
                                             ' error=', 'msg="STS response"', ' accesskeyid=']), max_size=30).map("".join))
def test_fast_path_agrees_with_tokenization_on_arbitrary_fragments(text):
    same(text)

"""The EKS authenticator's CloudWatch log lines: read them out of a bundle, parse, classify, summarise.

Pure and streaming: events are read one at a time from the bundle's `logs:GetQueryResults` /
`logs:FilterLogEvents` records and folded into a bounded LogView (counts, a few deciding lines per
bucket); no list of parsed lines is ever built. Garbage is counted and sampled, never raised.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from typing import Iterator, NamedTuple
from weakref import WeakKeyDictionary

from ..bundle import Bundle
from ..redact import redact_text

LOG_STREAM_PREFIX = "authenticator"
CREATOR_USERNAME = "kubernetes-admin"
INSIGHTS_ROW_LIMIT = 10_000  # Logs Insights returns at most this many rows per query
MAX_LINE = 16_384  # longer messages are parsed on their first MAX_LINE characters
MAX_SHOWN = 300  # characters of a line shown in a finding
LINES_PER_BUCKET = 3
MAX_BUCKETS = 1_000  # distinct ARNs / access keys remembered; the rest are only counted
MAX_EXAMPLES = 5

# --------------------------------------------------------------------------- parsing

# key=value as logrus' text formatter writes it: a key starts a token; a value is a Go-quoted
# string (an unterminated one runs to the end, so a scan never backtracks) or a bare word.
# (A key can never end before a `=`, so on Python >= 3.11 it is matched possessively: no backtracking.)
_KEY = r'[^\s="]++' if sys.version_info >= (3, 11) else r'[^\s="]+'
_PAIR = re.compile(r'(?<![^\s])(' + _KEY + r')=("[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?$)|[^\s"]*)', re.S)
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)', re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(match: re.Match) -> str:
    code = match.group(1)
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code]
    try:
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if len(code) == 3 and code.isdigit():
            return chr(int(code, 8))
    except (ValueError, OverflowError):
        return "\ufffd"
    return code  # \" \\ and anything unknown: the character itself


def _value(raw: str) -> str:
    """A logfmt value as written (bare, or Go-quoted with escapes) → the string it stands for."""
    if not raw.startswith('"'):
        return raw
    if "\\" not in raw:  # the common case: no escapes, so a final quote is the closing one
        return raw[1:-1] if len(raw) > 1 and raw[-1] == '"' else raw[1:]
    inner = raw[1:]
    if inner.endswith('"') and (len(inner) - len(inner[:-1].rstrip("\\")) - 1) % 2 == 0:
        inner = inner[:-1]  # the closing quote (not an escaped one)
    if "\\" not in inner.replace('\\"', ""):  # only \" escapes (an STS error's JSON body): no regex needed
        return inner.replace('\\"', '"')
    return _ESCAPE.sub(_unescape, inner)


def _raw_fields(text) -> tuple[dict[str, str], bool] | None:
    """(fields, quoted) of one line: logfmt values still as written (quoted=True, unquoted on use, which
    is what keeps 100,000 lines fast) or JSON values as strings (quoted=False); None for neither."""
    if not isinstance(text, str):
        return None
    line = text[:MAX_LINE].strip()
    if line.startswith("{"):
        fields = _parse_json(line)
        return (fields, False) if fields is not None else None
    if "msg=" not in line:
        return None
    fields = dict(reversed(_PAIR.findall(line)))  # reversed: a key written twice keeps its first value
    return (fields, True) if "msg" in fields else None


def parse_line(text: str) -> dict[str, str] | None:
    """The fields of one authenticator line (logfmt or `--log-format json`), or None when the
    line is neither. Never raises; values are strings (JSON lists become "[a b]" as in logfmt)."""
    parsed = _raw_fields(text)
    if parsed is None:
        return None
    fields, quoted = parsed
    return {k: _value(v) for k, v in fields.items()} if quoted else fields


def _parse_json(line: str) -> dict[str, str] | None:
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or "msg" not in doc:
        return None
    out = {}
    for key, value in doc.items():
        if isinstance(value, list):
            out[str(key)] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, str):
            out[str(key)] = value
        elif value is not None:
            out[str(key)] = json.dumps(value) if isinstance(value, dict) else str(value)
    return out


# --------------------------------------------------------------------------- classifying


@dataclass(frozen=True)
class Cause:
    """What one kind of `access denied` error means, and the catalog failure modes it points at."""

    key: str
    label: str  # a few words for a title
    meaning: str
    catalog: tuple[str, ...] = ()
    side: str = "token"  # token: the request's token or credentials; mapping: the cluster's mapping

    @property
    def primary(self) -> str:
        return self.catalog[0] if self.catalog else ""


CAUSES: dict[str, Cause] = {c.key: c for c in (
    Cause("not_mapped", "not mapped", "the identity verified at STS but no access entry, aws-auth row or creator mapping matches it",
          ("principal_not_mapped", "role_path_in_aws_auth", "sso_role_in_aws_auth", "aws_auth_yaml_broken"), "mapping"),
    Cause("mapping_error", "mapping could not be applied", "a mapping matched but could not be applied (username template, reserved prefix or ID mismatch)",
          (), "mapping"),
    Cause("expired_token", "expired credentials", "STS says the credentials that signed the token have expired (ExpiredToken)",
          ("expired_or_invalid_static_creds",)),
    Cause("invalid_client_token", "unknown access key", "STS does not know the access key that signed the token (InvalidClientTokenId): "
          "deleted or invalid credentials, or an STS region the account has disabled",
          ("expired_or_invalid_static_creds", "sts_endpoint_problem")),
    Cause("signature_mismatch", "token signed for another cluster name", "STS recomputed the signature with the cluster's own name and it did not match "
          "(SignatureDoesNotMatch): the token was signed for another cluster name",
          ("wrong_cluster_name_in_token", "hex_cluster_name")),
    Cause("signature_time", "signing clock off", "STS rejected the signature's time (Signature expired / not yet current): the signing clock is off",
          ("clock_skew",)),
    Cause("token_expired", "token older than 15 minutes", "the token's X-Amz-Date is more than 15 minutes old: a token reused or cached, or a client clock behind",
          ("token_reused_over_15min", "clock_skew")),
    Cause("unsigned_header", "token without the signed cluster header", "the token does not sign the x-k8s-aws-id header: an old or hand-built token generator",
          ()),
    Cause("sts_endpoint", "unusable STS endpoint", "the token names an STS host the cluster will not use (global endpoint outside aws, unexpected host)",
          ("sts_endpoint_problem",)),
    Cause("sts_unreachable", "STS unreachable", "the authenticator could not reach the STS endpoint named in the token",
          ("sts_endpoint_problem",)),
    Cause("sts_throttled", "STS throttled", "STS throttled the authenticator (HTTP 429); retry", ()),
    Cause("sts_error", "STS refused the token", "STS refused the token for another reason", ()),
    Cause("malformed_token", "malformed token", "the token is not a well-formed EKS token", ()),
    Cause("unknown", "unrecognised error", "an error the classifier does not know", ()),
)}


def denial_cause(error: str) -> str:
    """The CAUSES key for an `access denied` line's `error` text."""
    e = error or ""
    if "is not mapped" in e:  # "ARN is not mapped: …" (older) / "identity is not mapped" (newer)
        return "not_mapped"
    if "sts getCallerIdentity was throttled" in e:
        return "sts_throttled"
    if "sts getCallerIdentity failed" in e:
        if "ExpiredToken" in e:
            return "expired_token"
        if "InvalidClientTokenId" in e:
            return "invalid_client_token"
        if "Signature expired" in e or "Signature not yet current" in e:
            return "signature_time"
        if "SignatureDoesNotMatch" in e:
            return "signature_mismatch"
        if "error during GET" in e:
            return "sts_unreachable"
        return "sts_error"
    if "not properly formatted" in e:
        if "X-Amz-Date parameter is expired" in e:
            return "token_expired"
        if "did not sign the x-k8s-aws-id header" in e:
            return "unsigned_header"
        if any(s in e for s in ("global endpoint unsupported", "unexpected hostname", "does not support hostname",
                                "could not parse region", "invalid region identifier")):
            return "sts_endpoint"
        return "malformed_token"
    if any(s in e for s in ("renderTemplates error", "must not begin with", "did not contain an instance id",
                            "does not match User ID")):
        return "mapping_error"
    if ("arn '" in e and ("is invalid" in e or "recognized partition" in e)) or "malformed UserID" in e:
        return "sts_error"
    return "unknown"


_NOT_MAPPED_ARN = re.compile(r"is not mapped:\s*(arn:[^\s,)\]\"]+)")
_TOKEN_DATE = re.compile(r"expiration\)\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")


class Entry:
    """One classified line. kind: granted, denied, sts_response, configmap_error, other, unparsed."""

    __slots__ = ("kind", "cause", "_raw", "_quoted", "_text")

    def __init__(self, kind: str, raw: dict | None = None, cause: str = "", quoted: bool = True, text: str = ""):
        self.kind, self.cause, self._raw, self._quoted = kind, cause, raw or {}, quoted
        self._text = text  # set when _raw holds only the fields the fast path read; the rest on demand

    def get(self, key: str) -> str:
        value = self._raw.get(key)
        if value is None:
            if not self._text:
                return ""
            self._raw, self._text = _raw_fields(self._text)[0], ""
            value = self._raw.get(key, "")
        return _value(value) if self._quoted and value else value

    @property
    def fields(self) -> dict[str, str]:
        if self._text:
            self.get("\0")  # completes _raw
        return {k: self.get(k) for k in self._raw}

    @property
    def arn(self) -> str:
        """granted/denied: the canonical ARN the authenticator mapped on; sts_response: STS's raw ARN."""
        arn = self.get("arn")
        if not arn and self.cause == "not_mapped":
            m = _NOT_MAPPED_ARN.search(self.get("error"))
            arn = m.group(1) if m else ""
        return arn

    @property
    def token_date(self) -> str:
        """For token_expired: the token's X-Amz-Date as the error prints it (YYYY-MM-DD HH:MM:SS)."""
        m = _TOKEN_DATE.search(self.get("error"))
        return m.group(1) if m else ""


_CONFIGMAP_MARKS = ("Errors parsing configmap", "error parsing the config maps")


_KINDS = {"access granted": "granted", "access denied": "denied", "STS response": "sts_response"}
_QUOTED_KINDS = {f'"{msg}"': kind for msg, kind in _KINDS.items()}  # compared as written: no unquoting


# The fast path: logrus writes `time="…" level=… msg="…"` and then the other keys sorted, so the
# fields a kind needs sit right after msg. Anchored matches read only those; any other layout
# (escapes in msg, extra or missing keys, JSON) falls back to full tokenization, with the same result.
_V = r'("[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]*)'
_HEAD = re.compile(r'(?:time="[^"\\]*" )?level=[a-z]+ msg=("[^"\\]*")(?=\s|$)')
_NEXT = {
    "granted": (re.compile(r' arn=' + _V + r'(?=\s|$)'), ("arn",)),
    "denied": (re.compile(r'(?: arn=' + _V + r')?(?: client=' + _V + r')? error=' + _V + r'(?=\s|$)'),
               ("arn", "client", "error")),
}


def classify(text: str, *, fast: bool = True) -> Entry:
    """Classify one line. `fast=False` forces full tokenization (the fast path must agree with it)."""
    if fast and type(text) is str:
        line = text[:MAX_LINE]
        head = _HEAD.match(line)
        if head is not None:
            msg = head.group(1)
            kind = _QUOTED_KINDS.get(msg)
            if kind is None:
                if not any(mark in msg for mark in _CONFIGMAP_MARKS):
                    return Entry("other", {"msg": msg}, text=line)
                kind = "configmap_error"
            elif kind not in _NEXT:  # STS response: only counted, its fields are read on demand
                return Entry(kind, {"msg": msg}, text=line)
            else:
                pattern, names = _NEXT[kind]
                found = pattern.match(line, head.end())
                if found is not None:
                    raw = {"msg": msg}
                    for name, value in zip(names, found.groups()):
                        if value is not None:
                            raw[name] = value
                        elif f" {name}=" not in line:
                            raw[name] = ""  # not anywhere in the line: known absent, no need to tokenize
                    entry = Entry(kind, raw, text=line)
                    if kind == "denied":
                        entry.cause = denial_cause(entry.get("error"))
                    return entry
            if kind == "configmap_error":
                return Entry(kind, {"msg": msg}, text=line)
    return _classify_tokens(text)


def _classify_tokens(text) -> Entry:
    parsed = _raw_fields(text)
    if parsed is None:
        if isinstance(text, str) and any(mark in text for mark in _CONFIGMAP_MARKS):
            return Entry("configmap_error", {"msg": text[:MAX_LINE]}, quoted=False)
        return Entry("unparsed")
    raw, quoted = parsed
    msg = raw["msg"]
    kind = (_QUOTED_KINDS if quoted else _KINDS).get(msg)
    if kind is None and quoted and not msg.startswith('"'):
        kind = _KINDS.get(msg)  # written bare (never by logrus for these, but cheap to accept)
    if kind is None:
        kind = "configmap_error" if any(mark in msg for mark in _CONFIGMAP_MARKS) else "other"
    entry = Entry(kind, raw, quoted=quoted)
    if kind == "denied":
        entry.cause = denial_cause(entry.get("error"))
    return entry


# --------------------------------------------------------------------------- display

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def scrub(text: str) -> str:
    """A line fit to show: secrets removed by eksdoctor's one redactor (EKS tokens, presigned-URL
    signatures and credentials, session tokens…), control characters escaped, one line, short."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", redact_text(text[:MAX_LINE]))
    return out if len(out) <= MAX_SHOWN else out[:MAX_SHOWN - 1] + "…"


# --------------------------------------------------------------------------- reading a bundle


class Event(NamedTuple):
    time: str  # "YYYY-MM-DD HH:MM:SS.mmm" UTC, or as recorded when it could not be read
    stream: str
    message: str
    pointer: str  # where in the bundle, e.g. aws.logs:GetQueryResults[0].results[12]


def _time_text(value) -> str:
    """Logs Insights prints `2026-11-23 00:59:01.123`; FilterLogEvents (and moto's Insights) give epoch ms."""
    if type(value) is str and len(value) >= 19 and value[4] == "-":
        return value[:23]
    text = str(value) if value is not None else ""
    if text.isdigit() and len(text) >= 10:
        try:
            moment = datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return text
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    return text[:23]


_CELL = itemgetter("field", "value")
_LAYOUT = ("@timestamp", "@message", "@logStream")  # how eksdoctor's query asks for them


def _insights_row(row) -> tuple:
    """(@timestamp, @message, @logStream) of one Logs Insights row (a list of {field, value})."""
    try:
        a, b, c = row[0], row[1], row[2]
        if (a["field"], b["field"], c["field"]) == _LAYOUT:
            return a["value"], b["value"], c["value"]
        cells = dict(map(_CELL, row))
    except (TypeError, KeyError, ValueError, IndexError):
        cells = {c.get("field"): c.get("value") for c in row if isinstance(c, dict)} if isinstance(row, list) else {}
    return cells.get("@timestamp"), cells.get("@message"), cells.get("@logStream")


def _records(bundle: Bundle, key: str, field_name: str) -> Iterator[tuple[str, list]]:
    for call in bundle.aws(key):
        if call.ok and isinstance(call.response, dict) and isinstance(call.response.get(field_name), list):
            yield f"{call.pointer}.{field_name}", call.response[field_name]


def iter_events(bundle: Bundle) -> Iterator[Event]:
    """Every log event in the bundle, once (overlapping windows are de-duplicated), Logs Insights first."""
    seen: set[int] = set()
    for base, rows in _records(bundle, "logs:GetQueryResults", "results"):
        for i, row in enumerate(rows):
            ts, msg, stream = _insights_row(row)
            key = (_time_text(ts), stream if type(stream) is str else "", msg if type(msg) is str else "")
            digest = hash(key)
            if digest not in seen:
                seen.add(digest)
                yield Event(*key, f"{base}[{i}]")
    for base, events in _records(bundle, "logs:FilterLogEvents", "events"):
        for i, ev in enumerate(events):
            ev = ev if isinstance(ev, dict) else {}
            stream, msg = ev.get("logStreamName"), ev.get("message")
            key = (_time_text(ev.get("timestamp")), stream if type(stream) is str else "", msg if type(msg) is str else "")
            digest = hash(key)
            if digest not in seen:
                seen.add(digest)
                yield Event(*key, f"{base}[{i}]")


# --------------------------------------------------------------------------- the summary

_DENIED_KEEP = ("arn", "error")
_TOKEN_KEEP = ("error",)
_GRANTED_KEEP = ("arn", "username", "groups", "uid", "stsendpoint")


class Line:
    """A line kept to show why: when, where in the bundle, and its text (scrubbed when shown)."""

    __slots__ = ("time", "pointer", "raw")

    def __init__(self, time: str, pointer: str, raw: str):
        self.time, self.pointer, self.raw = time, pointer, raw

    @property
    def text(self) -> str:
        return scrub(self.raw)

    def show(self) -> str:
        return f"{self.time[:19]}  {self.text}"

    def __repr__(self) -> str:
        return f"Line({self.time!r}, {self.pointer!r})"


class Bucket:
    """Lines of one kind (e.g. `not_mapped` denials of one ARN): a count, the span, the newest few."""

    __slots__ = ("count", "first", "last", "lines", "newest", "keep")

    def __init__(self, keep: tuple[str, ...] = ()):
        self.count, self.first, self.last = 0, "", ""
        self.lines: list[Line] = []
        self.newest: Entry | None = None
        self.keep = keep  # the fields of the newest line that `info` gives

    @property
    def info(self) -> dict[str, str]:
        """The newest line's fields (those in `keep`), redacted like any shown text."""
        return {k: redact_text(self.newest.get(k)) for k in self.keep} if self.newest is not None else {}

    def add(self, event: Event, entry: Entry | None = None) -> None:
        self.count += 1
        t = event.time
        if not self.first or t < self.first:
            self.first = t
        if t >= self.last:
            self.last, self.newest = t, entry
        lines = self.lines
        if len(lines) >= LINES_PER_BUCKET and t < lines[-1].time:
            return
        i = 0
        while i < len(lines) and lines[i].time > t:
            i += 1
        lines.insert(i, Line(t, event.pointer, event.message))
        del lines[LINES_PER_BUCKET:]


@dataclass
class Source:
    """One log record that was read (or refused)."""

    pointer: str
    ok: bool
    error_code: str = ""
    error_message: str = ""
    status: str = ""  # a Logs Insights query's status (Complete, Running, Timeout, …)
    rows: int = 0
    truncated: bool = False


@dataclass
class LogView:
    """What the bundle's authenticator logs say, in bounded memory."""

    sources: list[Source] = field(default_factory=list)
    log_group: str = ""
    window: tuple[str, str] | None = None  # UTC "YYYY-MM-DD HH:MM:SS", when the requests say
    events: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    causes: dict[str, int] = field(default_factory=dict)
    other_streams: int = 0
    unparsed_examples: list[Line] = field(default_factory=list)
    denied: dict[tuple[str, str], Bucket] = field(default_factory=dict)  # (cause, arn lowercased) → lines
    unattributed: dict[str, Bucket] = field(default_factory=dict)  # cause → denials that name no ARN
    granted: dict[str, Bucket] = field(default_factory=dict)  # arn lowercased → grants
    configmap: Bucket = field(default_factory=Bucket)
    dropped_keys: int = 0  # lines not bucketed because MAX_BUCKETS distinct keys were already kept
    focus: frozenset = frozenset()  # keys always kept past MAX_BUCKETS: the caller's ARNs

    @property
    def collected(self) -> bool:
        return bool(self.sources)

    @property
    def readable(self) -> bool:
        return any(s.ok for s in self.sources)

    @property
    def complete(self) -> bool:
        ok = [s for s in self.sources if s.ok]
        return bool(ok) and all(s.status in ("", "Complete") and not s.truncated for s in ok)

    @property
    def refusals(self) -> list[Source]:
        return [s for s in self.sources if not s.ok]

    def describe_window(self) -> str:
        if not self.window:
            return "the collected window"
        return f"{self.window[0]} – {self.window[1]} UTC"

    def _bucket(self, table: dict, key, event: Event, entry: Entry, keep: tuple[str, ...]) -> None:
        bucket = table.get(key)
        if bucket is None:
            if len(table) >= MAX_BUCKETS and (key[1] if isinstance(key, tuple) else key) not in self.focus:
                self.dropped_keys += 1
                return
            bucket = table[key] = Bucket(keep)
        bucket.add(event, entry)

    def add(self, event: Event) -> None:
        self.events += 1
        if event.stream and not event.stream.startswith(LOG_STREAM_PREFIX):
            self.other_streams += 1
            return
        entry = classify(event.message)
        kind = entry.kind
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == "denied":
            self.causes[entry.cause] = self.causes.get(entry.cause, 0) + 1
            arn = entry.arn
            if arn:
                self._bucket(self.denied, (entry.cause, arn.lower()), event, entry, _DENIED_KEEP)
            else:
                self._bucket(self.unattributed, entry.cause, event, entry, _TOKEN_KEEP)
        elif kind == "granted":
            self._bucket(self.granted, entry.arn.lower(), event, entry, _GRANTED_KEEP)
        elif kind == "configmap_error":
            self.configmap.add(event)
        elif kind == "unparsed" and len(self.unparsed_examples) < MAX_EXAMPLES:
            self.unparsed_examples.append(Line(event.time, event.pointer, event.message))

    # --- questions other checks ask ---------------------------------------------------------

    def denials_for(self, canonical_arn: str) -> dict[str, Bucket]:
        """cause → lines, for `access denied` lines that name this canonical ARN (case-insensitive)."""
        key = (canonical_arn or "").lower()
        return {cause: b for (cause, arn), b in self.denied.items() if arn == key}

    def grants_for(self, canonical_arn: str) -> Bucket | None:
        return self.granted.get((canonical_arn or "").lower())

    def creators(self) -> list[tuple[str, Bucket]]:
        """(canonical ARN, grants) of every principal granted as kubernetes-admin, newest first."""
        found = [(b.info.get("arn", arn), b) for arn, b in self.granted.items()
                 if b.info.get("username") == CREATOR_USERNAME]
        return sorted(found, key=lambda item: item[1].last, reverse=True)

    def token_errors(self) -> list[tuple[Cause, Bucket]]:
        """Denials that happened before an identity was known (token, credentials, STS), newest first."""
        out = [(CAUSES.get(cause, CAUSES["unknown"]), b) for cause, b in self.unattributed.items()]
        out = [(c, b) for c, b in out if c.side == "token"]
        return sorted(out, key=lambda item: item[1].last, reverse=True)

    def summary(self) -> str:
        """One line: how much was read and what it held."""
        if not self.readable:
            return "no authenticator log lines could be read"
        parts = [f"{self.events} events read ({self.describe_window()})"]
        parts += [f"{n} {k}" for k, n in sorted(self.kinds.items()) if n]
        if self.other_streams:
            parts.append(f"{self.other_streams} from other streams, ignored")
        if not self.complete:
            parts.append("incomplete (a query did not finish or hit the row limit)")
        return "; ".join(parts)


# --------------------------------------------------------------------------- entry points

_CACHE: "WeakKeyDictionary[Bundle, LogView]" = WeakKeyDictionary()


def log_view(bundle: Bundle) -> LogView:
    """The authenticator logs in this bundle, read once and remembered for the bundle's lifetime."""
    view = _CACHE.get(bundle)
    if view is None:
        view = _CACHE[bundle] = _read(bundle)
    return view


def _read(bundle: Bundle) -> LogView:
    view = LogView(focus=_caller_keys(bundle))
    spans: list[tuple[float, float]] = []
    for call in bundle.aws("logs:StartQuery"):
        _add_span(spans, call.request.get("startTime"), call.request.get("endTime"), 1)
        view.log_group = view.log_group or _log_group(call.request)
        if not call.ok:
            view.sources.append(Source(call.pointer, False, call.error_code, str((call.error or {}).get("message", ""))))
    for call in bundle.aws("logs:GetQueryResults"):
        if not call.ok:
            view.sources.append(Source(call.pointer, False, call.error_code, str((call.error or {}).get("message", ""))))
            continue
        resp = call.response if isinstance(call.response, dict) else {}
        rows = resp.get("results") if isinstance(resp.get("results"), list) else []
        stats = resp.get("statistics") if isinstance(resp.get("statistics"), dict) else {}
        matched = stats.get("recordsMatched")
        full = len(rows) >= INSIGHTS_ROW_LIMIT or (isinstance(matched, (int, float)) and matched > len(rows))
        view.sources.append(Source(call.pointer, True, status=str(resp.get("status") or ""), rows=len(rows), truncated=full))
    for call in bundle.aws("logs:FilterLogEvents"):
        _add_span(spans, call.request.get("startTime"), call.request.get("endTime"), 1000)
        view.log_group = view.log_group or _log_group(call.request)
        if not call.ok:
            view.sources.append(Source(call.pointer, False, call.error_code, str((call.error or {}).get("message", ""))))
            continue
        resp = call.response if isinstance(call.response, dict) else {}
        events = resp.get("events") if isinstance(resp.get("events"), list) else []
        view.sources.append(Source(call.pointer, True, rows=len(events), truncated=bool(resp.get("nextToken"))))
    if spans:
        view.window = (_fmt_epoch(min(s for s, _ in spans)), _fmt_epoch(max(e for _, e in spans)))
    for event in iter_events(bundle):
        view.add(event)
    return view


def _caller_keys(bundle: Bundle) -> frozenset:
    """The diagnosed caller's canonical ARN and raw STS ARN (lowercased), never dropped from the view."""
    from .evidence import identity  # evidence imports nothing from here; imported late to keep this module light
    caller = identity(bundle)
    if caller is None:
        return frozenset()
    return frozenset(k.lower() for k in (caller.arn, caller.canonical or "") if k)


def _log_group(request: dict) -> str:
    names = request.get("logGroupNames") or request.get("logGroupIdentifiers") or []
    return str(request.get("logGroupName") or (names[0] if isinstance(names, list) and names else "") or "")


def _add_span(spans: list, start, end, per_second: int) -> None:
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and not isinstance(start, bool):
        spans.append((start / per_second, end / per_second))


def _fmt_epoch(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def denials_for(bundle: Bundle, canonical_arn: str) -> dict[str, Bucket]:
    return log_view(bundle).denials_for(canonical_arn)


def creator_from_logs(bundle: Bundle) -> tuple[str, Bucket] | None:
    """The newest principal the authenticator granted as kubernetes-admin (the cluster creator)."""
    found = log_view(bundle).creators()
    return found[0] if found else None


def token_errors(bundle: Bundle) -> list[tuple[Cause, Bucket]]:
    return log_view(bundle).token_errors()


def logging_enabled(bundle: Bundle) -> tuple[bool | None, str]:
    """Is the `authenticator` control-plane log type on? (None when DescribeCluster does not say.)"""
    call = bundle.first_ok("aws", "eks:DescribeCluster")
    if call is None or not isinstance(call.response, dict) or not isinstance(call.response.get("cluster"), dict):
        return None, ""
    logging = call.response["cluster"].get("logging")
    setups = logging.get("clusterLogging") if isinstance(logging, dict) else None
    if not isinstance(setups, list):
        return None, call.pointer
    for setup in setups:
        if isinstance(setup, dict) and setup.get("enabled") is True and "authenticator" in (setup.get("types") or []):
            return True, call.pointer
    return False, call.pointer

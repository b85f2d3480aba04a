"""Collector: the cluster's authenticator log lines from CloudWatch Logs (read-only).

A Logs Insights query over --since on /aws/eks/<cluster>/cluster's authenticator streams, narrowed to
the caller when known; StartQuery, then GetQueryResults polled with backoff until Complete or the
deadline. A full answer (10,000 rows) splits the rest of the window into smaller queries. When Logs
Insights is refused, FilterLogEvents instead (paginated, streamed, bounded). Records go into the
bundle as bundle-v1 says; a spinner with the elapsed time shows on stderr when it is a terminal.
"""
from __future__ import annotations

import math
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ..model import arn as arns
from . import aws
from .cloud import reader_credentials

ROWS_PER_QUERY = 10_000  # Logs Insights' most rows per query
MAX_EVENTS = 100_000  # stop reading beyond this many events (the analysis is benchmarked at this size)
MIN_WINDOW = 60  # seconds; a window this small is not split further
PARALLEL_QUERIES = 4
TIMEOUT = 55.0  # the collector's own limit in the graph (the run's --timeout may cut it shorter)
STREAM_PREFIX = "authenticator"
MARKERS = ("access denied", "username=kubernetes-admin", "Errors parsing configmap", "error parsing the config maps")
_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> float:
    """`1h`, `30m`, `90s`, `2d`, `1h30m` → seconds. ValueError with a one-line reason otherwise."""
    value = (text or "").strip().lower()
    parts = _DURATION.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"--since {text!r} is not a duration like 1h, 30m, 90s, 2d or 1h30m")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if not 60 <= seconds <= 30 * 86400:
        raise ValueError(f"--since {text!r} must be between 1 minute and 30 days")
    return float(seconds)


def log_group(cluster: str) -> str:
    return f"/aws/eks/{cluster}/cluster"


def _rx(text: str) -> str:
    """Text as a literal inside a Logs Insights /regex/."""
    return "".join(ch if ch.isalnum() or ch in " :_-@,=" else "\\" + ch for ch in text)


def insights_query(caller_arns: list[str]) -> str:
    """The query: the caller's lines, token errors (denials naming no ARN), creator grants and
    aws-auth parse errors when the caller is known; every denial and creator grant otherwise."""
    markers = "|".join(_rx(m) for m in MARKERS)
    if caller_arns:
        wanted = [f"@message like /(?i){'|'.join(_rx(a) for a in caller_arns)}/"]
        wanted.append('(@message like /access denied/ and @message not like /arn=|"arn":/)')
        wanted.append(f"@message like /{'|'.join(_rx(m) for m in MARKERS[1:])}/")
        where = " or ".join(wanted)
    else:
        where = f"@message like /{markers}/"
    return (f"fields @timestamp, @message, @logStream | filter @logStream like /^{STREAM_PREFIX}/ | filter {where} "
            f"| sort @timestamp desc | limit {ROWS_PER_QUERY}")


def filter_pattern(caller_arns: list[str]) -> str:
    """FilterLogEvents' OR of exact phrases (case-sensitive, so each ARN as written)."""
    terms = [*MARKERS, *caller_arns]
    return " ".join('?"' + t.replace('"', "") + '"' for t in terms)


class Progress:
    """A spinner with the elapsed time on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None):
        self.start = time.monotonic()
        self.text = "starting"
        self._status = None
        if enabled if enabled is not None else _stderr_is_tty():
            from rich.console import Console
            self._status = Console(stderr=True).status(self)
            self._status.start()

    def __rich__(self) -> str:
        return f"authenticator logs: {self.text} ({time.monotonic() - self.start:.1f}s)"

    def update(self, text: str) -> None:
        self.text = text

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Run:
    """One collection: the credentials, the window, the deadline, counters shared by the queries."""

    def __init__(self, ctx, creds, group: str, start: int, end: int, deadline: float, progress: Progress):
        self.ctx, self.creds, self.group = ctx, creds, group
        self.start, self.end, self.deadline, self.progress = start, end, deadline, progress
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(PARALLEL_QUERIES)  # queries in flight, however deep the split
        self.rows = self.queries = self.running = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def note(self, rows: int = 0, queries: int = 0, running: int = 0) -> None:
        with self.lock:
            self.rows += rows
            self.queries += queries
            self.running += running
            self.progress.update(f"{self.queries} quer{'y' if self.queries == 1 else 'ies'}, "
                                 f"{self.running} running, {self.rows:,} lines")


def collect_logs(ctx) -> None:
    cluster = ctx.data["target"].get("cluster")
    creds = reader_credentials(ctx)
    if not cluster or creds.session is None:
        return
    since = getattr(ctx.options, "since", 3600.0) or 3600.0
    end = int(_collected_at(ctx).timestamp())
    start = end - int(since)
    begun = (ctx.data["collection"]["timings"].get("logs") or {}).get("start", 0.0)
    budget = min(TIMEOUT - 3.0, float(ctx.options.timeout) - float(begun) - 2.0)
    progress = Progress()
    run = _Run(ctx, creds, log_group(cluster), start, end, time.monotonic() + max(1.0, budget), progress)
    caller_arns = _caller(ctx)
    try:
        refused = _query_window(run, insights_query(caller_arns), start, end)
        if refused:
            _filter_events(run, caller_arns)
    finally:
        progress.stop()


def _collected_at(ctx) -> datetime:
    try:
        return datetime.strptime(ctx.data["collected_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (KeyError, ValueError):
        return datetime.now(timezone.utc)


def _caller(ctx) -> list[str]:
    """The caller's raw and canonical ARNs (from sts:GetCallerIdentity as exec). Not its access key id:
    the query is recorded in the bundle, and the authenticator's lines for a known key name its ARN."""
    found: list[str] = []
    for record in ctx.data["aws"].get("sts:GetCallerIdentity") or []:
        arn = (record.get("response") or {}).get("Arn") if record.get("as") == "exec" else None
        if arn:
            found.append(arn)
            try:
                found.append(arns.canonicalize(arn))
            except arns.ArnError:
                pass
    return list(dict.fromkeys(found))


def _query_window(run: _Run, query: str, start: int, end: int) -> bool:
    """Query [start, end]; when the answer is full, query the rest of the window in smaller parts.
    True when Logs Insights was refused (the caller then falls back to FilterLogEvents)."""
    outcome, rows = _one_query(run, query, start, end)
    if outcome == "refused":
        return True
    if outcome != "full" or run.rows >= MAX_EVENTS or run.left() <= 0:
        return False
    oldest = min((t for t in (_row_seconds(r) for r in rows) if t is not None), default=end)
    # The full answer holds every event newer than its oldest row. Windows are whole seconds and both ends
    # count, so the rest ends at the second after that row and neighbours share a second: an event on a
    # boundary is read twice (the analysis reads it once), never missed.
    rest_end = min(end, math.ceil(oldest))
    if rest_end - start < 1 or (rest_end >= end and rest_end - start < 2 * MIN_WINDOW):
        return False  # nothing left, or no smaller window to ask (over 10,000 lines in one small window)
    covered = max(1, end - oldest)
    expected = ROWS_PER_QUERY * (rest_end - start) / covered
    parts = max(2, min(8, math.ceil(expected / (ROWS_PER_QUERY * 0.8))))
    if rest_end - start < 2 * MIN_WINDOW:
        parts = 1
    edges = [start + (rest_end - start) * i // parts for i in range(parts + 1)]
    windows = [(edges[i], edges[i + 1]) for i in range(parts)]
    with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES) as pool:
        list(pool.map(lambda w: _query_window(run, query, *w), windows))
    return False


def _one_query(run: _Run, query: str, start: int, end: int) -> tuple[str, list]:
    """complete | full | partial | refused | failed, and the rows. Records StartQuery and the last
    GetQueryResults; stops the query (StopQuery) when the deadline comes first."""
    with run.slots:
        return _query_once(run, query, start, end)


def _query_once(run: _Run, query: str, start: int, end: int) -> tuple[str, list]:
    if run.left() <= 0:
        return "failed", []
    request = {"logGroupName": run.group, "startTime": start, "endTime": end, "queryString": query,
               "limit": ROWS_PER_QUERY}
    started = aws.call(run.ctx, run.creds, "logs", "StartQuery", request)
    if not started or not started.get("queryId"):
        records = run.ctx.data["aws"].get("logs:StartQuery") or [{}]
        code = (records[-1].get("error") or {}).get("code")
        return ("failed", []) if code in ("ResourceNotFoundException", "NoCredentials") else ("refused", [])
    query_id = started["queryId"]
    entry: dict = {"as": run.creds.label, "request": {"queryId": query_id}}
    run.note(queries=1, running=1)
    client = run.creds.client("logs", run.ctx.data["target"].get("region"))
    pause = 0.2
    try:
        while True:
            result = aws.to_cli_json(client.get_query_results(queryId=query_id))
            if result.get("status") not in ("Scheduled", "Running", "Unknown"):
                break
            if run.left() <= pause:
                client.stop_query(queryId=query_id)
                break
            time.sleep(pause)
            pause = min(2.0, pause * 1.6)
        entry["response"] = result
    except aws.call_errors() as exc:
        entry["error"] = aws.error_record(exc)
    finally:
        run.note(running=-1)
    run.ctx.record("aws", "logs:GetQueryResults", entry)
    if "response" not in entry:
        return "failed", []
    rows = entry["response"].get("results") or []
    run.note(rows=len(rows))
    if entry["response"].get("status") != "Complete":
        return "partial", rows
    return ("full" if len(rows) >= ROWS_PER_QUERY else "complete"), rows


def _row_seconds(row) -> float | None:
    """A Logs Insights row's @timestamp as epoch seconds (`2026-11-23 00:59:01.123`, or epoch ms)."""
    cells = row if isinstance(row, list) else []
    value = next((c.get("value") for c in cells if isinstance(c, dict) and c.get("field") == "@timestamp"), None)
    text = str(value or "")
    if text.isdigit():
        return int(text) / 1000
    try:
        return datetime.strptime(text[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def _filter_events(run: _Run, caller_arns: list[str]) -> None:
    """FilterLogEvents over the window, page by page until the end, MAX_EVENTS or the deadline; one
    record with the pages merged (as the CLI prints them), and nextToken kept when it stopped early."""
    request = {"logGroupName": run.group, "logStreamNamePrefix": STREAM_PREFIX, "startTime": run.start * 1000,
               "endTime": run.end * 1000, "filterPattern": filter_pattern(caller_arns)}
    entry: dict = {"as": run.creds.label, "request": request}
    events: list = []
    token = None
    run.progress.update("Logs Insights refused; reading events")
    try:
        client = run.creds.client("logs", run.ctx.data["target"].get("region"))
        while True:
            page = client.filter_log_events(**request, **({"nextToken": token} if token else {}))
            batch = page.get("events") or []
            events.extend(aws.to_cli_json(batch))
            run.note(rows=len(batch))
            token = page.get("nextToken")
            if not token or len(events) >= MAX_EVENTS or run.left() <= 0:
                break
        entry["response"] = {"events": events[:MAX_EVENTS], **({"nextToken": token} if token else {})}
    except aws.call_errors() as exc:
        entry["error"] = aws.error_record(exc)
        if events:  # what was read before the failure is still evidence
            entry["response"] = {"events": events, "nextToken": token or "incomplete"}
            del entry["error"]
    run.ctx.record("aws", "logs:FilterLogEvents", entry)

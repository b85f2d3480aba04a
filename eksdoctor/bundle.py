"""The evidence bundle (../shared/spec/bundle-v1.md): load, validate, save, and read records.

The seam between collecting and analysing. Loading never raises anything but BundleError
(one clear line for the user); saving always redacts and writes atomically.
"""
from __future__ import annotations

import gc
import gzip
import json
import os
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

KIND = "EksdoctorBundle"
VERSION = 1
MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # decompressed; larger inputs are refused, not half-read
MAX_JSON_DEPTH = 200  # enforced by redact(), the one walk over every value of a loaded bundle


class BundleError(Exception):
    """A bundle that cannot be read or is not a bundle. The message is one line for the user."""


@dataclass(frozen=True)
class Call:
    """One recorded call: what was asked, as whom, and the response or the error."""

    source: str  # "aws" or "kubernetes"
    key: str  # "eks:DescribeCluster", "configmaps/kube-system/aws-auth", …
    index: int
    raw: dict

    @property
    def as_(self) -> str:
        return self.raw.get("as") or "exec"

    @property
    def request(self) -> dict:
        req = self.raw.get("request")
        return req if isinstance(req, dict) else {}

    @property
    def response(self) -> Any:
        return self.raw.get("response")

    @property
    def error(self) -> dict | None:
        err = self.raw.get("error")
        if err is None:
            return None
        return err if isinstance(err, dict) else {"code": "Unknown", "message": str(err)}

    @property
    def ok(self) -> bool:
        return self.error is None and "response" in self.raw

    @property
    def region(self) -> str | None:
        return self.raw.get("region")

    @property
    def pointer(self) -> str:
        """Where this record sits in the bundle, for a finding's `evidence`."""
        return f"{self.source}.{self.key}[{self.index}]"

    @property
    def error_code(self) -> str:
        return (self.error or {}).get("code") or ""


class Bundle:
    """Read-only view over a bundle document. Checks get facts only through this."""

    def __init__(self, data: dict):
        self.data = data
        self.collected_at = parse_time(data["collected_at"])

    @property
    def target(self) -> dict:
        """cluster, region, account: strings or None (anything else in a hand-made bundle is ignored)."""
        target = self.data.get("target")
        target = target if isinstance(target, dict) else {}
        return {k: (v if isinstance(v, str) and v else None) for k, v in target.items()}

    @property
    def local(self) -> dict:
        local = self.data.get("local")
        return local if isinstance(local, dict) else {}

    def local_dict(self, key: str) -> dict:
        """A `local` section that should be an object ({} when absent or of another shape)."""
        value = self.local.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def symptom(self) -> dict:
        symptom = self.data.get("symptom")
        return symptom if isinstance(symptom, dict) else {}

    def calls(self, source: str, key: str) -> list[Call]:
        records = (self.data.get(source) or {}).get(key)
        if not isinstance(records, list):
            return []
        return [Call(source, key, i, r) for i, r in enumerate(records) if isinstance(r, dict)]

    def aws(self, key: str, as_: str | None = None) -> list[Call]:
        return [c for c in self.calls("aws", key) if as_ is None or c.as_ == as_]

    def kube(self, key: str, as_: str | None = None) -> list[Call]:
        return [c for c in self.calls("kubernetes", key) if as_ is None or c.as_ == as_]

    def first_ok(self, source: str, key: str, as_: str | None = None) -> Call | None:
        for call in self.calls(source, key):
            if call.ok and (as_ is None or call.as_ == as_):
                return call
        return None

    def has(self, need: str) -> bool:
        """Was this evidence collected at all (successfully or not)? `need` is e.g.
        `aws:eks:DescribeCluster`, `kubernetes:probe`, `local:kubeconfig`."""
        source, _, key = need.partition(":")
        if source == "local":
            return self.local.get(key) is not None
        section = self.data.get(source)
        return isinstance(section, dict) and key in section

    def all_calls(self) -> Iterator[Call]:
        for source in ("aws", "kubernetes"):
            section = self.data.get(source) or {}
            for key in sorted(section):
                yield from self.calls(source, key)


# How a person collects each record by hand; used to say what is missing and how to get it.
COLLECT_HINTS = {
    "aws:sts:GetCallerIdentity": "aws sts get-caller-identity --output json",
    "aws:eks:DescribeCluster": "aws eks describe-cluster --name {cluster} --region {region} --output json",
    "aws:eks:ListClusters": "aws eks list-clusters --region {region} --output json",
    "aws:eks:ListAccessEntries": "aws eks list-access-entries --cluster-name {cluster} --region {region} --output json",
    "aws:eks:DescribeAccessEntry": "aws eks describe-access-entry --cluster-name {cluster} --principal-arn <ARN> --region {region} --output json",
    "aws:eks:ListAssociatedAccessPolicies": "aws eks list-associated-access-policies --cluster-name {cluster} --principal-arn <ARN> --region {region} --output json",
    "aws:eks:ListNodegroups": "aws eks list-nodegroups --cluster-name {cluster} --region {region} --output json",
    "aws:eks:ListFargateProfiles": "aws eks list-fargate-profiles --cluster-name {cluster} --region {region} --output json",
    "aws:eks:DescribeNodegroup": "aws eks describe-nodegroup --cluster-name {cluster} --nodegroup-name <NODEGROUP> --region {region} --output json",
    "aws:eks:DescribeFargateProfile": "aws eks describe-fargate-profile --cluster-name {cluster} --fargate-profile-name <PROFILE> --region {region} --output json",
    "aws:iam:SimulatePrincipalPolicy": "aws iam simulate-principal-policy --policy-source-arn <YOUR-ROLE-OR-USER-ARN> --action-names eks:AccessKubernetesApi eks:DescribeCluster --output json",
    "aws:cloudtrail:LookupEvents": "aws cloudtrail lookup-events --region {region} --lookup-attributes AttributeKey=EventName,AttributeValue=CreateCluster --output json",
    "kubernetes:configmaps/kube-system/aws-auth": "kubectl get configmap aws-auth -n kube-system -o json",
    "kubernetes:probe": "eksdoctor diagnose --save-bundle bundle.json.gz (records the API server's answer)",
    "kubernetes:clusterrolebindings": "kubectl get clusterrolebindings -o json",
    "kubernetes:rolebindings": "kubectl get rolebindings -A -o json",
    "local:kubeconfig": "kubectl config view --raw -o json (then redact secrets)",
    "local:exec": "eksdoctor diagnose --save-bundle bundle.json.gz (runs the exec plugin once)",
    "local:exec_credentials": "eksdoctor diagnose --save-bundle bundle.json.gz (records where the exec plugin's credentials come from)",
    "aws:logs:FilterLogEvents": "aws logs filter-log-events --log-group-name /aws/eks/{cluster}/cluster --log-stream-name-prefix authenticator --filter-pattern '\"access denied\"' --start-time <EPOCH-MS-1H-AGO> --region {region} --output json",
}


def collect_hint(need: str, target: dict) -> str:
    hint = COLLECT_HINTS.get(need)
    if not hint:
        return ""
    return hint.format(cluster=target.get("cluster") or "<cluster>", region=target.get("region") or "<region>")


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BundleError("collected_at must be an ISO 8601 time string, e.g. 2026-11-23T01:02:03Z")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BundleError(f"collected_at is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{path}: {size} bytes is over the {MAX_BUNDLE_BYTES} byte limit for a bundle")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BundleError(f"{path}: is a directory, not a bundle file") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            stream = zlib.decompressobj(wbits=31)
            raw = stream.decompress(raw, MAX_BUNDLE_BYTES + 1)
            if len(raw) > MAX_BUNDLE_BYTES or stream.unconsumed_tail:
                raise BundleError(f"{path}: decompresses to more than {MAX_BUNDLE_BYTES} bytes")
            if not stream.eof:
                raise BundleError(f"{path}: the gzip stream is truncated")
        except zlib.error as exc:
            raise BundleError(f"{path}: not a valid gzip file ({exc})") from None
    return raw


@contextmanager
def cycle_collector_paused():
    """Pause Python's cycle collector while a bundle is parsed or analysed. Both allocate millions of
    small objects (a JSON document and its log entries) and no reference cycles, so the collector finds
    nothing and only re-walks them: a tenth of `analyze`'s time on 100,000 log events (bench/scale.py).
    Reference counting still frees everything; a cycle made meanwhile is collected once resumed."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_document(raw: bytes, name: str) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    del raw  # the bytes are not needed once decoded: lowers the peak on large bundles
    try:
        with cycle_collector_paused():
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # the parser's own guard; redact() refuses anything deeper than MAX_JSON_DEPTH
        raise BundleError(f"{name}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise BundleError(f"{name}: not valid JSON ({exc})") from None
    return data


def validate(data: Any, name: str = "bundle") -> Bundle:
    if not isinstance(data, dict):
        raise BundleError(f"{name}: a bundle is a JSON object, this is a JSON {type(data).__name__}")
    if data.get("kind") != KIND:
        raise BundleError(f"{name}: not an eksdoctor bundle (\"kind\" must be \"{KIND}\")")
    if data.get("version") != VERSION:
        raise BundleError(f"{name}: bundle version {data.get('version')!r} is not supported (this eksdoctor reads version {VERSION})")
    if "collected_at" not in data:
        raise BundleError(f"{name}: \"collected_at\" is missing (the time the evidence was collected, UTC)")
    for section in ("target", "local", "symptom", "aws", "kubernetes"):
        if section in data and data[section] is not None and not isinstance(data[section], dict):
            raise BundleError(f"{name}: \"{section}\" must be an object")
    for section in ("aws", "kubernetes"):
        for key, records in (data.get(section) or {}).items():
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise BundleError(f"{name}: {section}[\"{key}\"] must be a list of call records (objects)")
    try:
        return Bundle(data)
    except BundleError as exc:
        raise BundleError(f"{name}: {exc}") from None


def load_bundle(path: str | os.PathLike) -> Bundle:
    path = Path(path)
    return validate(parse_document(_read_bytes(path), str(path)), str(path))


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_atomic(path: str | os.PathLike, payload: bytes) -> None:
    """Write to a temp file beside the target, then rename: never a half-written file."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_bundle(data: dict, path: str | os.PathLike) -> None:
    """Redact (always) and write the bundle; gzip when the name ends in .gz."""
    from .redact import redact_bundle

    text = dumps(redact_bundle(data)).encode("utf-8")
    if str(path).endswith(".gz"):
        text = gzip.compress(text, mtime=0)
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise BundleError(f"{path}: cannot write: {exc.strerror or exc}") from None

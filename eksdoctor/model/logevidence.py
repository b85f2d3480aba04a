"""What the authenticator logs say about the diagnosed caller: which cause they confirm, how surely.

Pure: combines the LogView (authlog.py) with the caller's identity, the API server's answer and the
local token. It decides; the check only phrases. Attributing a line to the caller is strict: by
canonical ARN (certain), by the token's X-Amz-Date (certain), otherwise by time (likely/possible).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..bundle import Bundle
from . import authlog
from .authlog import CAUSES, Bucket, Cause, Line
from .evidence import AWS_AUTH, identity
from .probe import probe_outcome

RECENT = timedelta(minutes=20)  # a token error this close to the collection may be the caller's own request


@dataclass(frozen=True)
class Reading:
    outcome: str  # not_collected, logging_off, refused, denied, token, configmap, granted, silent, nothing
    headline: str
    catalog_id: str = ""  # the failure mode the logs point at ("" when none)
    confidence: str = ""
    breaks_access: bool = False  # the lines explain the diagnosed caller's 401 now
    only_evidence: bool = False  # the logs alone show this cause and no check reports it from them (logs_alone)
    lines: tuple[Line, ...] = ()
    notes: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    cause: Cause | None = None
    principal: str = ""  # the canonical ARN a fix must name, when known


def mapping_evidence_read(bundle: Bundle) -> bool:
    """Could the cluster's own mapping (aws-auth or access entries) be read?"""
    return bundle.first_ok("kubernetes", AWS_AUTH) is not None or bundle.first_ok("aws", "eks:ListAccessEntries") is not None


def _token_source(bundle: Bundle) -> tuple[str, dict]:
    """("exec" | "static" | "", decoded non-secret parts of the token kubectl sends)."""
    exec_ = bundle.local.get("exec")
    if isinstance(exec_, dict) and isinstance(exec_.get("token"), dict) and exec_["token"]:
        return "exec", exec_["token"]
    kubeconfig = bundle.local.get("kubeconfig")
    if isinstance(kubeconfig, dict) and isinstance(kubeconfig.get("static_token"), dict):
        return "static", kubeconfig["static_token"]
    return "", {}


def _token(bundle: Bundle) -> dict:
    return _token_source(bundle)[1]


def _skew_evidence(bundle: Bundle) -> bool:
    """The server's Date header, or STS's own "Signature expired" answer to the caller."""
    skewed = any("Signature expired" in str((c.error or {}).get("message", "")) or
                 "not yet current" in str((c.error or {}).get("message", "")) for c in bundle.aws("sts:GetCallerIdentity"))
    return bool(probe_outcome(bundle).date) or skewed


# Catalog ids whose owning check reports the log evidence itself (checks/_from_logs.py, or
# _server.log_lines for mapping findings): for these, authenticator_log_evidence only confirms.
# Add an id here when its check starts calling from_logs().
REPORTED_BY_OWNER = frozenset({"principal_not_mapped", "aws_auth_yaml_broken", "role_path_in_aws_auth", "sso_role_in_aws_auth",
                               "clock_skew"})

# For the other ids, the evidence their check decides from. When it was not collected, the logs decide
# alone and authenticator_log_evidence gives the fix.
OWNER_EVIDENCE = {
    "expired_or_invalid_static_creds": lambda b: bool(b.aws("sts:GetCallerIdentity", as_="exec")),
    "wrong_cluster_name_in_token": lambda b: isinstance(b.local.get("exec"), dict) and bool(b.local["exec"].get("args")),
    "clock_skew": _skew_evidence,
    "token_reused_over_15min": lambda b: bool(_token(b)),
    "sts_endpoint_problem": lambda b: bool(_token(b).get("host")),
}


def logs_alone(bundle: Bundle, catalog_id: str) -> bool:
    """The logs are the only evidence of this cause, and no check reports it from them."""
    if not catalog_id or catalog_id in REPORTED_BY_OWNER:
        return False
    owner = OWNER_EVIDENCE.get(catalog_id)
    return owner is None or not owner(bundle)


def for_cause(bundle: Bundle, catalog_id: str) -> Reading | None:
    """What the logs say, when they point at this catalog cause (for its owning check to report)."""
    r = read(bundle)
    return r if r.catalog_id == catalog_id and r.outcome in ("denied", "token", "configmap") else None


def read(bundle: Bundle) -> Reading:
    view = authlog.log_view(bundle)
    enabled, _ = authlog.logging_enabled(bundle)
    if not view.collected:
        if enabled is False:
            return Reading("logging_off", "the authenticator log type is off, so there are no log lines to read")
        return Reading("not_collected", "the authenticator logs were not collected")
    if not view.readable:
        refusal = view.refusals[-1]
        if refusal.error_code == "ResourceNotFoundException":
            return Reading("logging_off", f"the log group {view.log_group or '/aws/eks/<cluster>/cluster'} does not exist: "
                           "control-plane logging has never been enabled on this cluster")
        why = f"{refusal.error_code}: {refusal.error_message}" if refusal.error_message else refusal.error_code
        return Reading("refused", f"the authenticator logs could not be read ({why})")
    caller = identity(bundle)
    probe = probe_outcome(bundle)
    notes = [f"Read: {view.summary()}."]
    if view.unparsed_examples:
        notes.append(f"{view.kinds.get('unparsed', 0)} line(s) matched no known authenticator format, e.g.: "
                     + view.unparsed_examples[0].text)
    if caller is None or not caller.canonical:
        token = _token_reading(bundle, view, None, notes, []) if probe.kind == "unauthorized" else None
        return token or _without_caller(bundle, view, notes)
    return _for_caller(bundle, view, caller, probe, notes)


def _for_caller(bundle, view, caller, probe, notes) -> Reading:
    arn = caller.canonical
    facts = [("caller", caller.arn), ("canonical_arn", arn)]
    denials = view.denials_for(arn)
    grant = view.grants_for(arn)
    last_denial = max((b.last for b in denials.values()), default="")
    if denials and not (grant and grant.last > last_denial):
        cause_key, bucket = max(denials.items(), key=lambda item: item[1].last)
        cause = CAUSES[cause_key]
        lines = _newest([b for b in denials.values()])
        facts += [("denials", str(sum(b.count for b in denials.values()))), ("last_denied", bucket.last[:19])]
        catalog = cause.primary
        confidence = "certain"
        extra = []
        if cause_key == "not_mapped" and view.configmap.count and ":role/" in arn:
            catalog, confidence = "aws_auth_yaml_broken", "likely"
            lines = (*view.configmap.lines[:1], *lines)
            extra.append("The authenticator also failed to parse aws-auth in this window: a YAML error drops every "
                         "row of its section (all of mapRoles for a role), which would explain why this role is not mapped.")
        if probe.ok or probe.kind == "forbidden":
            return Reading("denied", f"the authenticator denied {arn} at {bucket.last[:19]} ({cause.meaning}), "
                           f"but {probe.describe()} now", catalog, "possible", False, logs_alone(bundle, catalog), tuple(lines),
                           tuple(notes + extra), tuple(facts), cause, arn)
        headline = f"the authenticator denied {arn}: {cause.meaning}"
        return Reading("denied", headline, catalog, confidence, True, logs_alone(bundle, catalog), tuple(lines),
                       tuple(notes + extra), tuple(facts), cause, arn)
    if grant is not None:
        facts += [("username", grant.info.get("username", "")), ("groups", grant.info.get("groups", "")),
                  ("last_granted", grant.last[:19])]
        said = (f"the authenticator granted {arn} as username {grant.info.get('username', '?')!r} with groups "
                f"{grant.info.get('groups', '[]')} (last at {grant.last[:19]})")
        if probe.kind == "unauthorized":
            return Reading("silent", said + ", and logged no denial for it since: the 401 is newer than the logs "
                           "(delivery lags by minutes) or its token was rejected before the identity was known",
                           "", "possible", False, False, tuple(grant.lines[:2]), tuple(notes), tuple(facts))
        return Reading("granted", said, lines=tuple(grant.lines[:2]), notes=tuple(notes), facts=tuple(facts))
    if probe.kind == "unauthorized":
        token = _token_reading(bundle, view, caller, notes, facts)
        if token is not None:
            return token
        return Reading("silent", f"no authenticator line names {arn} in {view.describe_window()}, and no token error "
                       "was logged: the 401 is newer than the logs (delivery lags by minutes; reproduce, wait 5 minutes, "
                       "run eksdoctor again) or the request never reached this cluster's authenticator — look at the "
                       "token and credential side (cluster name, endpoint, credentials)", "", "possible",
                       notes=tuple(notes), facts=tuple(facts))
    configmap = _configmap_reading(bundle, view, notes)
    if configmap is not None:
        return configmap
    return Reading("nothing", f"no authenticator line names {arn} in {view.describe_window()}", notes=tuple(notes),
                   facts=tuple(facts))


def _token_reading(bundle, view, caller, notes, facts) -> Reading | None:
    errors = view.token_errors()
    if not errors:
        return None
    cause, bucket = errors[0]
    confidence, how = _attribution(bundle, cause, bucket)
    catalog = _token_catalog(bundle, cause)
    lines = _newest([b for _, b in errors])
    facts = facts + [("token_errors", str(sum(b.count for _, b in errors))), ("last_token_error", bucket.last[:19])]
    others = [f"{c.key} ×{b.count}" for c, b in errors[1:]]
    extra = [f"Other token errors in the window: {', '.join(others)}."] if others else []
    extra.append(f"These lines name no ARN (the token was refused before the identity was known); {how}.")
    who = f"no line names {caller.canonical}, but" if caller else "the caller's identity is unknown, and"
    return Reading("token", f"{who} the authenticator refused tokens before identifying them: {cause.meaning}", catalog, confidence, confidence != "possible",
                   logs_alone(bundle, catalog), tuple(lines), tuple(notes + extra), tuple(facts), cause)


def _token_catalog(bundle: Bundle, cause: Cause) -> str:
    if cause.key == "token_expired":  # a fresh exec token that is already "expired" means the clock is behind
        return "clock_skew" if _token_source(bundle)[0] == "exec" else "token_reused_over_15min"
    if cause.key == "signature_mismatch" and _hex_cluster_name(bundle):
        return "hex_cluster_name"
    return cause.primary


def _hex_cluster_name(bundle: Bundle) -> bool:
    name = str(bundle.target.get("cluster") or "")
    return name.lower().startswith("0x") and all(c in "0123456789abcdef" for c in name[2:].lower()) and len(name) > 2


def _attribution(bundle: Bundle, cause: Cause, bucket: Bucket) -> tuple[str, str]:
    """How surely these ARN-less lines are the caller's own requests, and why."""
    token = _token(bundle)
    if cause.key == "token_expired" and token:
        date = _amz_date(token.get("x_amz_date"))
        if date and any(date in line.text for line in bucket.lines):
            return "certain", f"the caller's token is dated {date}, the date these lines name"
    if cause.key == "unsigned_header" and isinstance(token.get("signed_headers"), list):
        if "x-k8s-aws-id" not in [str(h).lower() for h in token["signed_headers"]]:
            return "certain", "the caller's token does not sign x-k8s-aws-id either"
        return "possible", "the caller's token does sign x-k8s-aws-id, so these lines are probably someone else's"
    if cause.key in ("expired_token", "invalid_client_token"):
        call = next(iter(bundle.aws("sts:GetCallerIdentity", as_="exec")), None)
        if call is not None and call.error_code in ("ExpiredToken", "InvalidClientTokenId"):
            return "certain", f"the caller's own sts:GetCallerIdentity failed the same way ({call.error_code})"
        if call is not None and call.ok:
            return "possible", "the caller's credentials worked at collection time, so these lines are probably someone else's"
    last = _when(bucket.last)
    if last is None or abs(bundle.collected_at - last) > RECENT:
        return "possible", f"the newest is more than {int(RECENT.total_seconds() // 60)} minutes from the collection, tied by time only"
    return "likely", "tied to the caller by time only (the newest is close to the collection)"


def _configmap_reading(bundle, view, notes) -> Reading | None:
    if not view.configmap.count:
        return None
    return Reading("configmap", f"the authenticator failed to parse aws-auth ({view.configmap.count} line(s), last at "
                   f"{view.configmap.last[:19]}): a YAML error drops every row of its section, nodes included",
                   "aws_auth_yaml_broken", "likely", False, logs_alone(bundle, "aws_auth_yaml_broken"),
                   tuple(view.configmap.lines), tuple(notes))


def _without_caller(bundle, view, notes) -> Reading:
    configmap = _configmap_reading(bundle, view, notes)
    if configmap is not None:
        return configmap
    denied = len({arn for _, arn in view.denied})
    if denied:
        return Reading("nothing", f"{denied} principal(s) were denied in {view.describe_window()}, but the caller's "
                       "identity is unknown, so none can be tied to it", lines=tuple(_newest(list(view.denied.values()))),
                       notes=tuple(notes))
    return Reading("nothing", "the caller's identity is unknown; the logs hold no denial", notes=tuple(notes))


def _newest(buckets: list[Bucket], n: int = authlog.LINES_PER_BUCKET) -> list[Line]:
    lines = [line for b in buckets for line in b.lines]
    return sorted(lines, key=lambda line: line.time, reverse=True)[:n]


def _when(text: str) -> datetime | None:
    try:
        return datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _amz_date(value) -> str:
    """20261123T010203Z → 2026-11-23 01:02:03 (how the authenticator prints it)."""
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ""


def log_confidence(bundle: Bundle, canonical_arn: str) -> tuple[str, tuple[Line, ...]]:
    """For a mapping finding about this principal: ("certain", lines) when the authenticator denied it as
    not mapped and has not granted it since; ("possible", lines) when it granted it after the last
    denial; ("", ()) when the logs hold no denial of it (a grant alone may predate the breaking change)."""
    view = authlog.log_view(bundle)
    denied = view.denials_for(canonical_arn).get("not_mapped")
    if not denied:
        return "", ()
    grant = view.grants_for(canonical_arn)
    if grant and grant.last > denied.last:
        return "possible", (*grant.lines[:1], *denied.lines[:1])
    return "certain", tuple(denied.lines)

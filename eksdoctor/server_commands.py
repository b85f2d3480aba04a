"""`eksdoctor explain` and `eksdoctor lint`: read the inputs, ask the model, return the JSON documents.

Only file reading happens here (live evidence comes in already collected, from cli.py); every decision
is in eksdoctor.model. Bad input raises UserError (one line, exit 2).
"""
from __future__ import annotations

from pathlib import Path

from .errors import UserError
from .model.access import MODES

MAX_INPUT_BYTES = 16 * 1024 * 1024


def read_text(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise UserError(f"{path}: larger than {MAX_INPUT_BYTES} bytes; not an {what}")
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not an {what}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None


def explain_sources(*, bundle: Path | None, aws_auth: Path | None, access_entries: Path | None,
                    cluster: str | None) -> str:
    """Which evidence `explain` reads: "bundle", "files" or "live"; UserError when none or a mix is given."""
    given = [name for name, value in (("--bundle", bundle), ("--aws-auth/--access-entries", aws_auth or access_entries),
                                      ("--cluster", cluster)) if value]
    if len(given) > 1:
        raise UserError(f"give one source of cluster evidence, not {' and '.join(given)}")
    if not given:
        raise UserError("give --cluster NAME (read it live), --bundle FILE, or --aws-auth FILE and/or --access-entries FILE")
    return {"--bundle": "bundle", "--cluster": "live"}.get(given[0], "files")


def live_evidence(data: dict):
    """The evidence `explain --cluster` collected, as a Bundle, and what it lacks. Kubernetes reads went
    to the kubeconfig context's server: they are dropped when that is not the named cluster's endpoint."""
    from .bundle import validate
    from .model.kubeconfig import same_server, selected

    bundle = validate(data, "collected evidence")
    notes: list[str] = []
    described = bundle.first_ok("aws", "eks:DescribeCluster")
    if described is None:
        calls = bundle.aws("eks:DescribeCluster")
        why = f"{calls[-1].error_code}: {(calls[-1].error or {}).get('message', '')}" if calls else "no credentials"
        notes.append(f"eks:DescribeCluster failed ({why}): the authentication mode is unknown")
    endpoint = ((described.response or {}).get("cluster") or {}).get("endpoint") if described else None
    sel = selected(bundle)
    if data.get("kubernetes") and endpoint and not (sel and same_server(sel.server, endpoint)):
        data["kubernetes"] = {}
        notes.append(f"aws-auth and RBAC were not read: the kubeconfig context points at {sel.server if sel else 'no server'}, "
                     f"not {endpoint} (give --context)")
        bundle = validate(data, "collected evidence")
    return bundle, notes


def explain_document(arn: str, *, bundle: Path | None = None, aws_auth: Path | None = None,
                     access_entries: Path | None = None, mode: str | None = None, creator: str | None = None,
                     can: str | None = None, collected=None, notes: tuple[str, ...] = ()) -> dict:
    """`collected`: a Bundle read live (`explain --cluster`), used like a saved one."""
    from .model.evidence import cluster_evidence, rbac
    from .model.identity import evidence_from_files, explain, principal_from_arn
    from .model.rbac import DEFAULT_QUESTION, authorize, parse_question

    if mode is not None and mode not in MODES:
        raise UserError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    if collected is None:
        explain_sources(bundle=bundle, aws_auth=aws_auth, access_entries=access_entries, cluster=None)
    try:
        question = parse_question(can) if can else DEFAULT_QUESTION
    except ValueError as exc:
        raise UserError(f"--can: {exc}") from None
    notes: list[str] = list(notes)
    rb = None
    if bundle is not None or collected is not None:
        from .bundle import load_bundle
        loaded = load_bundle(bundle) if collected is None else collected
        ev = cluster_evidence(loaded)
        if mode:
            from dataclasses import replace
            ev = replace(ev, mode=mode)
        rb = rbac(loaded)
    else:
        from .model.awsauth_doc import AwsAuthDocError
        try:
            ev, notes = evidence_from_files(read_text(aws_auth, "aws-auth ConfigMap") if aws_auth else None,
                                            read_text(access_entries, "access-entry JSON file") if access_entries else None,
                                            mode, creator)
        except (AwsAuthDocError, ValueError) as exc:
            raise UserError(str(exc)) from None
    x = explain(principal_from_arn(arn, iam=ev.iam_for(arn)), ev)
    doc = x.to_dict()
    doc["reasons"] = notes + doc["reasons"]
    if x.authenticated:
        policies_known = x.entry is None or x.entry.policies is not None
        d = authorize(x.username or "", x.groups, x.policies, rb, question, policies_known=policies_known)
        doc["authorization"] = {"question": question.describe(), "allowed": d.allowed, "by": list(d.by), "notes": list(d.notes)}
    return doc


def lint_documents(files: list[Path], against: Path | None) -> list[tuple[str, dict]]:
    from .model.awsauth_doc import AwsAuthDocError, read
    from .model.lint import lint

    if against is not None and len(files) != 1:
        raise UserError("--against compares one file with its old version; give exactly one FILE")
    try:
        old = read(read_text(against, "aws-auth ConfigMap")) if against is not None else None
    except AwsAuthDocError as exc:
        raise UserError(f"{against}: {exc}") from None
    results = []
    for path in files:
        try:
            doc = read(read_text(path, "aws-auth ConfigMap"))
        except AwsAuthDocError as exc:
            raise UserError(f"{path}: {exc}") from None
        results.append((str(path), lint(doc, old).to_dict()))
    return results

"""`eksdoctor explain` and `eksdoctor lint`: read the inputs, ask the model, return the JSON documents.

Only file reading happens here; every decision is in eksdoctor.model. Bad input raises UserError
(one line, exit 2).
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


def explain_document(arn: str, *, bundle: Path | None = None, aws_auth: Path | None = None,
                     access_entries: Path | None = None, mode: str | None = None, creator: str | None = None,
                     can: str | None = None, cluster: str | None = None) -> dict:
    from .model.evidence import cluster_evidence, rbac
    from .model.identity import evidence_from_files, explain, principal_from_arn
    from .model.rbac import DEFAULT_QUESTION, authorize, parse_question

    if mode is not None and mode not in MODES:
        raise UserError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    if bundle is not None and (aws_auth or access_entries):
        raise UserError("give either --bundle or --aws-auth/--access-entries, not both")
    if bundle is None and aws_auth is None and access_entries is None:
        if cluster:
            raise UserError(f"live explain (--cluster) needs the collectors; for now have an admin run "
                            f"`eksdoctor diagnose --cluster {cluster} --save-bundle cluster.json.gz` and then "
                            f"`eksdoctor explain --bundle cluster.json.gz --arn {arn}`")
        raise UserError("give --bundle FILE, or --aws-auth FILE and/or --access-entries FILE")
    try:
        question = parse_question(can) if can else DEFAULT_QUESTION
    except ValueError as exc:
        raise UserError(f"--can: {exc}") from None
    notes: list[str] = []
    rb = None
    if bundle is not None:
        from .bundle import load_bundle
        loaded = load_bundle(bundle)
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

"""The `eksdoctor` command: parses options, runs collect → analyze → render, maps outcomes to exit codes.

No diagnosis logic lives here. boto3 and the kubernetes client are never imported at start-up;
only `diagnose` (through the collectors) loads them.
"""
from __future__ import annotations

import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from . import __version__
from .errors import UserError

EXIT_CODES = """Exit codes:
  0  nothing at or above --fail-on (default: high), and access is confirmed or not in question
  1  at least one finding (fail or warn) at or above --fail-on
  2  usage or input error (bad option, unreadable or invalid bundle/kubeconfig)
  3  the run could not complete: evidence missing or a check errored, so the verdict is unknown"""

app = typer.Typer(
    name="eksdoctor",
    help="Diagnose why kubectl is Unauthorized or Forbidden on Amazon EKS, and print the exact fix.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class Output(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    junit = "junit"


class CatalogOutput(str, Enum):
    table = "table"
    json = "json"


_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eksdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors (never secrets)."),
) -> None:
    _state["debug"] = debug


def _fail_on(value: str):
    from .findings import parse_fail_on
    try:
        return parse_fail_on(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _fail_on_ids(ids: list[str]) -> tuple[str, ...]:
    """--fail-on-id values, checked against the loaded checks before any work (fail closed)."""
    if not ids:
        return ()
    from .catalog import catalog_rows
    from .gate import check_ids
    try:
        check_ids(ids, [r["id"] for r in catalog_rows()] + list(EXTRA_IDS))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return tuple(ids)


EXTRA_IDS = ("preflight_can", "preflight_access")  # findings that are not checks (preflight's answers)


def _emit(diagnosis, output: Output, verbose: bool, *, artifact: str = "", gate=()) -> None:
    if output is Output.table:
        from rich.console import Console

        from .render.table import render_table
        render_table(diagnosis, Console(highlight=False), verbose=verbose)
        return
    from .render import render
    rules = ()
    if output is Output.sarif:
        from .catalog import catalog_rows
        rules = catalog_rows()
    sys.stdout.write(render(diagnosis, output.value, rules=rules, artifact=artifact, gate=gate))


def _finish(diagnosis, output: Output, verbose: bool, threshold, ids, *, artifact: str = "") -> None:
    """Print the diagnosis and exit with the gate's code."""
    from .gate import exit_code, tripped
    _emit(diagnosis, output, verbose, artifact=artifact, gate=[f.id for f in tripped(diagnosis, threshold, ids)])
    raise typer.Exit(exit_code(diagnosis, threshold, ids))


def _analyze(bundle):
    from .engine import discover, run_checks
    checks, problems = discover()
    return run_checks(bundle, checks, problems)


def _redacted(bundle):
    """Analyse only a redacted copy: whatever a hand-made bundle holds, no secret reaches the output
    (log lines are redacted as they are shown: see redact_bundle)."""
    from .bundle import validate
    from .redact import redact_bundle
    return validate(redact_bundle(bundle.data, keep_log_lines=True), "bundle")


def _artifact(path: Path) -> str:
    """A bundle's path as SARIF wants it: relative to the working directory when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def _options(*, kubeconfig: Optional[Path], can: list[str], **values):
    """Collector options from the live-collection flags shared by diagnose, report and preflight;
    a bad --can question is a usage error before anything is collected."""
    from .collect import Options
    from .model.question import QuestionError, parse_question
    try:
        questions = tuple(parse_question(q) for q in can)
    except QuestionError as exc:
        raise UserError(str(exc)) from None
    if "since" in values:
        from .collect.logs import parse_since
        try:
            values["since"] = parse_since(values["since"])
        except ValueError as exc:
            raise UserError(str(exc)) from None
    return Options(kubeconfig=str(kubeconfig) if kubeconfig else None, debug=_state["debug"],
                   questions=questions, **values)


def _anonymized(data: dict) -> dict:
    from .anonymize import anonymize_bundle
    from .redact import redact_bundle
    return anonymize_bundle(redact_bundle(data))


ANONYMIZE_HELP = "Replace account ids, ARN names, cluster names and endpoints with stable pseudonyms in the saved bundle."
FAIL_ON_HELP = "Exit 1 when a finding reaches this severity: never, info, low, medium, high, critical."
FAIL_ON_ID_HELP = "Exit 1 when this check fails or warns, whatever its severity (repeatable)."


@app.command()
def analyze(
    bundle: Optional[Path] = typer.Argument(None, help="Bundle file (.json or .json.gz) to analyse offline."),
    example: Optional[str] = typer.Option(None, "--example", help="Analyse a bundle shipped with eksdoctor."),
    list_examples: bool = typer.Option(False, "--list-examples", help="List the shipped example bundles."),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format."),
    fail_on: str = typer.Option("high", "--fail-on", help=FAIL_ON_HELP),
    fail_on_id: list[str] = typer.Option([], "--fail-on-id", help=FAIL_ON_ID_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list passed and skipped checks."),
) -> None:
    """Analyse an evidence bundle offline: no AWS or Kubernetes access, deterministic output."""
    from .bundle import load_bundle
    from .examples import example_names, example_path

    if list_examples:
        for name, summary in example_names():
            typer.echo(f"{name:<28} {summary}")
        return
    threshold = _fail_on(fail_on)
    ids = _fail_on_ids(fail_on_id)
    if (bundle is None) == (example is None):
        raise UserError("give a bundle file or --example NAME (see --list-examples)")
    path = bundle if bundle is not None else example_path(example)
    diagnosis = _analyze(_redacted(load_bundle(path)))
    _finish(diagnosis, output, verbose, threshold, ids,
            artifact=_artifact(path) if bundle is not None else f"examples/{path.name}")


# Live-collection options shared by diagnose, report and preflight.
CLUSTER_OPT = typer.Option(None, "--cluster", help="EKS cluster name (default: from the kubeconfig context).")
REGION_OPT = typer.Option(None, "--region", help="AWS region of the cluster.")
PROFILE_OPT = typer.Option(None, "--profile", help="AWS profile for eksdoctor's own read-only calls.")
CONTEXT_OPT = typer.Option(None, "--context", help="kubeconfig context (default: current-context).")
KUBECONFIG_OPT = typer.Option(None, "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
TIMEOUT_OPT = typer.Option(60.0, "--timeout", help="Seconds for the whole run (collection stops up to 2 s early for the analysis).")
ADMIN_OPT = typer.Option(None, "--admin-profile", help="AWS profile that may read what you cannot (as: admin).")
CAN_OPT = typer.Option([], "--can", help='Also ask whether you can do this, e.g. "create deployments -n prod" (repeatable).')
SINCE_OPT = typer.Option("1h", "--since", help="How far back to read the cluster's authenticator logs: 30m, 1h, 6h, 2d.")


@app.command()
def diagnose(
    cluster: Optional[str] = CLUSTER_OPT,
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    save_bundle: Optional[Path] = typer.Option(None, "--save-bundle", help="Also write the (redacted) evidence bundle here (.json or .json.gz)."),
    anonymize: bool = typer.Option(False, "--anonymize", help=ANONYMIZE_HELP),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format."),
    fail_on: str = typer.Option("high", "--fail-on", help=FAIL_ON_HELP),
    fail_on_id: list[str] = typer.Option([], "--fail-on-id", help=FAIL_ON_ID_HELP),
    timeout: float = TIMEOUT_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    all_entries: bool = typer.Option(False, "--all", help="Describe every access entry, not just the caller's."),
    can: list[str] = CAN_OPT,
    since: str = SINCE_OPT,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list passed and skipped checks."),
) -> None:
    """Collect live evidence (read-only), analyse it and print ranked findings with fixes."""
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .collect import collect

    threshold = _fail_on(fail_on)
    ids = _fail_on_ids(fail_on_id)
    if anonymize and save_bundle is None:
        raise UserError("--anonymize applies to the saved bundle: give --save-bundle FILE too")
    data = collect(_options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                            timeout=timeout, admin_profile=admin_profile, all_entries=all_entries, can=can,
                            since=since))
    if save_bundle is not None:
        write_bundle(_anonymized(data) if anonymize else data, save_bundle)
    diagnosis = _analyze(validate(data, "collected evidence"))
    _finish(diagnosis, output, verbose, threshold, ids, artifact=_artifact(save_bundle) if save_bundle else "")


def _report_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return "md"
    if suffix in (".html", ".htm"):
        return "html"
    raise UserError(f"{path}: the report is written as Markdown (.md) or HTML (.html); the file name says which")


@app.command()
def report(
    out: Path = typer.Option(..., "--output", "-o", help="Where to write the report: report.md or report.html."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", help="Report on a saved bundle instead of collecting live."),
    anonymize: bool = typer.Option(False, "--anonymize", help="Use pseudonyms for account ids, ARN names, cluster names and endpoints."),
    save_bundle: Optional[Path] = typer.Option(None, "--save-bundle", help="Live: also write the (redacted) bundle here."),
    cluster: Optional[str] = CLUSTER_OPT,
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    timeout: float = TIMEOUT_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    can: list[str] = CAN_OPT,
) -> None:
    """Write one self-contained document for a ticket: verdict, ranked findings with fixes, the
    evidence, the environment and the collection errors (Markdown, or HTML that needs no network)."""
    from .bundle import load_bundle, write_atomic
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .redact import redact_bundle

    fmt = _report_format(out)
    if bundle is not None and (save_bundle is not None or cluster or context or kubeconfig or can or profile or admin_profile):
        raise UserError("--bundle reports on a saved bundle; the live options (--cluster, --save-bundle, …) do not apply")
    if bundle is not None:
        data = load_bundle(bundle).data
    else:
        from .collect import collect
        data = collect(_options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                                timeout=timeout, admin_profile=admin_profile, can=can))
        if save_bundle is not None:
            write_bundle(_anonymized(data) if anonymize else data, save_bundle)
    data = _anonymized(data) if anonymize else redact_bundle(data)
    diagnosis = _analyze(validate(data, str(bundle or "collected evidence")))
    if fmt == "html":
        from .render.html import render_report_html
        text = render_report_html(diagnosis, data)
    else:
        from .render.report import render_report_markdown
        text = render_report_markdown(diagnosis, data)
    try:
        write_atomic(out, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"{out}: cannot write: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({diagnosis.verdict}: {diagnosis.verdict_reason})")


@app.command()
def preflight(
    cluster: Optional[str] = CLUSTER_OPT,
    region: Optional[str] = REGION_OPT,
    can: list[str] = typer.Option([], "--can", help='An action the pipeline needs, e.g. "create deployments -n prod" (repeatable).'),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format (table: one line when all is allowed)."),
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds for the whole run (collection stops up to 2 s early for the analysis)."),
    admin_profile: Optional[str] = ADMIN_OPT,
    bundle: Optional[Path] = typer.Option(None, "--bundle", help="Decide from a saved bundle instead of collecting."),
    save_bundle: Optional[Path] = typer.Option(None, "--save-bundle", help="Also write the (redacted) evidence bundle here."),
    fail_on: str = typer.Option("never", "--fail-on", help=FAIL_ON_HELP + " Default: never (only the access gate)."),
    fail_on_id: list[str] = typer.Option([], "--fail-on-id", help=FAIL_ON_ID_HELP),
) -> None:
    """Gate a deploy: can this identity reach the cluster, authenticate, and do each --can action?
    Exit 0 all allowed, 1 an action is denied or access is broken, 2 usage, 3 inconclusive evidence."""
    from . import preflight as pf
    from .bundle import load_bundle
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .gate import tripped
    from .redact import redact_bundle

    threshold = _fail_on(fail_on)
    ids = _fail_on_ids(fail_on_id)
    options = _options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                       timeout=timeout, admin_profile=admin_profile, can=can)
    questions = list(zip(can, options.questions))
    if bundle is not None:
        data = load_bundle(bundle).data
    else:
        from .collect.run import collect_preflight
        data = collect_preflight(options, lambda d: pf.needs_explaining(validate(d, "collected evidence"), questions))
        if save_bundle is not None:
            write_bundle(data, save_bundle)
    evidence = validate(redact_bundle(data), str(bundle or "collected evidence"))
    result = pf.evaluate(evidence, questions, _analyze(evidence))
    diagnosis = pf.combined(result, _analyze(evidence))
    gate = [f.id for f in tripped(diagnosis, threshold, ids)]
    if output is Output.table:
        from rich.console import Console

        from .render.preflight import render_preflight_table
        render_preflight_table(result, diagnosis, Console(highlight=False))
    elif output is Output.json:
        import json
        sys.stdout.write(json.dumps(pf.document(result, diagnosis), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        from .catalog import catalog_rows
        from .render import render
        artifact = _artifact(bundle or save_bundle) if (bundle or save_bundle) else ""
        sys.stdout.write(render(diagnosis, output.value, rules=catalog_rows() + pf.RULES, artifact=artifact, gate=gate))
    raise typer.Exit(1 if result.exit_code == 1 or gate else result.exit_code)


class WhoamiOutput(str, Enum):
    table = "table"
    json = "json"


@app.command()
def whoami(
    context: Optional[str] = typer.Option(None, "--context", help="kubeconfig context (default: current-context)."),
    kubeconfig: Optional[Path] = typer.Option(None, "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."),
    output: WhoamiOutput = typer.Option(WhoamiOutput.table, "--output", "-o", help="Output format."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds for the whole run (collection stops up to 2 s early for the analysis)."),
) -> None:
    """Show the AWS identity kubectl presents for a context, how it was resolved, and the shell's."""
    from .bundle import validate
    from .collect import Options, collect
    from .collect.run import WHOAMI
    from .model.whoami import whoami as explain
    from .render.whoami import render_whoami_json, render_whoami_text

    if kubeconfig is not None and not kubeconfig.is_file():
        raise UserError(f"{kubeconfig}: no such kubeconfig file")
    data = collect(Options(context=context, kubeconfig=str(kubeconfig) if kubeconfig else None, timeout=timeout,
                           debug=_state["debug"]), only=WHOAMI)
    report = explain(validate(data, "collected evidence"))
    sys.stdout.write(render_whoami_json(report) if output is WhoamiOutput.json else render_whoami_text(report))
    raise typer.Exit(0 if (report.get("kubectl") or {}).get("arn") else 1)


checks_app = typer.Typer(help="The catalog of checks.", invoke_without_command=True, no_args_is_help=False)
app.add_typer(checks_app, name="checks")


@checks_app.callback()
def checks_list(
    ctx: typer.Context,
    output: CatalogOutput = typer.Option(CatalogOutput.table, "--output", "-o", help="Output format."),
) -> None:
    """List every check: id, stage, severity, title."""
    if ctx.invoked_subcommand:
        return
    from .catalog import catalog_json, catalog_table
    typer.echo(catalog_json() if output is CatalogOutput.json else catalog_table(), nl=False)


@checks_app.command("show")
def checks_show(check_id: str = typer.Argument(..., help="Check id, e.g. sso_role_in_aws_auth.")) -> None:
    """Show one check's documentation."""
    from .catalog import describe
    text = describe(check_id)
    if text is None:
        raise UserError(f"no check with id {check_id!r} (eksdoctor checks lists them)")
    typer.echo(text, nl=False)


@app.command()
def explain(
    arn: str = typer.Option(..., "--arn", help="The principal: an IAM role/user ARN or an STS assumed-role ARN."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", help="A saved bundle (diagnose --save-bundle) to read the cluster from."),
    aws_auth: Optional[Path] = typer.Option(None, "--aws-auth", help="The aws-auth ConfigMap (manifest, kubectl -o yaml|json, or bare mapRoles/mapUsers YAML)."),
    access_entries: Optional[Path] = typer.Option(None, "--access-entries", help="aws eks list-access-entries / describe-access-entry / list-associated-access-policies JSON output."),
    mode: Optional[str] = typer.Option(None, "--mode", help="Authentication mode: CONFIG_MAP, API_AND_CONFIG_MAP or API."),
    creator: Optional[str] = typer.Option(None, "--creator", help="The cluster creator's ARN (its hidden CONFIG_MAP mapping)."),
    can: Optional[str] = typer.Option(None, "--can", help='What to authorize, e.g. "create deployments -n prod" (default: list pods -n default).'),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="Live mode: not available yet (use diagnose --save-bundle, then --bundle)."),
    output: CatalogOutput = typer.Option(CatalogOutput.table, "--output", "-o", help="Output format."),
) -> None:
    """What does this IAM principal become on the cluster? Username, groups, policies, and every rule that fired."""
    import json

    from .server_commands import explain_document
    doc = explain_document(arn, bundle=bundle, aws_auth=aws_auth, access_entries=access_entries, mode=mode,
                           creator=creator, can=can, cluster=cluster)
    if output is CatalogOutput.json:
        typer.echo(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from .render.server import explanation_text
        typer.echo(explanation_text(doc), nl=False)


@app.command()
def lint(
    files: list[Path] = typer.Argument(..., help="aws-auth ConfigMap file(s): manifest, kubectl -o yaml|json output, or bare mapRoles/mapUsers YAML."),
    against: Optional[Path] = typer.Option(None, "--against", help="The version in use now: list who the change would lock out."),
    output: CatalogOutput = typer.Option(CatalogOutput.table, "--output", "-o", help="Output format."),
) -> None:
    """Validate aws-auth with the authenticator's exact parsing before it is applied. Exit 1 on errors."""
    import json

    from .server_commands import lint_documents
    results = lint_documents(files, against)
    if output is CatalogOutput.json:
        typer.echo(json.dumps({"files": [{"file": name, **doc} for name, doc in results]}, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from .render.server import lint_text
        typer.echo(lint_text(results), nl=False)
    failed = any(doc["summary"]["errors"] or doc["summary"]["locked_out"] for _, doc in results)
    raise typer.Exit(1 if failed else 0)


def main() -> None:
    """Entry point: click handles usage errors (exit 2); ours become one line on stderr."""
    try:
        _main()
    except SystemExit as exc:
        _leave(exc.code)
        raise


def _leave(code) -> None:
    """Collector threads abandoned at --timeout (blocked in a call or a retry's sleep) must not hold the
    process open after the report is out: flush and leave now."""
    graph = sys.modules.get("eksdoctor.collect.graph")  # loaded only by commands that collect
    if graph is not None and graph.abandoned_threads():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (0 if code is None else EXIT_USAGE))


def _main() -> None:
    from .bundle import BundleError
    try:
        app()
    except (UserError, BundleError) as exc:
        typer.echo(f"eksdoctor: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"eksdoctor: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(EXIT_INCOMPLETE)

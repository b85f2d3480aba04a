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

EXIT_CODES = """\b
Exit codes:
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


def _load_bundle(path):
    """Load a bundle for this process's analysis. Its millions of containers hold no reference cycles
    and live until the process ends, so they are moved out of the cycle collector's sight (gc.freeze):
    otherwise every full collection re-walks them (bench/scale.py: 0.2 s of 2.4 s at 100,000 log events)."""
    import gc

    from .bundle import cycle_collector_paused, load_bundle
    with cycle_collector_paused():  # frozen before the collector could walk the new document even once
        loaded = load_bundle(path)
        gc.freeze()
    return loaded


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


def _kubeconfig_file(path: Optional[Path]) -> Optional[str]:
    """An explicit --kubeconfig must be a kubeconfig: missing or unparseable is a usage error (exit 2).
    A broken default kubeconfig ($KUBECONFIG, ~/.kube/config) is diagnosed instead: kubectl fails on it too."""
    if path is None:
        return None
    if not path.exists():
        raise UserError(f"{path}: no such kubeconfig file")
    from .collect.kubeconfig import read_problem
    problem = read_problem(str(path))
    if problem:
        raise UserError(f"--kubeconfig {problem}")
    return str(path)


def _options(*, kubeconfig: Optional[Path], can: list[str], **values):
    """Collector options from the live-collection flags shared by diagnose, report and preflight;
    a bad --can question or --kubeconfig file is a usage error before anything is collected."""
    from .collect import Options
    from .model.question import QuestionError, parse_question
    try:
        questions = tuple(parse_question(q) for q in can)
    except QuestionError as exc:
        raise UserError(str(exc)) from None
    if values.get("since") is None:
        values.pop("since", None)  # the collector's default window
    else:
        from .collect.logs import parse_since
        try:
            values["since"] = parse_since(values["since"])
        except ValueError as exc:
            raise UserError(str(exc)) from None
    return Options(kubeconfig=_kubeconfig_file(kubeconfig), debug=_state["debug"], questions=questions, **values)


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
    diagnosis = _analyze(_redacted(_load_bundle(path)))
    _finish(diagnosis, output, verbose, threshold, ids,
            artifact=_artifact(path) if bundle is not None else f"examples/{path.name}")


# Live-collection options: one definition each, shared by diagnose, report, preflight and whoami.
CLUSTER_OPT = typer.Option(None, "--cluster", help="EKS cluster name (default: from the kubeconfig context).")
REGION_OPT = typer.Option(None, "--region", help="AWS region of the cluster.")
PROFILE_OPT = typer.Option(None, "--profile", help="AWS profile for eksdoctor's own read-only calls.")
CONTEXT_OPT = typer.Option(None, "--context", help="kubeconfig context (default: current-context).")
KUBECONFIG_OPT = typer.Option(None, "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
ADMIN_OPT = typer.Option(None, "--admin-profile", help="AWS profile that may read what you cannot (as: admin).")
ALL_OPT = typer.Option(False, "--all", help="Describe every access entry, not just the caller's.")
CAN_OPT = typer.Option([], "--can", help='An action to ask the API server about, e.g. "create deployments -n prod" (repeatable).')
SINCE_OPT = typer.Option(None, "--since", help="How far back to read the cluster's authenticator logs: 30m, 1h (default), 6h, 2d.")
SAVE_BUNDLE_OPT = typer.Option(None, "--save-bundle", help="Also write the (redacted) evidence bundle here (.json or .json.gz).")
_TIMEOUT_HELP = "Seconds for the whole run (collection stops up to 2 s early for the analysis)."
TIMEOUT_OPT = typer.Option(60.0, "--timeout", help=_TIMEOUT_HELP)
QUICK_TIMEOUT_OPT = typer.Option(30.0, "--timeout", help=_TIMEOUT_HELP)


def _no_live_options(bundle: Optional[Path], **given) -> None:
    """With --bundle nothing is collected: a live option given too is a usage error, never silently ignored."""
    named = [f"--{name.replace('_', '-')}" for name, value in given.items() if value]
    if bundle is not None and named:
        raise UserError(f"--bundle decides from a saved bundle: {', '.join(named)} only make sense when collecting live")


# Options of the commands that change things (grant, migrate, diagnose --fix).
APPLY_OPT = typer.Option(False, "--apply", help="Make the changes (after asking; default: print the plan only).")
YES_OPT = typer.Option(False, "--yes", help="Do not ask for confirmation (for scripts).")
FORCE_OPT = typer.Option(False, "--force", help="Allow an aws-auth change that removes a node/Fargate role, the last admin, or locks someone out.")
SWITCH_MODE_OPT = typer.Option(False, "--switch-mode", help="Allow switching the authentication mode (one-way; needs --yes too).")
BACKUP_DIR_OPT = typer.Option(Path("."), "--backup-dir", help="Where aws-auth backups are written before each change.")


def _act_options(yes: bool, force: bool, switch_mode: bool, backup_dir: Path):
    from .act.apply import Options as ActOptions
    return ActOptions(yes=yes, force=force, switch_mode=switch_mode, backup_dir=backup_dir)


@app.command()
def diagnose(
    cluster: Optional[str] = CLUSTER_OPT,
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    save_bundle: Optional[Path] = SAVE_BUNDLE_OPT,
    anonymize: bool = typer.Option(False, "--anonymize", help=ANONYMIZE_HELP),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format."),
    fail_on: str = typer.Option("high", "--fail-on", help=FAIL_ON_HELP),
    fail_on_id: list[str] = typer.Option([], "--fail-on-id", help=FAIL_ON_ID_HELP),
    timeout: float = TIMEOUT_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    all_entries: bool = ALL_OPT,
    can: list[str] = CAN_OPT,
    since: Optional[str] = SINCE_OPT,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list passed and skipped checks."),
    fix: bool = typer.Option(False, "--fix", help="Also show the top finding's fix as a plan of changes (dry run)."),
    apply: bool = APPLY_OPT,
    yes: bool = YES_OPT,
    force: bool = FORCE_OPT,
    switch_mode: bool = SWITCH_MODE_OPT,
    backup_dir: Path = BACKUP_DIR_OPT,
) -> None:
    """Collect live evidence (read-only), analyse it and print ranked findings with fixes.

    With --fix --apply, eksdoctor makes the changes it can make safely itself (access entries, policy
    associations, aws-auth edits) as --admin-profile (else --profile), after asking; the rest is printed."""
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .collect import collect

    threshold = _fail_on(fail_on)
    ids = _fail_on_ids(fail_on_id)
    if anonymize and save_bundle is None:
        raise UserError("--anonymize applies to the saved bundle: give --save-bundle FILE too")
    if (apply or yes or switch_mode) and not fix:
        raise UserError("--apply, --yes and --switch-mode go with --fix")
    if fix and output is not Output.table:
        raise UserError("--fix prints a plan after the findings: use the table output")
    data = collect(_options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                            timeout=timeout, admin_profile=admin_profile, all_entries=all_entries, can=can,
                            since=since))
    if save_bundle is not None:
        write_bundle(_anonymized(data) if anonymize else data, save_bundle)
    bundle = validate(data, "collected evidence")
    diagnosis = _analyze(bundle)
    if fix:
        from .act.commands import fix_from_diagnosis
        from .gate import exit_code, tripped
        _emit(diagnosis, output, verbose, gate=[f.id for f in tripped(diagnosis, threshold, ids)])
        code = fix_from_diagnosis(diagnosis, bundle, apply=apply, profile=admin_profile or profile, region=region,
                                  options=_act_options(yes, force, switch_mode, backup_dir), echo=typer.echo)
        raise typer.Exit(exit_code(diagnosis, threshold, ids) if code is None else code)
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
    save_bundle: Optional[Path] = SAVE_BUNDLE_OPT,
    cluster: Optional[str] = CLUSTER_OPT,
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    timeout: float = TIMEOUT_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    all_entries: bool = ALL_OPT,
    can: list[str] = CAN_OPT,
    since: Optional[str] = SINCE_OPT,
) -> None:
    """Write one self-contained document for a ticket: verdict, ranked findings with fixes, the
    evidence, the environment and the collection errors (Markdown, or HTML that needs no network)."""
    from .bundle import save_bundle as write_bundle
    from .bundle import validate, write_atomic
    from .redact import redact_bundle

    fmt = _report_format(out)
    _no_live_options(bundle, save_bundle=save_bundle, cluster=cluster, region=region, profile=profile, context=context,
                     kubeconfig=kubeconfig, admin_profile=admin_profile, all=all_entries, can=can, since=since)
    if bundle is not None:
        data = _load_bundle(bundle).data
    else:
        from .collect import collect
        data = collect(_options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                                timeout=timeout, admin_profile=admin_profile, all_entries=all_entries, can=can,
                                since=since))
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
    can: list[str] = CAN_OPT,
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format (table: one line when all is allowed)."),
    profile: Optional[str] = PROFILE_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    timeout: float = QUICK_TIMEOUT_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    since: Optional[str] = SINCE_OPT,
    bundle: Optional[Path] = typer.Option(None, "--bundle", help="Decide from a saved bundle instead of collecting."),
    save_bundle: Optional[Path] = SAVE_BUNDLE_OPT,
    fail_on: str = typer.Option("never", "--fail-on", help=FAIL_ON_HELP + " Default: never (only the access gate)."),
    fail_on_id: list[str] = typer.Option([], "--fail-on-id", help=FAIL_ON_ID_HELP),
) -> None:
    """Gate a deploy: can this identity reach the cluster, authenticate, and do each --can action?
    Exit 0 all allowed, 1 an action is denied or access is broken, 2 usage, 3 inconclusive evidence."""
    from . import preflight as pf
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .gate import tripped
    from .redact import redact_bundle

    threshold = _fail_on(fail_on)
    ids = _fail_on_ids(fail_on_id)
    _no_live_options(bundle, save_bundle=save_bundle, cluster=cluster, region=region, profile=profile, context=context,
                     kubeconfig=kubeconfig, admin_profile=admin_profile, since=since)
    options = _options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                       timeout=timeout, admin_profile=admin_profile, can=can, since=since)
    questions = list(zip(can, options.questions))
    if bundle is not None:
        data = _load_bundle(bundle).data
    else:
        from .collect.run import collect_preflight
        data = collect_preflight(options, lambda d: pf.needs_explaining(validate(d, "collected evidence"), questions))
        if save_bundle is not None:
            write_bundle(data, save_bundle)
    evidence = validate(redact_bundle(data), str(bundle or "collected evidence"))
    analysis = _analyze(evidence)
    result = pf.evaluate(evidence, questions, analysis)
    diagnosis = pf.combined(result, analysis)
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
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    output: WhoamiOutput = typer.Option(WhoamiOutput.table, "--output", "-o", help="Output format."),
    timeout: float = QUICK_TIMEOUT_OPT,
) -> None:
    """Show the AWS identity kubectl presents for a context, how it was resolved, and the shell's."""
    from .bundle import validate
    from .collect import Options, collect
    from .collect.run import WHOAMI
    from .model.whoami import whoami as explain
    from .render.whoami import render_whoami_json, render_whoami_text

    data = collect(Options(context=context, kubeconfig=_kubeconfig_file(kubeconfig), timeout=timeout,
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
    cluster: Optional[str] = typer.Option(None, "--cluster", help="Read the cluster's evidence live (read-only), as diagnose does."),
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = PROFILE_OPT,
    admin_profile: Optional[str] = ADMIN_OPT,
    context: Optional[str] = CONTEXT_OPT,
    kubeconfig: Optional[Path] = KUBECONFIG_OPT,
    timeout: float = TIMEOUT_OPT,
    output: CatalogOutput = typer.Option(CatalogOutput.table, "--output", "-o", help="Output format."),
) -> None:
    """What does this IAM principal become on the cluster? Username, groups, policies, and every rule that fired."""
    import json

    from .server_commands import explain_document, explain_sources, live_evidence
    collected, notes = None, []
    if explain_sources(bundle=bundle, aws_auth=aws_auth, access_entries=access_entries, cluster=cluster) == "live":
        from .collect import collect
        from .collect.run import EXPLAIN
        data = collect(_options(cluster=cluster, region=region, profile=profile, context=context, kubeconfig=kubeconfig,
                                timeout=timeout, admin_profile=admin_profile, can=[], principal=arn), only=EXPLAIN)
        collected, notes = live_evidence(data)
    doc = explain_document(arn, bundle=bundle, aws_auth=aws_auth, access_entries=access_entries, mode=mode,
                           creator=creator, can=can, collected=collected, notes=tuple(notes))
    if output is CatalogOutput.json:
        typer.echo(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from .render.server import explanation_text
        typer.echo(explanation_text(doc), nl=False)


class LintOutput(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    junit = "junit"


@app.command()
def lint(
    files: list[Path] = typer.Argument(..., help="aws-auth ConfigMap file(s): manifest, kubectl -o yaml|json output, or bare mapRoles/mapUsers YAML."),
    against: Optional[Path] = typer.Option(None, "--against", help="The version in use now: list who the change would lock out."),
    output: LintOutput = typer.Option(LintOutput.table, "--output", "-o", help="Output format."),
) -> None:
    """Validate aws-auth with the authenticator's exact parsing before it is applied. Exit 1 on errors."""
    import json

    from .server_commands import lint_documents
    results = lint_documents(files, against)
    if output is LintOutput.json:
        typer.echo(json.dumps({"files": [{"file": name, **doc} for name, doc in results]}, indent=2, sort_keys=True, ensure_ascii=False))
    elif output in (LintOutput.sarif, LintOutput.junit):
        from .lint_findings import lint_diagnosis, rule_rows
        from .render import render
        results = [(_artifact(Path(name)), doc) for name, doc in results]  # repository-relative, as code scanning wants
        sys.stdout.write(render(lint_diagnosis(results, against is not None), output.value, rules=rule_rows(),
                                name="aws-auth lint"))
    else:
        from .render.server import lint_text
        typer.echo(lint_text(results), nl=False)
    failed = any(doc["summary"]["errors"] or doc["summary"]["locked_out"] for _, doc in results)
    raise typer.Exit(1 if failed else 0)


@app.command()
def grant(
    cluster: str = typer.Option(..., "--cluster", help="EKS cluster name."),
    arn: str = typer.Option(..., "--arn", help="The IAM role or user to grant (a role session's ARN works too)."),
    policy: list[str] = typer.Option([], "--policy", help="Access policy, e.g. AmazonEKSViewPolicy (repeatable)."),
    namespace: list[str] = typer.Option([], "--namespace", help="Scope the policy to this namespace (repeatable; default: cluster)."),
    group: list[str] = typer.Option([], "--group", help="Kubernetes group (repeatable)."),
    username: Optional[str] = typer.Option(None, "--username", help="Kubernetes username (default: EKS's / ROLE:{{SessionName}})."),
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile that reads the cluster and makes the change."),
    apply: bool = APPLY_OPT,
    yes: bool = YES_OPT,
    force: bool = FORCE_OPT,
    backup_dir: Path = BACKUP_DIR_OPT,
) -> None:
    """Give an IAM principal access the way the cluster's mode allows: an access entry and policy (full ARN),
    else an aws-auth row (path-less ARN). Prints the plan and the equivalent commands; changes only with --apply."""
    from .act.commands import grant as run
    raise typer.Exit(run(cluster=cluster, region=region, profile=profile, arn=arn, policies=policy, namespaces=namespace,
                         groups=group, username=username, apply=apply,
                         options=_act_options(yes, force, False, backup_dir), echo=typer.echo))


@app.command()
def migrate(
    cluster: str = typer.Option(..., "--cluster", help="EKS cluster name."),
    region: Optional[str] = REGION_OPT,
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile that reads the cluster and makes the changes."),
    apply: bool = APPLY_OPT,
    yes: bool = YES_OPT,
    switch_mode: bool = SWITCH_MODE_OPT,
    remove_aws_auth_rows: bool = typer.Option(False, "--remove-aws-auth-rows", help="After every entry verifies, remove the migrated rows from aws-auth."),
    force: bool = FORCE_OPT,
    state: Optional[Path] = typer.Option(None, "--state", help="The migration's state file (default: ./eksdoctor-migrate-CLUSTER.json)."),
    backup_dir: Path = BACKUP_DIR_OPT,
) -> None:
    """Move every principal aws-auth maps to an access entry, verify each, then (optionally) remove the rows.
    A dry run unless --apply; resumable and idempotent."""
    from .act.commands import migrate as run
    raise typer.Exit(run(cluster=cluster, region=region, profile=profile, state=state, apply=apply,
                         remove_rows=remove_aws_auth_rows, options=_act_options(yes, force, switch_mode, backup_dir),
                         echo=typer.echo))


def main() -> None:
    """Entry point: usage errors (click's and ours) become one line on stderr and exit 2. Libraries' Python
    warnings (urllib3's missing-PySocks notice when the Kubernetes client loads requests, deprecations)
    are not for the person reading the diagnosis: hidden unless asked for with -W or PYTHONWARNINGS."""
    if not sys.warnoptions:
        import warnings
        warnings.simplefilter("ignore")
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
    click = sys.modules[typer.BadParameter.__module__]  # click's exceptions (typer may vendor click)
    no_args = getattr(click, "NoArgsIsHelpError", ())
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except no_args as exc:  # bare `eksdoctor`: the help, as click prints it
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "eksdoctor"
        typer.echo(f"eksdoctor: error: {exc.format_message()} (see {where} --help)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        typer.echo(f"eksdoctor: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:  # as click's standalone mode answers it
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    except (UserError, BundleError) as exc:
        typer.echo(f"eksdoctor: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"eksdoctor: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(EXIT_INCOMPLETE)

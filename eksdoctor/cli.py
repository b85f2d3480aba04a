"""The `eksdoctor` command: parses options, runs collect → analyze → render, maps outcomes to exit codes.

No diagnosis logic lives here. boto3 and the kubernetes client are never imported at start-up;
only `diagnose` (through the collectors) loads them.
"""
from __future__ import annotations

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


def _emit(diagnosis, output: Output, verbose: bool) -> None:
    if output is Output.table:
        from rich.console import Console

        from .render.table import render_table
        render_table(diagnosis, Console(highlight=False), verbose=verbose)
        return
    from .render import render
    sys.stdout.write(render(diagnosis, output.value))


def _analyze(bundle):
    from .engine import discover, run_checks
    checks, problems = discover()
    return run_checks(bundle, checks, problems)


FAIL_ON_HELP = "Exit 1 when a finding reaches this severity: never, info, low, medium, high, critical."


@app.command()
def analyze(
    bundle: Optional[Path] = typer.Argument(None, help="Bundle file (.json or .json.gz) to analyse offline."),
    example: Optional[str] = typer.Option(None, "--example", help="Analyse a bundle shipped with eksdoctor."),
    list_examples: bool = typer.Option(False, "--list-examples", help="List the shipped example bundles."),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format."),
    fail_on: str = typer.Option("high", "--fail-on", help=FAIL_ON_HELP),
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
    if (bundle is None) == (example is None):
        raise UserError("give a bundle file or --example NAME (see --list-examples)")
    path = bundle if bundle is not None else example_path(example)
    diagnosis = _analyze(load_bundle(path))
    _emit(diagnosis, output, verbose)
    raise typer.Exit(diagnosis.exit_code(threshold))


@app.command()
def diagnose(
    cluster: Optional[str] = typer.Option(None, "--cluster", help="EKS cluster name (default: from the kubeconfig context)."),
    region: Optional[str] = typer.Option(None, "--region", help="AWS region of the cluster."),
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile for eksdoctor's own read-only calls."),
    context: Optional[str] = typer.Option(None, "--context", help="kubeconfig context (default: current-context)."),
    kubeconfig: Optional[Path] = typer.Option(None, "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."),
    save_bundle: Optional[Path] = typer.Option(None, "--save-bundle", help="Also write the (redacted) evidence bundle here (.json or .json.gz)."),
    output: Output = typer.Option(Output.table, "--output", "-o", help="Output format."),
    fail_on: str = typer.Option("high", "--fail-on", help=FAIL_ON_HELP),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds for the whole collection."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list passed and skipped checks."),
) -> None:
    """Collect live evidence (read-only), analyse it and print ranked findings with fixes."""
    from .bundle import save_bundle as write_bundle
    from .bundle import validate
    from .collect import Options, collect

    threshold = _fail_on(fail_on)
    data = collect(Options(cluster=cluster, region=region, profile=profile, context=context,
                           kubeconfig=str(kubeconfig) if kubeconfig else None, timeout=timeout,
                           debug=_state["debug"]))
    if save_bundle is not None:
        write_bundle(data, save_bundle)
    diagnosis = _analyze(validate(data, "collected evidence"))
    _emit(diagnosis, output, verbose)
    raise typer.Exit(diagnosis.exit_code(threshold))


class WhoamiOutput(str, Enum):
    table = "table"
    json = "json"


@app.command()
def whoami(
    context: Optional[str] = typer.Option(None, "--context", help="kubeconfig context (default: current-context)."),
    kubeconfig: Optional[Path] = typer.Option(None, "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."),
    output: WhoamiOutput = typer.Option(WhoamiOutput.table, "--output", "-o", help="Output format."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds for the whole collection."),
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


def main() -> None:
    """Entry point: click handles usage errors (exit 2); ours become one line on stderr."""
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

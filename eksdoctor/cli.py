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
                           kubeconfig=str(kubeconfig) if kubeconfig else None, timeout=timeout))
    if save_bundle is not None:
        write_bundle(data, save_bundle)
    diagnosis = _analyze(validate(data, "collected evidence"))
    _emit(diagnosis, output, verbose)
    raise typer.Exit(diagnosis.exit_code(threshold))


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

"""`eksdoctor grant`, `eksdoctor migrate` and `diagnose --fix`: read the cluster, plan, print, and only under
--apply (after a confirmation, or --yes) carry the plan out, then verify it with the identity model.

Exit codes: 0 planned (dry run), applied and verified, or nothing to do; 1 declined, refused by a safety
rule, a step failed or did not verify; 2 bad input (UserError); 3 the cluster could not be read.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from .apply import Options, Runner, confirm, preview
from .client import ApplyClient
from .guard import session_of
from .journal import Journal
from .migrate import plan_migration, verify
from .plan import (EditAwsAuth, GrantRequest, Plan, PlanError, SwitchMode, check_request, grantee, keep_caller_steps, plan_grant, render,
                   steps_from_fix)
from .snapshot import ClusterUnreadable, read_snapshot

OK, REFUSED, INCOMPLETE = 0, 1, 3


def _read(client: ApplyClient, cluster: str, echo, **kw):
    try:
        return read_snapshot(client, cluster, **kw)
    except ClusterUnreadable as exc:
        echo(f"eksdoctor: cannot read cluster {cluster}: {exc}")
        return None


def _show(plan: Plan, apply: bool, options: Options, echo, data: dict | None = None) -> int | None:
    """Print the plan. None: go on and apply it; else the exit code (dry run, refused, declined)."""
    echo(render(plan, applying=apply, data=data), nl=False)
    if plan.problems:
        echo("\nRefused: nothing was changed.")
        return REFUSED
    if not apply:
        return OK
    t = plan.target
    if plan.automatic and not confirm(f"\nApply these {len(plan.automatic)} change(s) to cluster {t.cluster} "
                                      f"({t.account}, {t.region})?", options, echo):
        echo("Nothing was changed.")
        return REFUSED
    return None


def grant(*, cluster: str, region: str | None, profile: str | None, arn: str, policies, namespaces, groups,
          username: str | None, apply: bool, options: Options, echo) -> int:
    req = GrantRequest(arn, tuple(policies), tuple(namespaces), tuple(groups), username)
    try:
        check_request(req)
    except PlanError as exc:
        raise UserError(str(exc)) from None
    client = ApplyClient(profile, region)
    read = _read(client, cluster, echo, extra_principals=[arn])
    if read is None:
        return INCOMPLETE
    snap, kube = read
    if snap.mode == "CONFIG_MAP" and snap.aws_auth_state == "unreadable":
        echo(f"eksdoctor: mode CONFIG_MAP grants through aws-auth, which cannot be read as {snap.caller or 'these credentials'}: "
             f"{snap.aws_auth_note}")
        return INCOMPLETE
    try:
        who = grantee(snap, arn)
        plan = preview(plan_grant(snap, req, who), snap, options)
    except PlanError as exc:
        raise UserError(str(exc)) from None
    code = _show(plan, apply, options, echo, snap.data)
    if code is not None or not plan.automatic:
        return OK if code is None else code
    echo("\nApplying:")
    if not Runner(client, kube, snap, options, echo).run(plan.steps):
        return REFUSED
    return _verify_grant(client, cluster, who, req, plan, echo)


def _verify_grant(client, cluster, who, req, plan, echo) -> int:
    read = _read(client, cluster, echo, extra_principals=[who.entry_arn])
    if read is None:
        return INCOMPLETE
    snap, _ = read
    x = session_of(snap.evidence(), who.entry_arn)
    wanted_groups = [g for s in plan.steps if isinstance(s, EditAwsAuth) for e in s.edits for g in getattr(e, "groups", ())]
    wanted_groups += list(req.groups)
    missing = [g for g in dict.fromkeys(wanted_groups) if g not in x.groups]
    if x.matched_by == "access entry":
        names = {p.name for p in x.policies}
        missing += [p.rsplit("/", 1)[-1] for p in req.policies if p.rsplit("/", 1)[-1] not in names]
    if not x.authenticated or missing:
        echo(f"\nNot verified: {who.given} " + ("is still not mapped" if not x.authenticated else
                                                 f"lacks {', '.join(missing)}") + " (reasons: " + "; ".join(x.reasons[-3:]) + ")")
        return REFUSED
    policies = ", ".join(f"{p.name} ({p.scope.describe()})" for p in x.policies)
    echo(f"\nVerified: a session of {who.entry_arn} now authenticates by {x.matched_by} as {x.username}"
         f" in {', '.join(x.groups) or 'no groups'}" + (f", with {policies}" if policies else "") + ".")
    echo("Access entries take a few seconds to reach the API server (eventual consistency).") if x.matched_by == "access entry" else None
    return OK


def migrate(*, cluster: str, region: str | None, profile: str | None, state: Path | None, apply: bool,
            remove_rows: bool, options: Options, echo) -> int:
    client = ApplyClient(profile, region)
    read = _read(client, cluster, echo)
    if read is None:
        return INCOMPLETE
    snap, kube = read
    if snap.aws_auth_state == "unreadable":
        echo(f"eksdoctor: cannot read aws-auth as {snap.caller or 'these credentials'}: {snap.aws_auth_note}")
        return INCOMPLETE
    t = snap.target
    journal = Journal.open(state or Path(f"eksdoctor-migrate-{cluster}.json"), cluster, t.region, t.account)
    if journal.resumed:
        done = journal.data["done"]
        echo(f"Resuming the migration recorded in {journal.path} (started {journal.data['started_at']}, phase "
             f"{journal.data['phase']}): {len(done)} step(s) done in earlier runs; the cluster is re-read, so they are "
             "not repeated.")
    plan, rows = plan_migration(snap, remove_rows=remove_rows, force=options.force)
    entry_steps = [s for s in plan.steps if not isinstance(s, EditAwsAuth)]
    if entry_steps:
        notes = plan.notes + (("aws-auth rows are removed only after every entry verifies, and the removal is "
                               "linted and checked for lock-outs then"),) if remove_rows else plan.notes
        plan = replace(plan, notes=notes)
    else:
        plan = preview(plan, snap, options)
    switching = next((s for s in plan.steps if s.key.startswith("switch-mode")), None)
    if apply and switching is not None and not (options.switch_mode and options.yes):
        echo(render(plan, applying=True), nl=False)
        echo(f"\nRefused: access entries need mode {switching.mode}, and switching from {switching.current} is ONE-WAY "
             "(the cluster can never go back to CONFIG_MAP). eksdoctor switches it only when you pass both "
             "--switch-mode and --yes. Nothing was changed.")
        return REFUSED
    code = _show(plan, apply, options, echo, snap.data)
    if code is not None:
        return code
    echo("\nApplying:" if plan.automatic else "")
    journal.begin([r.to_dict() for r in rows])
    runner = Runner(client, kube, snap, options, echo, journal)
    if not runner.run(entry_steps):
        journal.set(phase="failed")
        return REFUSED
    journal.set(phase="entries applied")
    read = _read(client, cluster, echo)
    if read is None:
        return INCOMPLETE
    snap, kube = read
    if snap.aws_auth_state == "unreadable":
        echo(f"eksdoctor: after the changes, aws-auth cannot be read as {snap.caller or 'these credentials'} "
             f"({snap.aws_auth_note}); check access before going on")
        journal.set(phase="entries applied, aws-auth unreadable")
        return INCOMPLETE
    results = verify(rows, snap.evidence())
    echo("\nVerification (each principal as the access entries alone now map it):")
    for v in results:
        echo(f"  {'ok  ' if v.ok else 'FAIL'} {v.row.entry_arn}: {v.detail}")
    journal.set(verified=[{"arn": v.row.entry_arn, "ok": v.ok, "detail": v.detail} for v in results])
    if not all(v.ok for v in results):
        echo("Not every principal verified: the aws-auth rows stay; fix the above and run migrate again.")
        journal.set(phase="verification failed")
        return REFUSED
    removal, _ = plan_migration(snap, remove_rows=remove_rows, force=options.force)
    removal = [s for s in removal.steps if isinstance(s, EditAwsAuth)]
    if removal:
        echo("\nRemoving the migrated rows from aws-auth:")
        runner = Runner(client, kube, snap, options, echo, journal)
        if not runner.run(removal, start=len(entry_steps) + 1):
            journal.set(phase="removal failed")
            return REFUSED
    elif not remove_rows and any(not r.skipped for r in rows):
        echo(f"\nThe aws-auth rows are still in place: harmless, the access entries take precedence. Once you have "
             f"checked access, remove them with: eksdoctor migrate --cluster {cluster} --region {t.region} "
             "--remove-aws-auth-rows --apply")
    journal.set(phase="complete")
    echo(f"\nMigration {'complete' if remove_rows else 'applied'}; state in {journal.path}.")
    return OK


def fix_from_diagnosis(diagnosis, bundle, *, apply: bool, profile: str | None, region: str | None, options: Options,
                       echo) -> int | None:
    """The top finding's fix as a plan; None keeps diagnose's own exit code (dry run, or nothing to fix)."""
    from ..findings import Status
    from ..model.evidence import target
    finding = diagnosis.root_cause or next((f for f in diagnosis.findings if f.fix and f.status is Status.WARN), None)
    if finding is None or not finding.fix:
        echo("\n--fix: no finding with a fix, so nothing to do.")
        return None
    t = target(bundle)
    plan = Plan(f"the fix for {finding.id} ({finding.title})", t, tuple(steps_from_fix(finding.fix, t)))
    echo("")
    if not apply:
        echo(render(plan, applying=False), nl=False)
        return None
    if t.cluster.startswith("<"):
        raise UserError("--apply: the cluster is unknown (give --cluster)")
    client = ApplyClient(profile, region or (None if t.region.startswith("<") else t.region))
    read = _read(client, t.cluster, echo)
    if read is None:
        return INCOMPLETE
    snap, kube = read
    steps: list = []
    for step in plan.steps:  # a mode switch must not lock out the identity applying it
        steps.append(step)
        if isinstance(step, SwitchMode):
            keep, notes = keep_caller_steps(snap, step.mode)
            steps += keep
            plan = replace(plan, notes=plan.notes + tuple(notes))
    plan = preview(replace(plan, target=snap.target, steps=tuple(steps)), snap, options)
    code = _show(plan, True, options, echo, snap.data)
    if code is not None:
        return code
    if not plan.automatic:
        echo("\neksdoctor cannot make any of these changes safely itself: they are printed for you to run.")
        return None
    echo("\nApplying:")
    runner = Runner(client, kube, snap, options, echo)
    if not runner.run(plan.steps):
        return REFUSED
    echo("\nApplied. Check with: kubectl get pods (access entries take a few seconds), or run eksdoctor diagnose again."
         + (" The printed step(s) above are still yours to run." if runner.printed else ""))
    return OK

"""Carry out a plan's automatic steps, each re-checked against the live cluster first: never create an access
entry that exists (update/associate instead), never switch the mode without --switch-mode and --yes, and
write aws-auth only through the safe path (lint, guard, backup, resourceVersion, read back).

Manual steps are printed for whoever must run them. Every outcome is one line for the user.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..model import arn as arns
from ..model.access import MODES
from . import awsauth_edit as edits
from . import configmap, guard
from .client import ApplyClient, AwsError
from .plan import (AssociatePolicy, CreateEntry, EditAwsAuth, Manual, Plan, PlanError, Snapshot, SwitchMode,
                   UpdateEntry, entry_username_problem, lookup_in, reserved)

MAX_CONFLICTS = 3


@dataclass(frozen=True)
class Options:
    yes: bool = False
    force: bool = False
    switch_mode: bool = False
    backup_dir: Path = Path(".")


class StepFailed(Exception):
    """This step did not happen (or did not verify); the message says why and what to do."""


def confirm(question: str, options: Options, echo) -> bool:
    if options.yes:
        return True
    import click
    try:
        return click.confirm(question, default=False)
    except click.Abort:
        echo("")
        return False


def preview(plan: Plan, snap: Snapshot, options: Options) -> Plan:
    """The plan with what the aws-auth guard would say about its edits, so a dry run shows a refusal."""
    warnings, problems = list(plan.warnings), list(plan.problems)
    data = snap.data
    for step in plan.steps:
        if not isinstance(step, EditAwsAuth) or snap.aws_auth is None:
            continue
        try:
            after = edits.apply_edits(data, step.edits)
        except edits.EditError as exc:
            problems.append(f"aws-auth: {exc}")
            continue
        review = guard.review(data, after, snap.evidence(), snap.node_role_arns())
        problems += [f"aws-auth: {e}" for e in review.errors]
        if options.force:
            warnings += [f"aws-auth (forced): {d}" for d in review.dangers]
        else:
            problems += [f"aws-auth: {d} (--force overrides)" for d in review.dangers]
        warnings += [f"aws-auth: {w}" for w in review.warnings]
        data = after
    return replace(plan, warnings=tuple(warnings), problems=tuple(problems))


def aws_auth_diff(plan: Plan, snap: Snapshot) -> list[str]:
    data, out = snap.data, []
    for step in plan.steps:
        if isinstance(step, EditAwsAuth):
            try:
                after = edits.apply_edits(data, step.edits)
            except edits.EditError:
                continue
            out += edits.diff(data, after)
            data = after
    return out


class Runner:
    def __init__(self, client: ApplyClient, kube, snap: Snapshot, options: Options, echo, journal=None):
        self.client, self.kube, self.snap, self.options, self.echo, self.journal = client, kube, snap, options, echo, journal
        self.t = snap.target
        self.printed: list[Manual] = []

    # -- helpers ---------------------------------------------------------------------------------
    def _entry(self, arn: str) -> dict | None:
        try:
            return self.client.call("eks", "DescribeAccessEntry", clusterName=self.t.cluster, principalArn=arn)["accessEntry"]
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return None
            raise

    def _principal(self, text: str) -> str:
        """A full ARN: as given, or from the `$(aws iam get-role …)` look-up a printed fix carries."""
        found = lookup_in(text)
        if found is None:
            return text
        kind, name = found
        op, field = ("GetRole", "Role") if kind == "role" else ("GetUser", "User")
        try:
            return self.client.call("iam", op, **{f"{field}Name": name})[field]["Arn"]
        except AwsError as exc:
            raise StepFailed(f"iam:{op} {name}: {exc}") from None

    # -- the steps --------------------------------------------------------------------------------
    def create_entry(self, step: CreateEntry) -> str:
        arn = self._principal(step.principal)
        if "/aws-service-role/" in arn:
            raise StepFailed(f"{arn} is a service-linked role: it cannot have an access entry")
        bad = [g for g in step.groups if reserved(g)]
        if bad or (step.username and entry_username_problem(step.username)):
            raise StepFailed(entry_username_problem(step.username or "") or f"groups {', '.join(bad)} are reserved")
        existing = self._entry(arn)
        if existing is None:
            params = {"clusterName": self.t.cluster, "principalArn": arn}
            if step.entry_type != "STANDARD":
                params["type"] = step.entry_type
            if step.groups:
                params["kubernetesGroups"] = list(step.groups)
            if step.username:
                params["username"] = step.username
            try:
                self.client.call("eks", "CreateAccessEntry", **params)
                return f"created the access entry for {arn} ({step.entry_type})"
            except AwsError as exc:
                if exc.code != "ResourceInUseException":
                    raise StepFailed(f"eks:CreateAccessEntry: {exc}") from None
                existing = self._entry(arn)  # someone made it in between: update it instead
                if existing is None:
                    raise StepFailed(f"eks:CreateAccessEntry: {exc}") from None
        if (existing.get("type") or "STANDARD") != step.entry_type:
            raise StepFailed(f"{arn} already has a {existing.get('type')} entry (not {step.entry_type}); the type cannot "
                             "change: delete that entry first if it is wrong")
        if step.groups or step.username:
            return "already exists, so updated: " + self.update_entry(UpdateEntry(arn, step.groups, step.username))
        return f"the access entry for {arn} already exists: not created again"

    def update_entry(self, step: UpdateEntry) -> str:
        arn = self._principal(step.principal)
        existing = self._entry(arn)
        if existing is None:
            raise StepFailed(f"{arn} has no access entry to update")
        have = list(existing.get("kubernetesGroups") or [])
        groups = have + [g for g in step.groups if g not in have]
        rename = step.username and step.username != existing.get("username")
        if groups == have and not rename:
            return f"the entry of {arn} already has groups {', '.join(have) or '(none)'}"
        params = {"clusterName": self.t.cluster, "principalArn": arn, "kubernetesGroups": groups}
        if rename:
            params["username"] = step.username
        try:
            self.client.call("eks", "UpdateAccessEntry", **params)
        except AwsError as exc:
            raise StepFailed(f"eks:UpdateAccessEntry: {exc}") from None
        return f"updated the entry of {arn}: groups {', '.join(groups)}" + (f", username {step.username}" if rename else "")

    def associate(self, step: AssociatePolicy) -> str:
        arn = self._principal(step.principal)
        try:
            listed = self.client.call("eks", "ListAssociatedAccessPolicies", clusterName=self.t.cluster, principalArn=arn)
        except AwsError as exc:
            raise StepFailed(f"eks:ListAssociatedAccessPolicies {arn}: {exc}") from None
        namespaces = step.namespaces
        for item in listed.get("associatedAccessPolicies") or []:
            if item.get("policyArn", "").rsplit("/", 1)[-1] != step.policy:
                continue
            scope = item.get("accessScope") or {}
            if scope.get("type") == "cluster" or (namespaces and set(namespaces) <= set(scope.get("namespaces") or [])):
                return f"{step.policy} is already associated with {arn} ({'cluster' if scope.get('type') == 'cluster' else 'namespaces ' + ','.join(scope.get('namespaces') or [])})"
            if namespaces:  # associating again replaces the scope: keep the namespaces it had
                namespaces = tuple(dict.fromkeys(list(scope.get("namespaces") or []) + list(namespaces)))
        scope = {"type": "namespace", "namespaces": list(namespaces)} if namespaces else {"type": "cluster"}
        policy_arn = arns.policy_arn(self.t.partition, step.policy)
        try:
            self.client.call("eks", "AssociateAccessPolicy", clusterName=self.t.cluster, principalArn=arn,
                             policyArn=policy_arn, accessScope=scope)
        except AwsError as exc:
            raise StepFailed(f"eks:AssociateAccessPolicy: {exc}") from None
        return f"associated {policy_arn} ({'namespaces ' + ','.join(namespaces) if namespaces else 'cluster'}) with {arn}"

    def switch_mode(self, step: SwitchMode) -> str:
        current = self.client.call("eks", "DescribeCluster", name=self.t.cluster)["cluster"]
        mode = (current.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"
        if step.mode not in MODES:
            raise StepFailed(f"unknown authentication mode {step.mode}")
        if MODES.index(mode) >= MODES.index(step.mode):
            return f"the cluster is already in mode {mode}"
        if not (self.options.switch_mode and self.options.yes):
            raise StepFailed(f"not switched: changing the mode from {mode} to {step.mode} is one-way, so eksdoctor does "
                             "it only with both --switch-mode and --yes")
        try:
            self.client.call("eks", "UpdateClusterConfig", name=self.t.cluster,
                             accessConfig={"authenticationMode": step.mode})
            self.echo(f"     waiting for cluster {self.t.cluster} to be ACTIVE in mode {step.mode} …")
            self.client.wait_for_mode(self.t.cluster, step.mode)
        except AwsError as exc:
            raise StepFailed(f"eks:UpdateClusterConfig: {exc}") from None
        self.snap = replace(self.snap, mode=step.mode, target=replace(self.snap.target, auth_mode=step.mode))
        self.t = self.snap.target
        return f"switched the authentication mode from {mode} to {step.mode} (one-way)"

    def edit_aws_auth(self, step: EditAwsAuth) -> str:
        """Read, edit, guard, back up, write with the resourceVersion, read back. A concurrent change is never
        overwritten: the edit is re-planned on the new version and confirmed again."""
        planned_version = self.snap.resource_version
        for attempt in range(1, MAX_CONFLICTS + 2):
            try:
                current = configmap.read(self.kube)
            except configmap.WriteError as exc:
                raise StepFailed(str(exc)) from None
            if current is None:
                raise StepFailed("aws-auth does not exist: nothing was written (recreate it with the node roles first)")
            try:
                after = edits.apply_edits(current.data, step.edits)
            except edits.EditError as exc:
                raise StepFailed(f"aws-auth: {exc}") from None
            if after == current.data:
                return "aws-auth already says this: nothing to write"
            if current.resource_version != planned_version:
                self.echo(f"     aws-auth changed since it was read (resourceVersion {planned_version} → "
                          f"{current.resource_version}): someone else edited it. Re-planned on the current version:")
                self.echo("\n".join("       " + line for line in edits.diff(current.data, after)))
                if not confirm("     Write this instead?", self.options, self.echo):
                    raise StepFailed("not written: the new plan was not confirmed (nothing was overwritten)")
                planned_version = current.resource_version
            review = guard.review(current.data, after, self.snap.evidence(current.data), self.snap.node_role_arns())
            for w in review.warnings:
                self.echo(f"     warning: {w}")
            if review.errors:
                raise StepFailed("refused: the result would not lint cleanly:\n" +
                                 "\n".join(f"       {e}" for e in review.errors))
            if review.dangers and not self.options.force:
                raise StepFailed("refused (--force overrides):\n" + "\n".join(f"       {d}" for d in review.dangers))
            for d in review.dangers:
                self.echo(f"     forced: {d}")
            path = configmap.backup(current, self.options.backup_dir)
            self.echo(f"     backup: {path}  (restore: {configmap.restore_command(path)})")
            if self.journal is not None:
                self.journal.data["backups"].append(str(path))
                self.journal.save()
            try:
                written = configmap.write(self.kube, current, after)
            except configmap.ConflictError:
                self.echo(f"     conflict: aws-auth changed between reading and writing (attempt {attempt}); nothing "
                          "was overwritten, reading it again")
                continue
            except configmap.WriteError as exc:
                raise StepFailed(str(exc)) from None
            try:
                back = configmap.verify(self.kube, after, written.resource_version,
                                        lambda data: edits.apply_edits(data, step.edits) == data)
            except (configmap.WriteError, edits.EditError) as exc:
                raise StepFailed(str(exc)) from None
            self.snap = replace(self.snap, aws_auth=back.obj)
            if back.resource_version != written.resource_version:
                return (f"aws-auth written (resourceVersion {written.resource_version}); someone else wrote after it "
                        f"({back.resource_version}) and the change is still in place")
            return f"aws-auth written (resourceVersion {written.resource_version}) and read back identical"
        raise StepFailed(f"gave up: aws-auth kept changing ({MAX_CONFLICTS + 1} attempts); nothing was overwritten")

    # -- the loop --------------------------------------------------------------------------------
    def run_step(self, step) -> str:
        if isinstance(step, CreateEntry):
            return self.create_entry(step)
        if isinstance(step, UpdateEntry):
            return self.update_entry(step)
        if isinstance(step, AssociatePolicy):
            return self.associate(step)
        if isinstance(step, SwitchMode):
            return self.switch_mode(step)
        if isinstance(step, EditAwsAuth):
            return self.edit_aws_auth(step)
        raise TypeError(step)

    def run(self, steps, start: int = 1) -> bool:
        """Every automatic step in order, stopping at the first failure; manual ones printed. True: all done."""
        for n, step in enumerate(steps, start):
            if not step.auto:
                self.printed.append(step)
                self.echo(f"  {n}. for {step.run_as} to run (eksdoctor does not): {step.command}")
                continue
            self.echo(f"  {n}. {step.describe()}")
            try:
                result = self.run_step(step)
            except (StepFailed, PlanError) as exc:
                self.echo(f"     FAILED: {exc}")
                self.echo(f"  stopped at step {n}: the steps after it were not attempted")
                return False
            except AwsError as exc:
                self.echo(f"     FAILED: {exc}")
                self.echo(f"  stopped at step {n}: the steps after it were not attempted")
                return False
            self.echo(f"     done: {result}")
            if self.journal is not None:
                self.journal.record(step.key, result)
        return True

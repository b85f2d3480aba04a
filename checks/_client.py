"""Shared by the client-side checks (kubeconfig, exec plugin, credentials, token, endpoint).

One view of what kubectl does on this machine, read from the bundle, plus the phrases every such
finding uses: whether kubectl's request reached the API server, and the usual fix commands.
Pure: reads the bundle only.
"""
from __future__ import annotations

from dataclasses import dataclass

from eksdoctor.bundle import Bundle
from eksdoctor.check import Result, passed, skipped
from eksdoctor.model import evidence
from eksdoctor.model import fixes
from eksdoctor.model import kubeconfig as kcm
from eksdoctor.model.execargs import ExecArgs
from eksdoctor.model.probe import ProbeOutcome, probe_outcome, reach_sentence

V1ALPHA1 = "client.authentication.k8s.io/v1alpha1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"
V1 = "client.authentication.k8s.io/v1"


@dataclass(frozen=True)
class View:
    bundle: Bundle
    sel: kcm.Selected | None
    run: dict  # local.exec: the one run of the exec plugin ({} when not run)
    args: ExecArgs | None
    how: dict  # local.exec_credentials: how the plugin's credentials were resolved
    probe: ProbeOutcome
    cluster: evidence.Cluster | None
    target: evidence.Target

    @property
    def reach(self) -> str:
        return reach_sentence(self.probe)

    @property
    def user(self) -> str:
        return self.sel.user_name if self.sel and self.sel.user_name else "<user>"

    @property
    def uses_exec(self) -> bool:
        return bool(self.sel and self.sel.exec)

    @property
    def command(self) -> str:
        return str((self.sel.exec or {}).get("command") or "") if self.sel else ""

    @property
    def exec_arg_list(self) -> list[str]:
        raw = (self.sel.exec or {}).get("args") if self.sel else None
        return [str(a) for a in raw] if isinstance(raw, list) else []

    @property
    def api_version(self) -> str | None:
        return (self.sel.exec or {}).get("apiVersion") if self.sel else None

    @property
    def local(self) -> dict:
        return self.bundle.local

    @property
    def aws_cli_version_text(self) -> str | None:
        """`aws --version` of the binary kubectl runs, else of the one on the PATH."""
        return self.run.get("tool_version") or ((self.local.get("tools") or {}).get("aws") or {}).get("version")

    def install_aws_cli(self) -> str:
        return fixes.install_aws_cli(self.local.get("platform"), (self.local.get("process") or {}).get("machine"))

    def alias(self) -> str | None:
        """Keep the user's context name when update-kubeconfig would otherwise write the ARN."""
        name = self.sel.context_name if self.sel else None
        if not name or (self.cluster and name == self.cluster.arn) or name.startswith("arn:"):
            return None
        return name

    def update_kubeconfig(self, **kw) -> str:
        """Rewrites the entry keeping what it had (alias, --profile or AWS_PROFILE, --role-arn) unless told
        otherwise: dropping the profile would make get-token sign as another identity."""
        kw.setdefault("alias", self.alias())
        kw.setdefault("profile", self.args.effective_profile if self.args else None)
        kw.setdefault("role_arn", self.args.role_arn if self.args else None)
        return fixes.update_kubeconfig(self.target, **kw)


def view(bundle: Bundle) -> View:
    sel = kcm.selected(bundle)
    run = bundle.local.get("exec") if isinstance(bundle.local.get("exec"), dict) else {}
    how = bundle.local.get("exec_credentials") if isinstance(bundle.local.get("exec_credentials"), dict) else {}
    return View(bundle, sel, run, sel.exec_args if sel else None, how, probe_outcome(bundle),
                evidence.cluster(bundle), evidence.target(bundle))


def no_exec(v: View) -> Result | None:
    """The pass (or skip) a check about the exec plugin gives when there is no plugin to judge."""
    if v.sel is None:
        return skipped("the kubeconfig was not collected")
    if not v.uses_exec:
        return passed(f"the context's user does not use an exec plugin (it authenticates by {v.sel.auth_kind.replace('_', ' ')})")
    return None


def exec_check(judge):
    """A check about the exec plugin: `judge(view)` runs only when the context has one."""
    def run(bundle: Bundle) -> Result:
        v = view(bundle)
        return no_exec(v) or judge(v)
    run.__doc__ = judge.__doc__
    return run


def stderr_has(v: View, *needles: str) -> str | None:
    """The first stderr line of the exec plugin that contains one of these texts."""
    for line in str(v.run.get("stderr") or "").splitlines():
        if any(n.lower() in line.lower() for n in needles):
            return line.strip()
    return None

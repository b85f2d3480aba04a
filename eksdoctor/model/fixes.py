"""Fix commands with real names filled in, quoted for a POSIX shell.

One builder per kind of command, so every check phrases the same fix the same way:
aws-auth takes path-less role ARNs, access entries take the full ARN with its path.
"""
from __future__ import annotations

import json
import re
import shlex

from ..findings import AFFECTED_USER, CLUSTER_ADMIN, IAM_ADMIN, FixStep
from . import arn as arns
from .evidence import Target

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"


def q(value: str) -> str:
    return shlex.quote(str(value))


def _arg(value: str) -> str:
    """Quote an argument; a `$(…)` look-up (see full_arn_expr) is kept as one double-quoted word."""
    value = str(value)
    return f'"{value}"' if value.startswith("$(") and value.endswith(")") else q(value)


def full_arn_expr(kind: str, name: str) -> str:
    """The shell look-up of a principal's full ARN (path included), for when the bundle lacks it."""
    if kind == "user":
        return f"$(aws iam get-user --user-name {q(name)} --query User.Arn --output text)"
    return f"$(aws iam get-role --role-name {q(name)} --query Role.Arn --output text)"


def _region(t: Target) -> str:
    return f" --region {q(t.region)}" if t.region and not t.region.startswith("<") else ""


def update_kubeconfig(t: Target, *, profile: str | None = None, role_arn: str | None = None, alias: str | None = None) -> str:
    cmd = f"aws eks update-kubeconfig{_region(t)} --name {q(t.cluster)}"
    if profile:
        cmd += f" --profile {q(profile)}"
    if role_arn:
        cmd += f" --role-arn {q(role_arn)}"
    if alias:
        cmd += f" --alias {q(alias)}"
    return cmd


def create_access_entry(t: Target, principal: str, *, entry_type: str | None = None,
                        groups: tuple[str, ...] = (), username: str | None = None) -> str:
    cmd = f"aws eks create-access-entry{_region(t)} --cluster-name {q(t.cluster)} --principal-arn {_arg(principal)}"
    if entry_type and entry_type != "STANDARD":
        cmd += f" --type {entry_type}"
    if groups:
        cmd += " --kubernetes-groups " + " ".join(q(g) for g in groups)
    if username:
        cmd += f" --username {q(username)}"
    return cmd


def update_access_entry(t: Target, principal: str, *, groups: tuple[str, ...] | None = None,
                        username: str | None = None) -> str:
    """--kubernetes-groups replaces the entry's whole list: give every group it should keep."""
    cmd = f"aws eks update-access-entry{_region(t)} --cluster-name {q(t.cluster)} --principal-arn {_arg(principal)}"
    if groups:
        cmd += " --kubernetes-groups " + " ".join(q(g) for g in groups)
    if username:
        cmd += f" --username {q(username)}"
    return cmd


def associate_access_policy(t: Target, principal: str, policy: str, namespaces: tuple[str, ...] = ()) -> str:
    scope = "type=cluster" if not namespaces else "type=namespace,namespaces=" + ",".join(namespaces)
    return (f"aws eks associate-access-policy{_region(t)} --cluster-name {q(t.cluster)} --principal-arn {_arg(principal)}"
            f" --policy-arn {q(arns.policy_arn(t.partition, policy))} --access-scope {q(scope)}")


def grant_with_access_entry(t: Target, principal: str, policy: str, why: str, namespaces: tuple[str, ...] = (),
                            run_as: str = CLUSTER_ADMIN, groups: tuple[str, ...] = ()) -> tuple[FixStep, ...]:
    where = "cluster-wide" if not namespaces else "in " + ", ".join(namespaces)
    return (
        FixStep(create_access_entry(t, principal, groups=groups), run_as, why),
        FixStep(associate_access_policy(t, principal, policy, namespaces), run_as,
                f"gives the entry Kubernetes permissions ({policy}, {where})"),
    )


_ERE_SPECIAL = re.compile(r"([.+?*()\[\]{}^$|\\#])")
_AFTER_ARN = r"([^[:alnum:]+=,.@_/-]|$)"  # no character an IAM name can contain, or the line's end


def sed_replace_arn(old: str, new: str, path: str = "aws-auth.yaml") -> str:
    """Replace one ARN exactly: a longer ARN that merely starts the same (role/dev in role/devops, or
    role/dev-x) is left alone."""
    script = "s#" + _ERE_SPECIAL.sub(r"\\\1", old) + _AFTER_ARN + "#" + new + r"\1#"
    return f"sed -E -i {q(script)} {path}"


_SED_REPLACE_ARN = re.compile(r"^sed -E -i 's#(?P<old>(?:[^#\\]|\\.)+)" + re.escape(_AFTER_ARN) + r"#(?P<new>[^#]+)\\1#' aws-auth\.yaml$")


def parse_sed_replace_arn(command: str) -> tuple[str, str] | None:
    """The (old, new) ARNs of a command sed_replace_arn built, else None (for the --apply planner)."""
    m = _SED_REPLACE_ARN.match(command)
    return (re.sub(r"\\(.)", r"\1", m.group("old")), m.group("new")) if m else None


def rewrite_aws_auth_arns(changes: list[tuple[str, str]], why: str) -> tuple[FixStep, ...]:
    """Edit ARNs in aws-auth with optimistic concurrency (replace fails if someone else edited it)."""
    edits = tuple(FixStep(sed_replace_arn(old, new), CLUSTER_ADMIN, why) for old, new in changes)
    return (
        FixStep("kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml", CLUSTER_ADMIN,
                "save the current ConfigMap (also your backup); its resourceVersion guards against concurrent edits"),
        *edits,
        FixStep("kubectl replace -f aws-auth.yaml", CLUSTER_ADMIN,
                "write it back; a concurrent change makes this fail instead of being overwritten"),
    )


def affected_user(command: str, why: str) -> FixStep:
    return FixStep(command, AFFECTED_USER, why)


def _cluster_args(t: Target) -> str:
    return f"--cluster {q(t.cluster)}" + (f" --region {q(t.region)}" if t.region and not t.region.startswith("<") else "")


def eksctl_create_mapping(t: Target, arn: str, username: str, groups: tuple[str, ...]) -> str:
    cmd = f"eksctl create iamidentitymapping {_cluster_args(t)} --arn {q(arn)} --username {q(username)}"
    cmd += "".join(f" --group {q(g)}" for g in groups)
    return cmd + " --no-duplicate-arns"


def eksctl_delete_mapping(t: Target, arn: str) -> str:
    return f"eksctl delete iamidentitymapping {_cluster_args(t)} --arn {q(arn)} --all"


def aws_auth_row(section: str, arn: str, username: str, groups: tuple[str, ...]) -> str:
    key = "rolearn" if section == "mapRoles" else "userarn"
    lines = [f"- {key}: {arn}", f"  username: {username}", "  groups:"] + [f"  - {g}" for g in groups]
    return "\n".join(lines)


def grant_with_aws_auth(t: Target, arn: str, username: str, groups: tuple[str, ...], why: str,
                        run_as: str = CLUSTER_ADMIN) -> tuple[FixStep, ...]:
    """The eksctl line and the equivalent hand edit; `arn` must already be the path-less form."""
    section = "mapUsers" if arns.principal_type(arn) == "USER" else "mapRoles"
    return (
        FixStep(eksctl_create_mapping(t, arn, username, groups), run_as, why),
        FixStep("kubectl edit -n kube-system configmap/aws-auth", run_as,
                f"the same without eksctl: add to {section}:\n{aws_auth_row(section, arn, username, groups)}"),
    )


def bind_group(group: str, cluster_role: str = "view", namespace: str | None = None) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in group.lower()).strip("-") or "group"
    if namespace:
        return f"kubectl create rolebinding {q(safe + '-' + cluster_role)} -n {q(namespace)} --clusterrole={q(cluster_role)} --group={q(group)}"
    return f"kubectl create clusterrolebinding {q(safe + '-' + cluster_role)} --clusterrole={q(cluster_role)} --group={q(group)}"


def bind_user(user: str, cluster_role: str = "view", namespace: str | None = None) -> str:
    short = user.rsplit("/", 1)[-1] if user.startswith("arn:") else user
    safe = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in short.lower()).strip("-")[-40:] or "user"
    if namespace:
        return f"kubectl create rolebinding {q(safe + '-' + cluster_role)} -n {q(namespace)} --clusterrole={q(cluster_role)} --user={q(user)}"
    return f"kubectl create clusterrolebinding {q(safe + '-' + cluster_role)} --clusterrole={q(cluster_role)} --user={q(user)}"


def switch_mode(t: Target, mode: str = "API_AND_CONFIG_MAP") -> tuple[FixStep, ...]:
    return (
        FixStep(f"aws eks update-cluster-config{_region(t)} --name {q(t.cluster)} --access-config authenticationMode={mode}",
                IAM_ADMIN, "enables access entries; one-way: the cluster cannot go back to CONFIG_MAP"),
        FixStep(f"aws eks wait cluster-active{_region(t)} --name {q(t.cluster)}", IAM_ADMIN, "waits for the update to finish"),
    )


def admin_read_steps(t: Target, caller_arn: str) -> tuple[FixStep, ...]:
    """What an admin runs when the affected user cannot read entries or aws-auth themselves: the sources
    the cluster's mode consults (both when the mode is unknown)."""
    mode = t.auth_mode
    entries = FixStep(f"aws eks list-access-entries{_region(t)} --cluster-name {q(t.cluster)}", CLUSTER_ADMIN,
                      "the affected user cannot read the cluster's access entries; an admin can")
    configmap = FixStep("kubectl get configmap aws-auth -n kube-system -o yaml", CLUSTER_ADMIN,
                        "the affected user cannot read aws-auth; an admin can")
    return (
        *((entries,) if mode != "CONFIG_MAP" else ()),
        *((configmap,) if mode != "API" else ()),
        FixStep(f"eksdoctor diagnose --cluster {q(t.cluster)}{_region(t)} --save-bundle cluster.json.gz && "
                f"eksdoctor explain --bundle cluster.json.gz --arn {q(caller_arn)}", CLUSTER_ADMIN,
                "or let eksdoctor read everything as the admin and say exactly what this principal becomes"),
    )


AUTHENTICATOR_LOGGING = '{"clusterLogging":[{"types":["authenticator"],"enabled":true}]}'


def enable_authenticator_logging(t: Target) -> str:
    """Turns on only the authenticator log type; the other types keep their current state."""
    return f"aws eks update-cluster-config{_region(t)} --name {q(t.cluster)} --logging {q(AUTHENTICATOR_LOGGING)}"


# --- client side: kubeconfig, exec plugin, local credentials (issue 4) ------------------------

def use_context(name: str) -> str:
    return f"kubectl config use-context {q(name)}"


def set_exec_credentials(user: str, command: str, args: list[str] | tuple[str, ...], *,
                         api_version: str | None = None, env_unset: tuple[str, ...] = ()) -> str:
    """Rewrite a kubeconfig user's exec plugin; --exec-arg replaces the whole argument list."""
    cmd = f"kubectl config set-credentials {q(user)} --exec-command={q(command)}"
    if api_version:
        cmd += f" --exec-api-version={q(api_version)}"
    cmd += "".join(f" --exec-arg={q(a)}" for a in args)
    cmd += "".join(f" --exec-env={q(name + '-')}" for name in env_unset)
    return cmd


def unset_kubeconfig(path: str) -> str:
    return f"kubectl config unset {q(path)}"


def unset_env(names: tuple[str, ...]) -> str:
    return "unset " + " ".join(names)


def sso_login(profile: str | None, session: str | None = None) -> str:
    if session and not profile:
        return f"aws sso login --sso-session {q(session)}"
    return "aws sso login" + (f" --profile {q(profile)}" if profile and profile != "default" else "")


def install_aws_cli(platform: str | None, machine: str | None = None) -> str:
    """The AWS CLI v2 installer for this platform (the official bundles)."""
    if platform == "darwin":
        return 'curl -fsSL "https://awscli.amazonaws.com/AWSCLIV2.pkg" -o AWSCLIV2.pkg && sudo installer -pkg AWSCLIV2.pkg -target /'
    if platform in ("win32", "cygwin"):
        return "msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi"
    arch = "aarch64" if (machine or "").lower() in ("aarch64", "arm64") else "x86_64"
    return (f'curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-{arch}.zip" -o awscliv2.zip'
            " && unzip -q -o awscliv2.zip && sudo ./aws/install --update")


def allow_assume_role(role_arn: str, principal: str) -> tuple[FixStep, ...]:
    """Add `principal` to a role's trust policy (read it, append a statement, write it back)."""
    name = arns.try_parse(role_arn).name if arns.try_parse(role_arn) else role_arn
    statement = json.dumps({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"},
                           separators=(",", ":"))
    return (
        FixStep(f"aws iam get-role --role-name {q(name)} --query Role.AssumeRolePolicyDocument --output json > trust.json",
                IAM_ADMIN, "save the role's current trust policy"),
        FixStep(f"jq {q('.Statement += [' + statement + ']')} trust.json > trust-new.json", IAM_ADMIN,
                f"allow {principal} to assume the role"),
        FixStep(f"aws iam update-assume-role-policy --role-name {q(name)} --policy-document file://trust-new.json",
                IAM_ADMIN, "write the new trust policy (the caller also needs sts:AssumeRole on the role in its own policies)"),
    )


def clock_sync(platform: str | None, wsl: bool = False) -> str:
    if wsl:
        return "sudo hwclock -s"
    if platform == "darwin":
        return "sudo sntp -sS time.apple.com"
    if platform in ("win32", "cygwin"):
        return "w32tm /resync"
    return "sudo timedatectl set-ntp true && sudo systemctl restart systemd-timesyncd"


def endpoint_access(t: Target, cidrs: tuple[str, ...]) -> str:
    config = f"endpointPublicAccess=true,endpointPrivateAccess=true,publicAccessCidrs={','.join(cidrs)}"
    return f"aws eks update-cluster-config{_region(t)} --name {q(t.cluster)} --resources-vpc-config {q(config)}"


def grant_rbac(attributes: dict, username: str, why: str) -> tuple[FixStep, ...]:
    """The least RBAC that allows one SelfSubjectAccessReview's resourceAttributes to `username`:
    a Role + RoleBinding in its namespace, or a ClusterRole + ClusterRoleBinding when it has none."""
    verb, resource = attributes.get("verb") or "get", attributes.get("resource") or "*"
    group, sub = attributes.get("group") or "", attributes.get("subresource") or ""
    namespace = attributes.get("namespace")
    name = "-".join(p for p in ("eksdoctor", verb if verb != "*" else "all", resource if resource != "*" else "all", sub) if p)
    name = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name.lower())[:63].strip("-")
    full = resource + (f".{group}" if group else "") + (f"/{sub}" if sub else "")
    ns = f" -n {q(namespace)}" if namespace else ""
    kind = "role" if namespace else "clusterrole"
    return (
        FixStep(f"kubectl create {kind} {q(name)} --verb={q(verb)} --resource={q(full)}{ns}", CLUSTER_ADMIN,
                f"allows exactly {verb} {full}" + (f" in {namespace}" if namespace else " cluster-wide")),
        FixStep(f"kubectl create {kind}binding {q(name)} --{kind}={q(name)} --user={q(username)}{ns}", CLUSTER_ADMIN, why),
    )


def allow_actions(principal: str, actions: list[str], policy_name: str = "eksdoctor-read") -> FixStep:
    """An inline policy statement that allows `actions` on `*` for the principal (its role, for an
    assumed-role session); a placeholder when the principal is unknown."""
    statement = {"Sid": "EksdoctorRead", "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))
    try:
        canonical = arns.canonicalize(principal)
    except arns.ArnError:
        canonical = ""
    kind = arns.principal_type(canonical) if canonical else ""
    name = canonical.rsplit("/", 1)[-1] if canonical else ""
    if kind == "USER":
        target = f"put-user-policy --user-name {q(name)}"
    else:
        target = f"put-role-policy --role-name {q(name or '<ROLE-NAME>')}"
    why = f"allow {principal or 'the identity eksdoctor read as'} the read(s) it was denied"
    if name and arns.is_sso_role(canonical):
        why += " (an IAM Identity Center role: add the statement to its permission set instead; IAM edits are reverted)"
    return FixStep(f"aws iam {target} --policy-name {q(policy_name)} --policy-document {q(document)}", IAM_ADMIN, why)

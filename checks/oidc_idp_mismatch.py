"""oidc_idp_mismatch: the caller signs in through an OIDC identity provider, but the cluster has no
such provider (or another issuer, or not ACTIVE), or RBAC names the user/groups without the prefixes
the provider config adds (failure-modes.md §1J)."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import rbac, target
from eksdoctor.model.kubeconfig import selected_user
from eksdoctor.model.rbac import parse_forbidden

from ._server import not_applicable


def oidc_configs(bundle) -> list[dict]:
    out = []
    for call in bundle.aws("eks:DescribeIdentityProviderConfig"):
        oidc = ((call.response or {}).get("identityProviderConfig") or {}).get("oidc") if call.ok and isinstance(call.response, dict) else None
        if isinstance(oidc, dict):
            out.append(oidc)
    return out


def kubeconfig_issuer(bundle) -> str | None:
    """The OIDC issuer the current kubeconfig user signs in with (kubelogin or the oidc auth-provider)."""
    user = selected_user(bundle)
    provider = user.get("auth-provider") if isinstance(user.get("auth-provider"), dict) else {}
    if provider.get("name") == "oidc":
        config = provider.get("config") if isinstance(provider.get("config"), dict) else {}
        return str(config.get("idp-issuer-url") or "")
    exec_section = user.get("exec") if isinstance(user.get("exec"), dict) else {}
    args = [str(a) for a in exec_section.get("args") or []] if isinstance(exec_section.get("args"), list) else []
    if "oidc-login" in args or "get-token" in args and "kubelogin" in str(exec_section.get("command")):
        for i, a in enumerate(args):
            if a.startswith("--oidc-issuer-url="):
                return a.split("=", 1)[1]
            if a == "--oidc-issuer-url" and i + 1 < len(args):
                return args[i + 1]
        return ""
    return None


def run(bundle):
    issuer = kubeconfig_issuer(bundle)
    listed = [c for c in bundle.aws("eks:ListIdentityProviderConfigs") if c.ok]
    configs = oidc_configs(bundle)
    if issuer is None and not configs:
        return not_applicable("the caller does not sign in through OIDC and no OIDC provider config was read")
    t = target(bundle)
    if issuer is not None and not configs and listed:
        return failed("kubectl signs in through OIDC, but the cluster has no OIDC identity provider",
                      f"The kubeconfig user gets tokens from {issuer or 'an OIDC issuer'}; the cluster has no identity provider "
                      "config, so the API server rejects the token (401).",
                      fix=(FixStep(f"aws eks associate-identity-provider-config{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} "
                                   f"--oidc identityProviderConfigName=oidc,issuerUrl={issuer or 'ISSUER'},clientId=CLIENT_ID,"
                                   "usernameClaim=email,groupsClaim=groups,usernamePrefix=oidc:,groupsPrefix=oidc:", CLUSTER_ADMIN,
                                   "associates the issuer (fill in the client id of the app kubelogin uses)"),),
                      confidence="likely")
    for c in configs:
        if issuer and c.get("issuerUrl") and c["issuerUrl"].rstrip("/") != issuer.rstrip("/"):
            return failed("The kubeconfig's OIDC issuer is not the cluster's",
                          f"kubectl gets tokens from {issuer}; the cluster trusts {c['issuerUrl']} "
                          f"({c.get('identityProviderConfigName')}). Only one OIDC provider can be associated.",
                          fix=(FixStep(f"kubectl config set-credentials {fixes.q('oidc')} --exec-arg=--oidc-issuer-url={c['issuerUrl']}",
                                       "affected user", "sign in with the issuer the cluster trusts"),), confidence="likely")
        if issuer is not None and c.get("status") and c["status"] != "ACTIVE":
            return failed(f"The cluster's OIDC provider is {c['status']}", f"{c.get('identityProviderConfigName')} is {c['status']}; "
                          "tokens are not accepted until it is ACTIVE.", fix=(FixStep(
                              f"aws eks wait cluster-active{fixes._region(t)} --name {fixes.q(t.cluster)}", "affected user",
                              "associating a provider takes a while"),), confidence="likely")
    forbidden = parse_forbidden(str(bundle.symptom.get("output") or ""))
    r = rbac(bundle)
    for c in configs:
        prefix = c.get("usernamePrefix") or ""
        if forbidden and prefix and forbidden[0].startswith(prefix) and r is not None:
            bare = forbidden[0][len(prefix):]
            bound = [b.where for b in r.bindings if ("User", bare) in b.subjects]
            if bound:
                q = forbidden[1]
                return failed(f"RBAC binds {bare}, but OIDC users are named {forbidden[0]}",
                              f"The provider config adds usernamePrefix {prefix!r}; {', '.join(bound)} name the user without it.",
                              fix=(FixStep(fixes.bind_user(forbidden[0], "view", q.namespace if q.namespace != "default" else None),
                                           CLUSTER_ADMIN, "binds the prefixed name the API server uses"),), confidence="likely")
    if issuer is not None:
        return passed("the kubeconfig's OIDC issuer matches the cluster's provider config")
    return warned("The cluster has an OIDC identity provider", "; ".join(
        f"{c.get('identityProviderConfigName')}: {c.get('issuerUrl')} (usernamePrefix {c.get('usernamePrefix') or 'none'}, "
        f"groupsPrefix {c.get('groupsPrefix') or 'none'})" for c in configs) + ". RBAC subjects for its users need these prefixes.",
        severity=Severity.INFO) if any(c.get("usernamePrefix") or c.get("groupsPrefix") for c in configs) else passed(
        "OIDC provider config read; the caller uses IAM")


CHECK = Check(
    id="oidc_idp_mismatch",
    title="OIDC identity provider and kubeconfig/RBAC disagree",
    severity="high",
    stage="authentication",
    needs=(),
    docs="docs/checks/oidc_idp_mismatch.md",
    summary=("With an OIDC identity provider the API server names users and groups with the config's prefixes and "
             "only trusts one issuer. A kubeconfig using another issuer gets 401; RBAC bound to unprefixed names gets 403."),
    remediation="bind RBAC to the prefixed names (oidc:alice), or fix the issuer in the kubeconfig / provider config",
    run=run,
)

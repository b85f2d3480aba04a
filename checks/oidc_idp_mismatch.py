"""oidc_idp_mismatch: the caller signs in through an OIDC identity provider, but the cluster has no
such provider (or another issuer, or not ACTIVE), or RBAC names the user/groups without the prefixes
the provider config adds (failure-modes.md §1J)."""
from eksdoctor.check import Check, failed, passed, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes
from eksdoctor.model.evidence import rbac, target
from eksdoctor.model.oidc import mismatch, oidc_login, provider_configs
from eksdoctor.model.rbac import parse_forbidden

from ._server import cannot_tell, not_applicable


def _relogin(login, c) -> FixStep:
    """Point the kubeconfig user at the issuer and client id the cluster trusts."""
    if login.how == "auth-provider":
        command = (f"kubectl config set-credentials {fixes.q(login.user)} --auth-provider=oidc "
                   f"--auth-provider-arg={fixes.q('idp-issuer-url=' + c.issuer)} "
                   f"--auth-provider-arg={fixes.q('client-id=' + c.client_id)}")
    else:
        fixed = login.with_provider(c.issuer, c.client_id)
        command = fixes.set_exec_credentials(login.user, fixed.command, fixed.args)
    return FixStep(command, AFFECTED_USER, f"sign in with the issuer and client id of {c.name}, the provider the cluster trusts")


def _login_fails(bundle, login, configs):
    found = mismatch(login, configs)
    if found is None:
        return None
    kind, c = found
    t = target(bundle)
    seen = f"kubectl gets tokens from {login.issuer or 'an OIDC issuer'}" + (f" for client {login.client_id}" if login.client_id else "")
    if kind == "none":
        return failed("kubectl signs in through OIDC, but the cluster has no OIDC identity provider",
                      f"{seen}; the cluster has no identity provider config, so the API server rejects the token (401).",
                      fix=(FixStep(f"aws eks associate-identity-provider-config{fixes._region(t)} --cluster-name {fixes.q(t.cluster)} "
                                   "--oidc " + fixes.q(f"identityProviderConfigName=oidc,issuerUrl={login.issuer or 'ISSUER'},"
                                                     f"clientId={login.client_id or 'CLIENT_ID'},usernameClaim=email,"
                                                     "groupsClaim=groups,usernamePrefix=oidc:,groupsPrefix=oidc:"), CLUSTER_ADMIN,
                                   "associates the issuer (takes several minutes; then bind RBAC to the oidc: names)"),),
                      confidence="likely")
    if kind == "status":
        return failed(f"The cluster's OIDC provider is {c.status}", f"{c.name} is {c.status}; tokens are not accepted until it "
                      "is ACTIVE.", fix=(FixStep(f"aws eks describe-identity-provider-config{fixes._region(t)} --cluster-name "
                                                 f"{fixes.q(t.cluster)} --identity-provider-config {fixes.q('type=oidc,name=' + c.name)} "
                                                 "--query identityProviderConfig.oidc.status", AFFECTED_USER,
                                                 "associating a provider takes a while: retry when this says ACTIVE"),),
                      evidence=(c.pointer,), confidence="likely")
    what = (f"trusts issuer {c.issuer}" if kind == "issuer" else f"trusts client id {c.client_id} (the token's audience)")
    return failed("The kubeconfig's OIDC " + ("issuer" if kind == "issuer" else "client id") + " is not the cluster's",
                  f"{seen}; the cluster's provider config {c.name} {what}, so the API server rejects the token (401). "
                  "A cluster has at most one OIDC provider.", fix=(_relogin(login, c),), evidence=(c.pointer,), confidence="likely")


def run(bundle):
    login = oidc_login(bundle)
    configs, unknown = provider_configs(bundle)
    if login is None and not configs:
        return not_applicable("the caller does not sign in through OIDC and no OIDC provider config was read")
    if login is not None:
        if unknown:
            return cannot_tell(f"kubectl signs in through OIDC, but {unknown}")
        result = _login_fails(bundle, login, configs)
        if result is not None:
            return result
    forbidden = parse_forbidden(str(bundle.symptom.get("output") or ""))
    r = rbac(bundle)
    for c in configs:
        prefix = c.username_prefix
        if forbidden and prefix and forbidden[0].startswith(prefix) and r is not None:
            bare = forbidden[0][len(prefix):]
            bound = [b.where for b in r.bindings if ("User", bare) in b.subjects]
            if bound:
                q = forbidden[1]
                return failed(f"RBAC binds {bare}, but OIDC users are named {forbidden[0]}",
                              f"The provider config adds usernamePrefix {prefix!r}; {', '.join(bound)} name the user without it.",
                              fix=(FixStep(fixes.bind_user(forbidden[0], "view", q.namespace if q.namespace != "default" else None),
                                           CLUSTER_ADMIN, "binds the prefixed name the API server uses"),), confidence="likely")
    if login is not None:
        return passed("the kubeconfig's OIDC issuer and client id match the cluster's provider config")
    return warned("The cluster has an OIDC identity provider", "; ".join(
        f"{c.name}: {c.issuer} (usernamePrefix {c.username_prefix or 'none'}, "
        f"groupsPrefix {c.groups_prefix or 'none'})" for c in configs) + ". RBAC subjects for its users need these prefixes.",
        severity=Severity.INFO) if any(c.username_prefix or c.groups_prefix for c in configs) else passed(
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

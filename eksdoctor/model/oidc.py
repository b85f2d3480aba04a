"""OIDC sign-in against an EKS identity provider config: how the kubeconfig user logs in (kubelogin's
exec plugin or kubectl's legacy `oidc` auth-provider: issuer and client id) and whether the cluster's
provider config accepts those tokens. Pure: reads the bundle's kubeconfig and eks:*IdentityProviderConfig*.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..bundle import Bundle
from .kubeconfig import selected

ISSUER_FLAG = "--oidc-issuer-url"
CLIENT_FLAG = "--oidc-client-id"


@dataclass(frozen=True)
class OidcLogin:
    user: str            # the kubeconfig user entry's name
    how: str             # "exec" (kubelogin) or "auth-provider"
    issuer: str          # "" when the kubeconfig does not say
    client_id: str
    command: str = ""    # exec only: the plugin command and its arguments
    args: tuple[str, ...] = ()

    def with_provider(self, issuer: str, client_id: str) -> "OidcLogin":
        """The same login, pointed at another issuer and client id (the other arguments kept)."""
        args, seen = [], set()
        for i, a in enumerate(self.args):
            if i and self.args[i - 1] in (ISSUER_FLAG, CLIENT_FLAG):
                continue
            for flag, value in ((ISSUER_FLAG, issuer), (CLIENT_FLAG, client_id)):
                if a == flag or a.startswith(flag + "="):
                    a = f"{flag}={value}"
                    seen.add(flag)
            args.append(a)
        args += [f"{flag}={value}" for flag, value in ((ISSUER_FLAG, issuer), (CLIENT_FLAG, client_id)) if flag not in seen]
        return OidcLogin(self.user, self.how, issuer, client_id, self.command, tuple(args))


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    issuer: str
    client_id: str
    status: str
    username_prefix: str
    groups_prefix: str
    pointer: str


def _flag(args: list[str], flag: str) -> str:
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return ""


def _is_kubelogin(command: str, args: list[str]) -> bool:
    base = command.rsplit("/", 1)[-1]
    return "oidc-login" in args or base in ("kubelogin", "kubectl-oidc_login") or any(a.startswith(ISSUER_FLAG) for a in args)


def oidc_login(bundle: Bundle) -> OidcLogin | None:
    """How the selected kubeconfig user signs in through OIDC; None when it does not."""
    sel = selected(bundle)
    user = (sel.user or {}) if sel else {}
    name = (sel.user_name or "") if sel else ""
    provider = user.get("auth-provider")
    if isinstance(provider, dict) and provider.get("name") == "oidc":
        config = provider.get("config") if isinstance(provider.get("config"), dict) else {}
        return OidcLogin(name, "auth-provider", str(config.get("idp-issuer-url") or ""), str(config.get("client-id") or ""))
    exec_section = user.get("exec")
    if not isinstance(exec_section, dict):
        return None
    command = str(exec_section.get("command") or "")
    args = [str(a) for a in exec_section.get("args") or []] if isinstance(exec_section.get("args"), list) else []
    if not _is_kubelogin(command, args):
        return None
    return OidcLogin(name, "exec", _flag(args, ISSUER_FLAG), _flag(args, CLIENT_FLAG), command, tuple(args))


def provider_configs(bundle: Bundle) -> tuple[list[ProviderConfig], str | None]:
    """The cluster's OIDC provider configs, and why they are not known (None when they are):
    ListIdentityProviderConfigs not read or refused, or a listed config not described."""
    listed = bundle.aws("eks:ListIdentityProviderConfigs")
    if not listed:
        return [], "eks:ListIdentityProviderConfigs was not read"
    ok = next((c for c in listed if c.ok), None)
    if ok is None:
        return [], f"eks:ListIdentityProviderConfigs failed ({listed[-1].error_code})"
    names = [c.get("name") for c in (ok.response or {}).get("identityProviderConfigs") or []
             if isinstance(c, dict) and c.get("type", "oidc") == "oidc"]
    found: dict[str, ProviderConfig] = {}
    for call in bundle.aws("eks:DescribeIdentityProviderConfig"):
        oidc = ((call.response or {}).get("identityProviderConfig") or {}).get("oidc") if call.ok and isinstance(call.response, dict) else None
        if isinstance(oidc, dict):
            name = str(oidc.get("identityProviderConfigName") or "")
            found[name] = ProviderConfig(name, str(oidc.get("issuerUrl") or ""), str(oidc.get("clientId") or ""),
                                         str(oidc.get("status") or ""), str(oidc.get("usernamePrefix") or ""),
                                         str(oidc.get("groupsPrefix") or ""), call.pointer)
    missing = [n for n in names if n not in found]
    if missing:
        return list(found.values()), f"eks:DescribeIdentityProviderConfig was not read for {', '.join(map(str, missing))}"
    return list(found.values()), None


def same_issuer(a: str, b: str) -> bool:
    """The token's `iss` comes from the issuer's discovery document, not from the kubeconfig, so only a
    real difference counts: a trailing slash alone is not reported."""
    return a.rstrip("/") == b.rstrip("/")


def mismatch(login: OidcLogin, configs: list[ProviderConfig]) -> tuple[str, ProviderConfig | None] | None:
    """Why the cluster rejects this login's tokens: ("none", None) when no provider is associated,
    ("issuer" | "client_id" | "status", config) otherwise; None when a config accepts them."""
    if not configs:
        return "none", None
    for c in configs:
        if login.issuer and not same_issuer(login.issuer, c.issuer):
            return "issuer", c
        if login.client_id and c.client_id and login.client_id != c.client_id:
            return "client_id", c
        if c.status and c.status != "ACTIVE":
            return "status", c
    return None

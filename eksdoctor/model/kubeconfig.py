"""The kubeconfig context, cluster and user that kubectl uses, read from a bundle's
`local.kubeconfig` (merged view). Pure and tolerant: any odd shape reads as "absent"."""
from __future__ import annotations

from ..bundle import Bundle


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _named(entries, name, inner: str) -> dict | None:
    for entry in _dicts(entries):
        if entry.get("name") == name:
            value = entry.get(inner)
            return value if isinstance(value, dict) else {}
    return None


def selected(bundle: Bundle) -> tuple[dict | None, dict | None, dict | None]:
    """(context, cluster, user) for the context diagnosed, each None when it cannot be found."""
    kc = bundle.local_dict("kubeconfig")
    merged = kc.get("merged") if isinstance(kc.get("merged"), dict) else {}
    name = kc.get("context") or kc.get("current_context") or merged.get("current-context")
    context = _named(merged.get("contexts"), name, "context")
    if context is None:
        return None, None, None
    return context, _named(merged.get("clusters"), context.get("cluster"), "cluster"), _named(merged.get("users"), context.get("user"), "user")


def selected_user(bundle: Bundle) -> dict:
    return selected(bundle)[2] or {}

"""Built-in checks, one module per check, installed as `eksdoctor.checks`.

Each module defines CHECK (an eksdoctor.check.Check). They are registered through the
`eksdoctor.checks` entry-point group, the same way third-party checks are.
"""
from __future__ import annotations

import importlib
import pkgutil


def builtin_checks() -> list:
    """Every CHECK in this package. A module that cannot be imported becomes a check that errors with
    the reason, so one broken module never silences the others."""
    from eksdoctor.check import Check

    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            found.append(importlib.import_module(f"{__name__}.{info.name}").CHECK)
        except Exception as exc:  # ImportError, a bad CHECK definition, …
            found.append(Check(id=info.name, title=f"Check module {info.name} could not be loaded", severity="medium",
                               stage="evidence", run=_broken(f"{type(exc).__name__}: {exc}")))
    return found


def _broken(reason: str):
    def run(bundle):
        raise RuntimeError(reason)
    return run

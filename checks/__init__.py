"""Built-in checks, one module per check, installed as `eksdoctor.checks`.

Each module defines CHECK (an eksdoctor.check.Check). They are registered through the
`eksdoctor.checks` entry-point group, the same way third-party checks are.
"""
from __future__ import annotations

import importlib
import pkgutil


def builtin_checks() -> list:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(module.CHECK)
    return found

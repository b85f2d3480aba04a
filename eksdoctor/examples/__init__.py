"""Example bundles shipped with eksdoctor, for `eksdoctor analyze --example NAME`."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

_HERE = Path(__file__).parent


def example_names() -> list[tuple[str, str]]:
    out = []
    for path in sorted(_HERE.glob("*.json")):
        try:
            summary = json.loads(path.read_text(encoding="utf-8")).get("symptom", {}).get("description", "")
        except (OSError, ValueError):
            summary = ""
        out.append((path.stem, summary))
    return out


def example_path(name: str) -> Path:
    path = _HERE / f"{name}.json"
    if "/" in name or not path.is_file():
        known = ", ".join(n for n, _ in example_names())
        raise UserError(f"no example named {name!r} (examples: {known})")
    return path

"""JSON output, schema_version 1 (eksdoctor/schema/diagnosis-v1.json). Deterministic: sorted keys,
no wall-clock time, so the same bundle always gives byte-identical output."""
from __future__ import annotations

import json

from .. import __version__

SCHEMA_VERSION = 1


def diagnosis_document(diagnosis) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "eksdoctor_version": __version__,
        "target": diagnosis.target,
        "findings": [f.to_dict() for f in diagnosis.findings],
        "summary": diagnosis.summary(),
    }


def render_json(diagnosis) -> str:
    return json.dumps(diagnosis_document(diagnosis), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

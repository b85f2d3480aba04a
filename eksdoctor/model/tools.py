"""Versions of the client tools (`aws --version`, `kubectl version --client`) and what they can do.

Pure: parses the strings recorded in `local.tools` / `local.exec.tool_version`. Thresholds come from
the AWS CLI's history (failure-modes.md §1A): `eks get-token` since 1.16.156; answering the apiVersion
kubectl asks for and writing v1beta1 kubeconfigs since about May 2022 (v1 1.24, v2 2.7); the
access-entry commands since 2.12.3 / 1.27.160; kubectl dropped v1alpha1 in 1.24.
"""
from __future__ import annotations

import re

GET_TOKEN_SINCE = {1: (1, 16, 156), 2: (2, 0, 0)}
V1BETA1_SINCE = {1: (1, 24, 0), 2: (2, 7, 0)}
ACCESS_ENTRIES_SINCE = {1: (1, 27, 160), 2: (2, 12, 3)}
KUBECTL_NO_V1ALPHA1 = (1, 24)

_AWS = re.compile(r"aws-cli/(\d+)\.(\d+)\.(\d+)")
_KUBECTL = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def aws_cli_version(text: str | None) -> tuple[int, int, int] | None:
    match = _AWS.search(text or "")
    return tuple(int(x) for x in match.groups()) if match else None  # type: ignore[return-value]


def kubectl_version(text: str | None) -> tuple[int, int] | None:
    match = _KUBECTL.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def older_than(version: tuple[int, int, int], table: dict[int, tuple[int, int, int]]) -> bool:
    floor = table.get(version[0])
    return floor is not None and version < floor


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in version)

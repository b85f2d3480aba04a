"""Collectors: the only code that talks to AWS, Kubernetes, the filesystem or subprocesses."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    cluster: str | None = None
    region: str | None = None
    profile: str | None = None
    context: str | None = None
    kubeconfig: str | None = None
    timeout: float = 60.0
    debug: bool = False
    admin_profile: str | None = None
    all_entries: bool = False
    questions: tuple = ()  # SelfSubjectAccessReview specs (model/question.py)
    since: float = 3600.0  # seconds of authenticator logs to read (--since)


def collect(options: Options, only: tuple[str, ...] | None = None) -> dict:
    from .run import collect_bundle
    return collect_bundle(options, only)

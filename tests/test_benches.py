"""CI smoke runs of bench/: each benchmark completes at a tiny size and prints its figures last, in one
`name key=value ...` line a script can read. Never a timing assertion: timing goals are checked by
running the benchmarks by hand (README, "Benchmarks")."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def figures(bench: str, *args: str) -> dict[str, str]:
    """Run bench/<bench>.py; its last stdout line as {key: value}, after checking the line's shape."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{bench}.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    name, *pairs = last.split(" ")
    assert name == bench and pairs and all(re.fullmatch(r"\w+=\S+", p) for p in pairs), last
    return dict(p.split("=", 1) for p in pairs)


def numbers(found: dict[str, str], *keys: str) -> None:
    missing = [k for k in keys if k not in found or not NUMBER.fullmatch(found[k])]
    assert not missing, f"figures without a number: {missing} in {found}"


def test_scale_smoke():
    found = figures("scale", "--rows", "40", "--entries", "20", "--events", "200", "--repeat", "1")
    numbers(found, "rows", "entries", "events", "analyze_s", "analyze_cpu_s", "analyze_peak_mb", "lint_s", "lint_cpu_s", "lint_peak_mb")
    assert (found["rows"], found["entries"], found["events"]) == ("40", "20", "200")


def test_logs_scale_smoke():
    found = figures("logs_scale", "--events", "300", "--repeat", "1")
    numbers(found, "events", "seconds", "cpu_seconds", "peak_mb")
    assert found["correct"] == "yes"


def test_startup_smoke():
    numbers(figures("startup", "--runs", "1"), "runs", "eksdoctor_ms", "aws_ms", "ratio")


@pytest.mark.lab
def test_latency_smoke():
    found = figures("latency", "--delay", "0.005", "--repeat", "1")
    numbers(found, "delay_ms", "calls", "depth", "wall_s", "ratio", "sequential_wall_s", "sequential_ratio",
            "base_wall_s", "added_ratio")
    assert int(found["calls"]) > 10 and int(found["depth"]) >= 2  # the servers saw diagnose's requests


@pytest.mark.lab
def test_lab_start_smoke():
    numbers(figures("lab_start", "--runs", "2"), "runs", "cold_s", "warm_median_s", "warm_max_s")

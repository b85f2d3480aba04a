"""Start-up benchmark: `eksdoctor --help` against `aws --version`, both from this venv.

Median of repeated runs; the goal is eksdoctor <= 0.5x the AWS CLI. The last line is for scripts:
`startup runs=N eksdoctor_ms=… aws_ms=… ratio=…`. Run: python bench/startup.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def median_ms(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    ours = median_ms([str(BIN / "eksdoctor"), "--help"], runs)
    aws = median_ms([str(BIN / "aws"), "--version"], runs)
    for name, ms in (("eksdoctor --help", ours), ("aws --version", aws)):
        print(f"{name:<18} median {ms:7.1f} ms over {runs} runs")
    print(f"startup runs={runs} eksdoctor_ms={ours:.1f} aws_ms={aws:.1f} ratio={ours / aws:.2f}")


if __name__ == "__main__":
    main()

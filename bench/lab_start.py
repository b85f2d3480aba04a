"""Lab start-up benchmark: how long one world takes to start (servers, moto set-up, the real
`aws eks update-kubeconfig` runs), cold (first world in the process, imports included) and warm.

The goal is under 5 s. kubectl is fetched before timing. The last line is for scripts:
`lab_start runs=N cold_s=… warm_median_s=… warm_max_s=…`. Run: python bench/lab_start.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    from lab.kubectl import kubectl_path
    kubectl_path()
    start = time.perf_counter()
    from lab.scenario import SCENARIOS
    from lab.world import World
    names = list(SCENARIOS)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            name = names[i % len(names)]
            world = World(SCENARIOS[name], Path(tmp) / str(i))
            world.start()
            world.stop()
            took = time.perf_counter() - start if i == 0 else world.started_in
            phases = " ".join(f"{k}={v:.2f}" for k, v in world.timings.items())
            print(f"{'cold' if i == 0 else 'warm'} {name:<24} {took:5.2f} s  ({phases})")
            times.append(took)
            start = time.perf_counter()
    warm = times[1:]
    print(f"lab_start runs={runs} cold_s={times[0]:.2f} warm_median_s={statistics.median(warm):.2f} "
          f"warm_max_s={max(warm):.2f}")


if __name__ == "__main__":
    main()

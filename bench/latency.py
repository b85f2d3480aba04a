"""Latency benchmark: `eksdoctor diagnose` in a lab world where every AWS and Kubernetes request a
client sends waits D seconds before it is answered (tests/lab/latency.py), so wall time shows how
well collection overlaps its remote calls.

It runs diagnose twice: one collector at a time (EKSDOCTOR_WORKERS=1), then concurrently (the default).
From the sequential run, each request the servers saw is attributed to the collector that was running
(collection.timings), each collector weighs the longest chain of its requests that could not overlap,
and the critical-path depth is the heaviest path through the plan's `after=` graph. The goal is
wall / (depth x D) <= 1.3 for the concurrent run. Run by hand or as a CI smoke run:

    .venv/bin/python bench/latency.py [--delay 0.1] [--scenario healthy] [--repeat 3]

The last line is for scripts: `latency delay_ms=100 calls=… depth=… wall_s=… ratio=… sequential_wall_s=…
sequential_ratio=…` (wall_s: best of --repeat concurrent runs).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
CLIENTS = ("eksdoctor", "aws-cli", "python")  # eksdoctor's boto3 and Kubernetes calls, the exec plugin, the token replay


def run_diagnose(world, bundle: Path, workers: int | None) -> tuple[float, float, int]:
    """(wall seconds, monotonic time just before the process started, exit code)."""
    env = world._env(False, {"NO_COLOR": "1", "COLUMNS": "200",
                             **({"EKSDOCTOR_WORKERS": str(workers)} if workers else {})})
    argv = [str(Path(sys.executable).parent / "eksdoctor"), "diagnose", "--save-bundle", str(bundle), "-o", "json"]
    world.latency.requests.clear()
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=world.tmp, timeout=300)
    return time.monotonic() - started, started, proc.returncode


def ours(requests) -> list:
    return [r for r in requests if r.agent in CLIENTS]


def attribute(requests, timings: dict, origin_low: float) -> dict[str, list]:
    """Requests per collector in a one-at-a-time run. The process's clock origin is not known exactly
    (it lies between the Popen and the first request): pick the origin that places the most requests
    wholly inside one collector's [start, end]."""
    spans = sorted((t["start"], t.get("end", t["start"]), name) for name, t in timings.items())
    first = min((r.start for r in requests), default=origin_low)
    best: tuple[int, dict] = (-1, {})
    step = 0.001
    origin = origin_low
    while origin <= first + step:
        placed: dict[str, list] = {}
        fitted = 0
        for r in requests:
            for start, end, name in spans:
                if origin + start - 0.002 <= r.start and r.end <= origin + end + 0.002:
                    placed.setdefault(name, []).append(r)
                    fitted += 1
                    break
        if fitted > best[0]:
            best = (fitted, placed)
            if fitted == len(requests):
                break
        origin += step
    if best[0] < len(requests):
        print(f"warning: {len(requests) - best[0]} request(s) fit no collector's span", file=sys.stderr)
    return best[1]


def rounds(requests) -> int:
    """The longest chain of requests each starting after the previous one ended (could not overlap)."""
    chain, last_end = 0, float("-inf")
    for r in sorted(requests, key=lambda r: r.end):
        if r.start >= last_end - 0.001:
            chain, last_end = chain + 1, r.end
    return chain


def critical_path(weights: dict[str, int]) -> tuple[int, list[str]]:
    """The heaviest path through the plan's dependency graph, each collector weighing its rounds."""
    from eksdoctor.collect.run import plan
    collectors = {c.name: c for c in plan(None)}
    best: dict[str, tuple[int, list[str]]] = {}

    def longest(name: str) -> tuple[int, list[str]]:
        if name not in best:
            before = max((longest(a) for a in collectors[name].after), default=(0, []), key=lambda x: x[0])
            best[name] = (before[0] + weights.get(name, 0), before[1] + [name])
        return best[name]
    return max((longest(n) for n in collectors), key=lambda x: x[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.1, help="seconds added to every request (D)")
    parser.add_argument("--scenario", default="healthy")
    parser.add_argument("--repeat", type=int, default=3, help="concurrent runs; the best counts")
    args = parser.parse_args()
    from lab.kubectl import kubectl_path
    from lab.latency import Latency
    from lab.scenario import SCENARIOS
    from lab.world import World
    kubectl_path()
    D = args.delay
    with tempfile.TemporaryDirectory() as tmp:
        world = World(SCENARIOS[args.scenario], Path(tmp) / "world", latency=Latency(D)).start()
        try:
            bundle = Path(tmp) / "bundle.json"
            run_diagnose(world, bundle, None)  # warm the file cache and .pyc files
            seq_wall, seq_origin, code = run_diagnose(world, bundle, workers=1)
            seq_requests = ours(world.latency.requests)
            timings = json.loads(bundle.read_text())["collection"]["timings"]
            per_collector = attribute(seq_requests, timings, seq_origin)
            weights = {name: rounds(reqs) for name, reqs in per_collector.items()}
            depth, path = critical_path(weights)
            walls, calls = [], []
            for _ in range(max(1, args.repeat)):
                wall, _, code = run_diagnose(world, bundle, workers=None)
                walls.append(wall)
                calls.append(ours(world.latency.requests))
            data = json.loads(bundle.read_text())
        finally:
            world.stop()
    wall = min(walls)
    requests = calls[walls.index(wall)]
    collection = max((t.get("end", 0.0) for t in data["collection"]["timings"].values()), default=0.0)
    print(f"scenario {args.scenario}, D = {D * 1000:.0f} ms, exit code {code}")
    print("requests per collector (sequential run), rounds = calls that could not overlap:")
    for name, reqs in sorted(per_collector.items(), key=lambda kv: -len(kv[1])):
        print(f"  {name:<26} {len(reqs):3d} call(s) {weights[name]:2d} round(s)  " +
              ", ".join(f"{label}×{n}" if n > 1 else label for label, n in Counter(r.label for r in reqs).items()))
    print("critical path: " + " → ".join(f"{n}({weights.get(n, 0)})" for n in path))
    repeated = {label: n for label, n in Counter((r.agent, r.label) for r in requests).items() if n > 1}
    if repeated:
        print("same request sent more than once: " + ", ".join(f"{a} {lbl}×{n}" for (a, lbl), n in repeated.items()))
    print(f"sequential: wall {seq_wall:.2f} s, ratio {seq_wall / (depth * D):.2f}")
    print(f"concurrent: wall {wall:.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}), collection {collection:.2f} s, "
          f"ratio {wall / (depth * D):.2f}")
    print(f"latency delay_ms={D * 1000:.0f} calls={len(requests)} depth={depth} wall_s={wall:.2f} "
          f"ratio={wall / (depth * D):.2f} sequential_wall_s={seq_wall:.2f} sequential_ratio={seq_wall / (depth * D):.2f}")


if __name__ == "__main__":
    main()

"""Latency benchmark: `eksdoctor diagnose` in a lab world where every AWS and Kubernetes request a
client sends waits D seconds before it is answered (tests/lab/latency.py), so wall time shows how
well collection overlaps its remote calls.

It runs diagnose one collector at a time (EKSDOCTOR_WORKERS=1), then concurrently (the default), then
concurrently without delay. From the sequential run, each request the servers saw is attributed to the
collector its User-Agent names (or, for the exec plugin's, to the one running then), each collector
weighs the longest chain of its requests that could not overlap, and the critical-path depth is the
heaviest path through the plan's `after=` graph. The goal is
wall / (depth x D) <= 1.3 for the concurrent run; since wall includes what no concurrency removes
(start-up, the exec plugin's own process, analysis), added_ratio shows the network part alone. Run by hand or as a CI smoke run:

    .venv/bin/python bench/latency.py [--delay 0.1] [--scenario healthy] [--repeat 3]

The last line is for scripts: `latency delay_ms=100 calls=… depth=… wall_s=… ratio=… sequential_wall_s=…
sequential_ratio=… base_wall_s=… added_ratio=…` (wall_s: best of --repeat concurrent runs; base_wall_s: the
same runs without delay, i.e. start-up, the exec plugin and analysis; added_ratio: (wall - base) / (depth x D),
how close the delay the network adds comes to the critical path alone).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
CLIENTS = ("eksdoctor", "aws-cli", "python")  # eksdoctor's boto3 and Kubernetes calls, the exec plugin, the token replay


def run_diagnose(world, bundle: Path, workers: int | None) -> tuple[float, int]:
    """(wall seconds, exit code) of one `eksdoctor diagnose`; world.latency.requests holds its requests."""
    env = world._env(False, {"NO_COLOR": "1", "COLUMNS": "200",
                             **({"EKSDOCTOR_WORKERS": str(workers)} if workers else {})})
    argv = [str(Path(sys.executable).parent / "eksdoctor"), "diagnose", "--save-bundle", str(bundle), "-o", "json"]
    world.latency.requests.clear()
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=world.tmp, timeout=300)
    return time.monotonic() - started, proc.returncode


def ours(requests) -> list:
    return [r for r in requests if r.agent in CLIENTS]


def attribute(requests, timings: dict) -> dict[str, list]:
    """Requests per collector in a one-at-a-time run: by the collector their User-Agent names; the
    others (the exec plugin's, botocore's assume-role provider's) by time, in the collector that was
    running, once the named ones have fixed the process's clock origin (each lies inside its
    collector's [start, end])."""
    spans = {name: (t["start"], t.get("end", t["start"])) for name, t in timings.items()}
    named = [r for r in requests if r.collector in spans]
    low = max((r.end - spans[r.collector][1] for r in named), default=0.0)
    high = min((r.start - spans[r.collector][0] for r in named), default=low)
    if low > high + 0.005:
        print(f"warning: the named requests disagree on the clock origin by {low - high:.3f} s", file=sys.stderr)
    origin = (low + high) / 2
    placed: dict[str, list] = {}
    for r in requests:
        mid = (r.start + r.end) / 2
        name = r.collector if r.collector in spans else next(
            (n for n, (start, end) in spans.items() if origin + start <= mid <= origin + end), "(none)")
        placed.setdefault(name, []).append(r)
    return placed


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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind; the best counts")
    args = parser.parse_args()
    from lab.kubectl import kubectl_path
    from lab.latency import Latency
    from lab.scenario import SCENARIOS
    from lab.world import World
    kubectl_path()
    D, repeat = args.delay, max(1, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        world = World(SCENARIOS[args.scenario], Path(tmp) / "world", latency=Latency(D)).start()
        try:
            bundle = Path(tmp) / "bundle.json"
            run_diagnose(world, bundle, None)  # warm the file cache and .pyc files
            seq_wall, code = run_diagnose(world, bundle, workers=1)
            per_collector = attribute(ours(world.latency.requests), json.loads(bundle.read_text())["collection"]["timings"])
            weights = {name: rounds(reqs) for name, reqs in per_collector.items()}
            depth, path = critical_path(weights)
            runs = []
            for _ in range(repeat):
                wall, code = run_diagnose(world, bundle, workers=None)
                runs.append((wall, ours(world.latency.requests), json.loads(bundle.read_text())))
            world.latency.delay = 0.0  # the same run without network delay: what eksdoctor itself costs
            base = min(run_diagnose(world, bundle, workers=None)[0] for _ in range(repeat))
        finally:
            world.stop()
    wall, requests, data = min(runs, key=lambda r: r[0])
    floor = max(depth, 1) * D
    collection = max((t.get("end", 0.0) for t in data["collection"]["timings"].values()), default=0.0)
    print(f"scenario {args.scenario}, D = {D * 1000:.0f} ms, exit code {code}")
    print("requests per collector (sequential run), rounds = calls that could not overlap:")
    for name, reqs in sorted(per_collector.items(), key=lambda kv: -len(kv[1])):
        print(f"  {name:<26} {len(reqs):3d} call(s) {weights[name]:2d} round(s)  " +
              ", ".join(f"{label}×{n}" if n > 1 else label for label, n in Counter(r.label for r in reqs).items()))
    print("critical path: " + " → ".join(f"{n}({weights.get(n, 0)})" for n in path))
    print(f"sequential: wall {seq_wall:.2f} s, ratio {seq_wall / floor:.2f}")
    print(f"concurrent: wall {wall:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in runs)}), collection {collection:.2f} s, "
          f"ratio {wall / floor:.2f}")
    print(f"without delay: wall {base:.2f} s; the delay added {wall - base:.2f} s = {(wall - base) / floor:.2f} x depth x D")
    print(f"latency delay_ms={D * 1000:.0f} calls={len(requests)} depth={depth} wall_s={wall:.2f} "
          f"ratio={wall / floor:.2f} sequential_wall_s={seq_wall:.2f} sequential_ratio={seq_wall / floor:.2f} "
          f"base_wall_s={base:.2f} added_ratio={(wall - base) / floor:.2f}")


if __name__ == "__main__":
    main()

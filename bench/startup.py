"""Benchmark of the start of the ``qms`` command with the four shipped plugins: p50/p95/p99 wall time.

Run: ``.venv/bin/python bench/startup.py [--runs 40] [--before DIR]``. Prints figures; it is not a test.

Each round runs, one after the other, ``python -c pass``, then ``qms --help``, ``qms --version`` and
``qms due --help`` through the shipped ``.venv/bin/qms`` for this tree and, with ``--before DIR`` (a
``git worktree`` of an older commit), for that tree too: its ``qms`` package and plugins are put first
on ``PYTHONPATH``, so the same installed script imports the older code. Interleaving the trees round by
round gives both the same machine load. Compiled bytecode is written and used (``PYTHONDONTWRITEBYTECODE``
is dropped and every command runs once before timing), as in an installed copy.

Targets: ``qms --help`` under 150 ms, and at most 8× ``python -c pass`` measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
QMS = ROOT / ".venv" / "bin" / "qms"
COMMANDS: dict[str, list[str]] = {
    "qms --help": ["--help"],
    "qms --version": ["--version"],
    "qms due --help": ["due", "--help"],
}


def environment(tree: Path | None, cache: Path) -> dict[str, str]:
    """The environment of one run: no QMS_* settings, bytecode on, the older tree first when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["QMS_CACHE_DIR"] = str(cache)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "plugins")])
    return env


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of one run, output discarded; a failing run stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="timed runs of each command (at least 20)")
    parser.add_argument("--before", type=Path, help="a worktree of an older commit to measure beside this one")
    args = parser.parse_args()
    runs = max(20, args.runs)
    trees: dict[str, Path | None] = {"after": None}
    if args.before is not None:
        trees = {"before": args.before.resolve(), "after": None}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # not a workspace: start-up and help open none
        envs = {label: environment(tree, cwd / f"cache-{label}") for label, tree in trees.items()}
        plain = environment(None, cwd / "cache-plain")
        jobs: list[tuple[str, list[str], dict[str, str]]] = [("python -c pass", [str(PYTHON), "-c", "pass"], plain)]
        for name, extra in COMMANDS.items():
            for label in trees:
                jobs.append((f"{name} [{label}]", [str(QMS), *extra], envs[label]))
        for _, argv, env in jobs:  # warm-up: bytecode written, plugin discovery cached, files in the page cache
            timed(argv, env, cwd)
            timed(argv, env, cwd)
        samples: dict[str, list[float]] = {label: [] for label, _, _ in jobs}
        load_start = os.getloadavg()[0]
        for _ in range(runs):
            for label, argv, env in jobs:
                samples[label].append(timed(argv, env, cwd))
        load_end = os.getloadavg()[0]
    base = percentile(samples["python -c pass"], 50)
    print(f"{runs} runs each, interleaved; load average {load_start:.2f} at the start, {load_end:.2f} at the end")
    print(f"{'command':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 / pass':>11}")
    for label, values in samples.items():
        p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
        print(f"{label:<28} {p50:8.1f} {p95:8.1f} {p99:8.1f} {p50 / (base * 1000):10.1f}×")
    after = percentile(samples["qms --help [after]"], 50)
    print(f"target qms --help < 150 ms: {'met' if after < 0.150 else 'NOT met'} ({after * 1000:.1f} ms); "
          f"≤ 8× python -c pass: {'met' if after <= 8 * base else 'NOT met'} ({after / base:.1f}×)")


if __name__ == "__main__":
    sys.exit(main())

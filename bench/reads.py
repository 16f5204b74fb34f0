"""Benchmark of reads at scale through the shipped ``qms``: ``due`` and ``record list --state`` at 10k and 100k.

Run: ``.venv/bin/python bench/reads.py [--sizes 10000,100000] [--runs 15] [--before REV]``. Prints figures.

Each size gets its own workspace made by ``qms init`` (the reference forms of the four shipped
plugins, all loaded through their entry points) plus one form no plugin owns (QR-9.9-01). It is
bulk-loaded through ``Store.put_many`` with:

* 300 open complaints (QR-8.2-01, state ``registered``, received 2026-11-02 08:00): each has the
  workflow's "assign within 30 min" deadline open and the plugin's escalation item, so ``due`` has
  the same work at every size;
* closed complaints, a tenth of the size (the complaints plugin's hook reads every complaint);
* the rest of the size as records of QR-9.9-01, half ``open`` half ``done``: records no hook owns.

Every figure is wall time of the shipped ``.venv/bin/qms`` in a new process (``subprocess``), p50 /
p95 / p99 over ``--runs`` runs with the OS cache warm, plus the first ``qms due`` after the bulk
load (the derived caches under ``records/cache/`` do not exist yet). ``--before REV`` runs the
same commands with another revision's code (a ``git worktree`` put first on ``PYTHONPATH``),
interleaved run by run with this tree so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QMS = ROOT / ".venv" / "bin" / "qms"
NOW = "2026-11-02T09:00:00"
OPEN_COMPLAINTS = 300
UNOWNED = "QR-9.9-01"


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def complaint(number: str, i: int, closed: bool) -> dict[str, Any]:
    """A complaint envelope as filing and moves would leave it: open (registered) or closed."""
    at = "2026-11-02T08:00:00" if not closed else f"2026-10-{1 + i % 28:02d}T08:00:00"
    data = {"received_at": at, "customer": f"客户 {i}", "channel": "电话", "content": "产品破损",
            "demand": "换货", "nature": "产品质量", "category": "产品质量", "sub_category": "破损",
            "contact_phone": "13800000000"}
    history = [{"at": at, "actor": "li", "action": "file", "from": None, "to": "received", "note": ""},
               {"at": at, "actor": "li", "action": "move", "from": "received", "to": "registered", "note": ""}]
    if closed:
        data["closed_at"] = at[:10]
        history.append({"at": at, "actor": "li", "action": "move", "from": "registered", "to": "closed", "note": ""})
    return {"number": number, "form": "QR-8.2-01", "form_edition": "A/0", "procedure": "QP-8.2-01",
            "procedure_edition": "A/0", "state": "closed" if closed else "registered", "data": data,
            "created_at": at, "created_by": "li", "dept": "业务部", "history": history, "signatures": [],
            "attachments": [], "amends": None, "amended_by": [], "closed": closed}


def unowned(number: str, i: int) -> dict[str, Any]:
    """A record of the form no plugin owns."""
    state = "open" if i % 2 else "done"
    at = f"2026-10-{1 + i % 28:02d}T10:00:00"
    return {"number": number, "form": UNOWNED, "form_edition": "A/0", "procedure": "QP-9.9-01",
            "procedure_edition": "", "state": state, "data": {"note": f"记录 {i}", "amount": i % 97},
            "created_at": at, "created_by": "li", "dept": "品质部",
            "history": [{"at": at, "actor": "li", "action": "file", "from": None, "to": state, "note": ""}],
            "signatures": [], "attachments": [], "amends": None, "amended_by": [], "closed": state == "done"}


def build(root: Path, size: int, tree: Path | None = None) -> None:
    """A workspace by ``qms init`` with ``size`` records bulk-loaded (see the module docstring).

    With ``tree``, in a child process with that tree's code first on the path: its ``qms init`` and
    its ``Store.put_many``, so the first command after the bulk load finds what that code leaves.
    """
    if tree is not None:
        code = (f"import sys; sys.path[:0] = [{str(tree)!r}, {str(Path(__file__).parent)!r}]; import qms, reads; "
                f"from pathlib import Path; reads.build(Path({str(root)!r}), {size})")
        env = {k: v for k, v in _env(tree).items() if k != "QMS_NOW"}  # filed at the real time, as in process
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"building with {tree} failed: {done.stderr[-600:]}")
        return
    subprocess.run([str(QMS), "init", str(root)], check=True, capture_output=True)
    form = (root / "forms" / "QR-8.2-02.yaml").read_text(encoding="utf-8")
    (root / "forms" / f"{UNOWNED}.yaml").write_text(
        form.replace("number: QR-8.2-02", f"number: {UNOWNED}").replace("prefix: HF", "prefix: ZZ"), encoding="utf-8")
    if str(ROOT) not in sys.path and "qms" not in sys.modules:
        sys.path.insert(0, str(ROOT))
    from qms.store import Store

    store = Store(root / "records")
    closed = size // 10
    complaints = {f"KS-2026-{s:05d}": complaint(f"KS-2026-{s:05d}", s, s > OPEN_COMPLAINTS)
                  for s in range(1, OPEN_COMPLAINTS + closed + 1)}
    store.put_many("records", complaints, actor="bench", action="record.import")
    rest = size - len(complaints)
    for start in range(1, rest + 1, 20_000):
        batch = {f"ZZ-2026-{s:06d}": unowned(f"ZZ-2026-{s:06d}", s) for s in range(start, min(rest, start + 19_999) + 1)}
        store.put_many("records", batch, actor="bench", action="record.import")


def _env(tree: Path | None) -> dict[str, str]:
    """The environment of a timed command: bytecode used as installed, the fixed day, ``tree``'s code first."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["QMS_NOW"] = NOW
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "plugins")])
    return env


#: CPU seconds of each timed command: (tree, argv, workspace) → one value per run.
CPU: dict[tuple[str, str, str], list[float]] = {}


def run(args: list[str], root: Path, tree: Path | None) -> tuple[float, str]:
    """Wall seconds of one shipped ``qms`` command in a new process, and its output."""
    import resource

    env = _env(tree)
    t, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(QMS), "--workspace", str(root), *args], env=env, cwd=root, capture_output=True, text=True)
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds too: on a machine busy with other work the wall time says more about the others.
    CPU.setdefault((str(tree), " ".join(args), str(root)), []).append(
        after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"qms {' '.join(args)} failed: {(done.stderr or done.stdout)[-600:]}")
    return took, done.stdout


def describe(due_json: str) -> str:
    """What the due items are: how many of each kind and deadline."""
    import json
    from collections import Counter

    items = json.loads(due_json)["items"]
    kinds = Counter(f"{i['kind']}:{i.get('deadline') or i.get('title', '')[:12]}" for i in items)
    return f"{len(items)} items ({', '.join(f'{k} ×{n}' for k, n in sorted(kinds.items()))})"


COMMANDS = {
    "qms due": ["due"],
    "qms record list QR-8.2-01 --state registered": ["record", "list", "QR-8.2-01", "--state", "registered"],
    f"qms record list {UNOWNED} --state open": ["record", "list", UNOWNED, "--state", "open"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", metavar="REV", help="also time this revision's code, interleaved")
    parser.add_argument("--before-tree", metavar="DIR", type=Path,
                        help="also time the code in DIR (a copy of a tree, e.g. with uncommitted plugins), interleaved")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Path(tempfile.mkdtemp(prefix="qms-reads-"))
    trees: dict[str, Path | None] = {"this tree": None}
    try:
        if args.before:
            before = base / "before"
            subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True,
                           capture_output=True)
            trees[f"before ({args.before})"] = before
        if args.before_tree:
            trees[f"before ({args.before_tree})"] = args.before_tree.resolve()
        print(f"# reads benchmark, QMS_NOW={NOW}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        p50s: dict[tuple[str, int], float] = {}
        for size in sizes:
            roots: dict[str, Path] = {}
            for label, tree in trees.items():
                root = base / f"ws-{size}-{len(roots)}"
                t = time.perf_counter()
                build(root, size, tree)
                print(f"## {size:,} records, {label}: bulk-loaded in {time.perf_counter() - t:.1f} s")
                took, _ = run(["due"], root, tree)
                print(f"{label}: qms due, first command after the bulk load: {took:.2f} s (target < 2.0 s), "
                      f"{CPU[(str(tree), 'due', str(root))][0]:.2f} s CPU")
                roots[label] = root
            for label, tree in trees.items():
                _, out = run(["due", "--json"], roots[label], tree)
                print(f"{label}: due items at {size:,}: {describe(out)}")
            for name, argv in COMMANDS.items():
                times: dict[str, list[float]] = {label: [] for label in trees}
                for _ in range(args.runs):
                    for label, tree in trees.items():
                        times[label].append(run(argv, roots[label], tree)[0])
                for label, values in times.items():
                    p50s[(f"{label}: {name}", size)] = percentile(values, 50)
                    print(f"{label}: {name} at {size:,}, new process, warm: p50 {percentile(values, 50):.3f} s, "
                          f"p95 {percentile(values, 95):.3f} s, p99 {percentile(values, 99):.3f} s "
                          f"({args.runs} runs)")
                    used = CPU[(str(trees[label]), " ".join(argv), str(roots[label]))]
                    print(f"{label}: {name} at {size:,}, CPU seconds: p50 {percentile(used, 50):.3f}, "
                          f"p95 {percentile(used, 95):.3f}, p99 {percentile(used, 99):.3f}")
        if len(sizes) > 1:
            first, last = sizes[0], sizes[-1]
            for label in trees:
                name = f"{label}: qms due"
                print(f"{name} p50 at {last:,} ÷ at {first:,}: {p50s[(name, last)] / p50s[(name, first)]:.2f}× "
                      f"(target ≤ 3×)")
    finally:
        if args.before:
            subprocess.run(["git", "worktree", "remove", "--force", str(base / "before")], cwd=ROOT,
                           capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark of the records engine: filing at 1k/10k/100k records, bulk import, list and due at 100k.

Run: ``.venv/bin/python bench/records.py [--sizes 1000,10000,100000] [--keep DIR]``. Prints one line
per figure. The workspace grows by bulk-loading records through ``Store.put_many`` (each bucket
written once, one audit append per batch) so building 100k records takes seconds; the figures are
then taken with the ordinary services (``records.file`` with validation, ``recordimport.import_file``,
``records.list_records``, ``due.due_items``), on a fresh ``App`` (cold: every bucket parsed from
disk, as in a new ``qms`` process) and again warm.

``--verify-only`` times the shipped ``qms verify`` (incremental, after 100 new filings) and
``qms verify --full`` at the largest size, each in a new process with every installed plugin, beside
the code before the incremental verify (a ``git worktree``) run the same way in the same run.

``due`` reads open records through ``Store.project``, a per-bucket cache on disk that a new
process re-validates by each bucket's inode, size and mtime; the first run after a bulk load builds
it, later runs re-read only the buckets that changed.

The records are of one form with a workflow of four states and three deadlines (a 30-minute
hand-off, 7 working days for analysis, 24 h for approval); half are closed, a quarter registered,
a quarter analysed, so ``due`` computes about 75k deadlines at 100k records.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QMS_NOW", "2026-11-02T09:00:00")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from recordkit import FORM_NUMBER, PASSWORD, RecordsTestPlugin, as_user, good_data, make_workspace  # noqa: E402

from qms import clock, recordimport, records  # noqa: E402
from qms.app import App  # noqa: E402
from qms.due import due_items  # noqa: E402
from qms.verify import verify_store  # noqa: E402
from qms.workspace import Workspace  # noqa: E402

STATES = ("closed", "closed", "registered", "analysed")


def envelope(app: App, number: str, i: int) -> dict[str, Any]:
    """A stored record as filing would make it, in one of the benchmark's states."""
    state = STATES[i % len(STATES)]
    day = 1 + i % 28
    data = good_data(received_at=f"2026-10-{day:02d}T09:00:00", customer=f"客户 {i}", quantity=1 + i % 9,
                     urgent=i % 10 == 0)
    history = [{"at": f"2026-10-{day:02d}T09:05:00", "actor": "li", "action": "file", "from": None,
                "to": "registered", "note": ""}]
    if state != "registered":
        data["analysis"] = "来料不良"
        history.append({"at": f"2026-10-{day:02d}T15:00:00", "actor": "li", "action": "move", "from": "registered",
                        "to": "analysed", "note": ""})
    if state == "closed":
        data["closed_at"] = f"2026-10-{day:02d}"
        history.append({"at": f"2026-10-{day:02d}T17:00:00", "actor": "wang", "action": "move", "from": "analysed",
                        "to": "closed", "note": ""})
    return {"number": number, "form": FORM_NUMBER, "form_edition": "A/0", "procedure": "QP-9.9-01",
            "procedure_edition": "", "state": state, "data": data, "created_at": history[0]["at"],
            "created_by": "li", "dept": "品质部", "history": history, "signatures": [], "attachments": [],
            "amends": None, "amended_by": [], "closed": state == "closed"}


def grow(app: App, target: int, batch: int = 10_000) -> None:
    """Bulk-load records until the workspace holds ``target`` of the benchmark form."""
    store = app.store
    have = len(store.keys(records.COLLECTION))
    year = clock.now().year
    while have < target:
        n = min(batch, target - have)
        seqs = store.next_numbers(f"{FORM_NUMBER}:{year}", n, lambda _: False)
        objects = {f"TJ-{year}-{s:04d}": envelope(app, f"TJ-{year}-{s:04d}", s) for s in seqs}
        store.put_many(records.COLLECTION, objects, actor="bench", action="record.import")
        have += n


def time_filing(app: App, rounds: int = 30) -> float:
    """Median milliseconds to file one record (validation, number, store, audit)."""
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        records.file(app, FORM_NUMBER, good_data(customer=f"bench {i}"))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def fresh(app: App) -> App:
    """The same workspace as a new process would open it (no cached buckets)."""
    return App(Workspace.open(app.workspace.root), app.host, app.actor_name)


def _qms_seconds(root: Path, args: list[str], code: Path | None = None) -> tuple[float, str]:
    """Wall seconds of one shipped ``qms`` command in a new process (``code``: another tree's qms) and its last line."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else dict(os.environ)
    t = time.perf_counter()
    # Run from the workspace: ``-m`` puts the working directory first on sys.path, before PYTHONPATH.
    done = subprocess.run([sys.executable, "-m", "qms", "--workspace", str(root), *args], env=env, cwd=root,
                          capture_output=True, text=True)
    took = time.perf_counter() - t
    lines = (done.stdout or done.stderr).strip().splitlines()
    if done.returncode != 0:
        raise SystemExit(f"qms {' '.join(args)} failed: {lines[-1] if lines else done.returncode}")
    return took, lines[-1] if lines else ""


def _verify_before_rev(repo: Path) -> str:
    """The code before the incremental verify: the parent of the commit that added its checkpoint."""
    added = subprocess.run(["git", "log", "--format=%H", "--diff-filter=A", "--", "qms/verify_checkpoint.py"],
                           cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def bench_verify(base: Path, size: int, new: int, rounds: int, before: str | None) -> None:
    """``qms verify`` (incremental after ``new`` filings) and ``qms verify --full`` at ``size`` records,
    each a new ``qms`` process with every installed plugin loaded, beside the code before the
    incremental verify run the same way in the same run (a ``git worktree``)."""
    app = as_user(make_workspace(base / "verify", RecordsTestPlugin()), "li")
    root = app.workspace.root
    t = time.perf_counter()
    grow(app, size)
    print(f"# verify at {size:,} records (bulk-loaded in {time.perf_counter() - t:.1f} s)")
    repo = Path(__file__).resolve().parent.parent
    rev = before or _verify_before_rev(repo)
    label = subprocess.run(["git", "log", "-1", "--format=%h %cs", rev], cwd=repo, capture_output=True,
                           text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=repo, check=True,
                       capture_output=True)
        try:
            fulls, befores, incs = [], [], []
            for r in range(rounds):
                took, line = _qms_seconds(root, ["verify"], tree)
                befores.append(took)
                print(f"qms verify, code before ({label}), round {r + 1}: {took:.2f} s — {line}")
                took, line = _qms_seconds(root, ["verify", "--full"])
                fulls.append(took)
                print(f"qms verify --full, round {r + 1}: {took:.2f} s — {line}")
                for i in range(new):
                    records.file(app, FORM_NUMBER, good_data(customer=f"verify bench {r}-{i}"))
                took, line = _qms_seconds(root, ["verify"])
                incs.append(took)
                print(f"qms verify after {new} new records, round {r + 1}: {took:.2f} s — {line}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True)
    took, _ = _qms_seconds(root, ["plugins"])
    print(f"qms plugins (start-up alone, for scale): {took:.2f} s")
    from qms.host import Host, make_plugin_manager
    from qms.verify import verify_store

    for full in (True, False):
        if not full:
            for i in range(new):
                records.file(app, FORM_NUMBER, good_data(customer=f"verify bench in-process {i}"))
        t = time.perf_counter()
        # Opened as the CLI opens it: every installed plugin through its entry point.
        cli_app = App(Workspace.open(root), Host(make_plugin_manager()), None)
        report = verify_store(cli_app.store, root, full=full)
        what = "--full" if full else f"incremental after {new} new records"
        print(f"verify_store {what}, in process (App with every plugin, no interpreter start-up): "
              f"{time.perf_counter() - t:.2f} s, {report.mode}, {report.replayed:,} entries replayed, "
              f"{report.reread} files re-read, {'intact' if report.ok else 'PROBLEMS'}")
    print(f"qms verify before, median of {rounds}: {statistics.median(befores):.2f} s")
    print(f"qms verify --full, median of {rounds}: {statistics.median(fulls):.2f} s (target < 6 s)")
    print(f"qms verify incremental after {new} new records, median of {rounds}: {statistics.median(incs):.2f} s "
          f"(target < 1.0 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="Build the workspace here and keep it.")
    parser.add_argument("--verify-only", action="store_true",
                        help="Only the verify figures: incremental and --full at the largest size, beside the code before.")
    parser.add_argument("--verify-new", type=int, default=100, help="records filed before the incremental verify")
    parser.add_argument("--verify-rounds", type=int, default=3)
    parser.add_argument("--verify-before", metavar="REV", help="code to compare qms verify with (a git revision)")
    args = parser.parse_args()
    if args.verify_only:
        base = Path(tempfile.mkdtemp(prefix="qms-bench-"))
        try:
            bench_verify(base, max(int(s) for s in args.sizes.split(",")), args.verify_new, args.verify_rounds,
                         args.verify_before)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    base = args.keep or Path(tempfile.mkdtemp(prefix="qms-bench-"))
    if base.exists() and args.keep:
        shutil.rmtree(base)
    try:
        app = as_user(make_workspace(base / "ws", RecordsTestPlugin()), "li")
        print(f"# records benchmark, QMS_NOW={os.environ['QMS_NOW']}, python {sys.version.split()[0]}")
        filing: dict[int, float] = {}
        for size in sizes:
            t = time.perf_counter()
            grow(app, size)
            built = time.perf_counter() - t
            filing[size] = time_filing(fresh(app))
            print(f"filing one record at {size:>7,} records: {filing[size]:7.1f} ms median of 30 "
                  f"(bulk-loaded to this size in {built:.1f} s)")
        first, last = sizes[0], sizes[-1]
        print(f"filing ratio {last:,}/{first:,}: {filing[last] / filing[first]:.2f}x (target < 2x)")

        total = len(app.store.keys(records.COLLECTION))
        for label in ("new process, first run: builds the cache", "new process, cache present"):
            t = time.perf_counter()
            found = records.summaries(fresh(app), FORM_NUMBER, "analysed")
            print(f"record list --state analysed over {total:,} records ({label}): {time.perf_counter() - t:.2f} s, "
                  f"{len(found):,} found")
        t = time.perf_counter()
        found = records.list_records(fresh(app), FORM_NUMBER, "analysed")
        print(f"record list --state analysed --json over {total:,} records (full records, new process): "
              f"{time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        items = due_items(fresh(app)).items
        print(f"due over {total:,} records (new process, first run: parses every bucket, builds the cache): "
              f"{time.perf_counter() - t:.2f} s, {len(items):,} items")
        records.file(app, FORM_NUMBER, good_data(customer="one more"))  # one bucket changes
        for label, target in (("new process, cache present, one bucket changed", fresh(app)), ("warm", app)):
            t = time.perf_counter()
            items = due_items(target).items
            print(f"due over {total + 1:,} records ({label}): {time.perf_counter() - t:.2f} s, {len(items):,} items "
                  f"(target < 2 s)")

        imp = as_user(make_workspace(base / "imp", RecordsTestPlugin()), "li")
        csv_path = base / "rows.csv"
        with csv_path.open("w", encoding="utf-8") as f:
            f.write("received_at,customer,quantity,severity,inspector,urgent\n")
            for i in range(args.import_rows):
                f.write(f'2026-10-{1 + i % 28:02d}T08:00,客户 {i},{1 + i % 9},一般,"{{""name"": ""检验员 {i % 7}""}}",否\n')
        t = time.perf_counter()
        numbers = recordimport.import_file(imp, FORM_NUMBER, csv_path)
        print(f"import of {len(numbers):,} CSV rows (validated, all-or-nothing): {time.perf_counter() - t:.1f} s "
              f"(target < 30 s)")
        t = time.perf_counter()
        report = verify_store(imp.store, imp.workspace.root)
        print(f"verify after import ({report.entries:,} audit entries): {'intact' if report.ok else 'PROBLEMS'} "
              f"in {time.perf_counter() - t:.1f} s")
        assert PASSWORD  # the workspaces' users all share the recordkit password
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

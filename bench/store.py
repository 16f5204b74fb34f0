"""Benchmark of the record store: write, lookup and query cost as the store grows; writer throughput.

Run: .venv/bin/python bench/store.py [--sizes 1000,10000,100000] [--seconds 5] [--before REV]
Prints one line per figure. Plain TinyDB (one file, fresh instance per write) is measured beside
it at the smaller sizes, in the same run, so the ratio is meaningful on a noisy machine.

The cost of atomicity (an object and its audit entry committed as one unit through the write-ahead
intent, ``qms.intent``) is measured per write, p50/p95/p99, through an ``App`` opened the way the
CLI opens it: this tree's code against the code before the intent (``--before``, by default the
parent of the commit that added ``qms/intent.py``), checked out with ``git worktree`` and run in
alternating child processes in the same run. ``--atomicity-only`` skips the other figures.

What an Ed25519 signature adds to a write is measured beside an unsigned write in the same store,
interleaved (``--signing-only`` for that figure alone).

``--backends [--seconds S] [--sizes 1000,100000]`` measures the folder store and PostgreSQL side by side
instead: filings/s with 1, 2, 4 and 8 writer processes, one filing at 1k and 100k records, and ``qms due``
at 100k (``bench/backends.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinydb import TinyDB

from qms.store import AtomicJSONStorage, Store


def _doc(i: int) -> dict[str, object]:
    return {"number": f"KS-2026-{i:06d}", "state": "closed" if i % 4 else "open", "dept": ["品质部", "业务部"][i % 2],
            "data": {"customer": "某家具公司", "content": "批次色差，要求退换货" * 3, "qty": i % 50}}


def _median_ms(fn: Callable[[int], object], runs: int) -> float:
    times = []
    for r in range(runs):
        t = time.perf_counter()
        fn(r)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def build(root: Path, n: int) -> Store:
    store = Store(root)
    chunk = 20_000
    for start in range(0, n, chunk):
        objs = {f"KS-2026-{i:06d}": _doc(i) for i in range(start, min(n, start + chunk))}
        store.put_many("records", objs, actor="bench", action="load")
    return store


def bench_size(n: int) -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        store = build(Path(tmp) / "records", n)
        write = _median_ms(lambda r: store.put("records", f"KS-2026-{n + r:06d}", _doc(n + r), actor="b", action="file"), 30)
        fresh = Store(Path(tmp) / "records")
        lookup_cold = _median_ms(lambda r: fresh.get("records", f"KS-2026-{(r * 7919) % n:06d}"), 30)
        lookup_warm = _median_ms(lambda r: fresh.get("records", f"KS-2026-{(r * 7919) % n:06d}"), 30)
        query_cold = _median_ms(lambda r: Store(Path(tmp) / "records").query("records", state="open", dept="品质部"), 3)
        query_warm = _median_ms(lambda r: fresh.query("records", state="open", dept="品质部"), 3)
        print(f"store n={n:>7}: write {write:7.1f} ms | lookup {lookup_cold:6.2f} ms (fresh process cache) "
              f"{lookup_warm:6.3f} ms (warm) | filtered query {query_cold:8.1f} ms cold, {query_warm:8.1f} ms warm")


def bench_plain_tinydb(n: int) -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        path = Path(tmp) / "plain.json"
        with TinyDB(str(path), storage=AtomicJSONStorage) as db:
            db.insert_multiple(_doc(i) for i in range(n))

        def insert(r: int) -> None:
            with TinyDB(str(path), storage=AtomicJSONStorage) as db:
                db.insert(_doc(n + r))

        print(f"plain TinyDB n={n:>7}: write {_median_ms(insert, 10):7.1f} ms (one file, fresh instance per write)")


def _writer(root: str, worker: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    store = Store(Path(root))
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        store.put("records", f"W{worker}-2026-{done:06d}", _doc(done), actor=f"w{worker}", action="file")
        done += 1
    out.put(done)


def bench_writers(base: int, seconds: float) -> None:
    for procs in (1, 2, 4):
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            root = Path(tmp) / "records"
            build(root, base)
            queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
            workers = [mp.Process(target=_writer, args=(str(root), w, seconds, queue)) for w in range(procs)]
            for w in workers:
                w.start()
            total = sum(queue.get() for _ in workers)
            for w in workers:
                w.join()
            print(f"writers={procs}: {total / seconds:7.1f} writes/s in total (store holding {base} entries)")


def _filing_times(writes: int, preload: int) -> dict[str, list[float]]:
    """Child process: ms per numbered filing and per amendment through an App opened like the CLI's."""
    from qms.app import App
    from qms.host import Host, make_plugin_manager
    from qms.workspace import find_workspace, init_workspace

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        init_workspace(Path(tmp) / "ws", "基准公司")
        app = App(find_workspace(str(Path(tmp) / "ws")), Host(make_plugin_manager()), None)
        store = app.store
        store.put_many("records", {f"KS-2026-{i:06d}": _doc(i) for i in range(1, preload + 1)},
                       actor="bench", action="load")
        store.next_numbers("records:2026", preload, lambda _: False)
        times: dict[str, list[float]] = {"filing": [], "amendment": []}
        for r in range(writes):
            t = time.perf_counter()
            with store.transaction():  # a filing: number, record, audit entry
                n = store.next_number("records:2026", lambda k: store.get("records", f"KS-2026-{k:06d}") is not None)
                store.put("records", f"KS-2026-{n:06d}", _doc(n), actor="bench", action="record.file")
            times["filing"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            doc = _doc(n)  # an amendment of the record just filed
            doc["state"] = "analysed"
            store.put("records", f"KS-2026-{n:06d}", doc, actor="bench", action="record.amend", reason="更正")
            times["amendment"].append((time.perf_counter() - t) * 1000)
        return times


def _percentiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return (f"p50 {statistics.median(times):5.2f} ms, p95 {q[94]:5.2f} ms, p99 {q[98]:5.2f} ms, "
            f"{1000 / statistics.mean(times):5.0f} writes/s")


def _before_rev(repo: Path) -> str:
    added = subprocess.run(["git", "log", "-1", "--diff-filter=A", "--format=%H", "--", "qms/intent.py"],
                           cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    return f"{added}^" if added else "HEAD"


def bench_atomicity(before: str | None, writes: int, rounds: int, preload: int) -> None:
    """Per-write cost with the write-ahead intent beside the code before it, alternating child runs."""
    repo = Path(__file__).resolve().parent.parent
    rev = before or _before_rev(repo)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=repo, check=True,
                       capture_output=True)
        try:
            label = subprocess.run(["git", "log", "-1", "--format=%h", rev], cwd=repo, capture_output=True,
                                   text=True).stdout.strip()
            before = f"before ({label})"
            times: dict[tuple[str, str], list[float]] = {}
            for _ in range(rounds):
                for name, code in ((before, tree), ("with intent", repo)):
                    out = subprocess.run([sys.executable, __file__, "--child", str(writes), str(preload)],
                                         env={**os.environ, "PYTHONPATH": str(code)}, cwd=repo,
                                         capture_output=True, text=True, check=True).stdout
                    for kind, ts in json.loads(out).items():
                        times.setdefault((kind, name), []).extend(ts)
            for kind in ("filing", "amendment"):
                for name in (before, "with intent"):
                    ts = times[(kind, name)]
                    print(f"one {kind:<9} through App ({preload} records, {len(ts)} writes) {name:>18}: {_percentiles(ts)}")
                now, was = statistics.median(times[(kind, "with intent")]), statistics.median(times[(kind, before)])
                print(f"atomicity costs {now - was:+.2f} ms per {kind} at the median ({now / was:.2f}x)")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True)


def bench_signing(writes: int, preload: int) -> None:
    """Per-write cost of an Ed25519-signed write beside an unsigned one, interleaved in one store.

    An unsigned write is an amendment (object + audit entry). A signed write stores the same object
    carrying a signature sealed the way ``qms.signatures.seal`` does it: with the key already unlocked
    (the Ed25519 signature alone), and with the key unlocked from the password first (scrypt, as
    every signing command does, since only the password opens the key).
    """
    from qms import keys

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        store = build(Path(tmp) / "records", preload)
        stored, private = keys.new_key("bench-pass-2026")
        times: dict[str, list[float]] = {"unsigned": [], "signed (key unlocked)": [], "signed (unlock + sign)": []}

        def signed(i: int, unlock: bool) -> None:
            key = keys.unlock(stored, "bench-pass-2026") if unlock else private
            assert key is not None
            doc = _doc(i)
            sig = {"meaning": "批准 approved", "name": "bench", "at": "2026-12-05T10:00:00+08:00",
                   "sha256": hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest(), "key": stored["id"]}
            sig["ed25519"] = keys.sign_bytes(key, keys.signature_message(f"records/KS-2026-{i:06d}", sig))
            doc["signatures"] = [sig]
            store.put("records", f"KS-2026-{i:06d}", doc, actor="bench", action="record.move")

        for r in range(writes):
            i = (r * 7919) % preload
            for kind in times:  # interleaved, so that load on the machine falls on all three alike
                t = time.perf_counter()
                if kind == "unsigned":
                    store.put("records", f"KS-2026-{i:06d}", _doc(i), actor="bench", action="record.amend")
                else:
                    signed(i, unlock=kind.endswith("sign)"))
                times[kind].append((time.perf_counter() - t) * 1000)
        for kind, ts in times.items():
            print(f"one {kind:<23} write ({preload} records, {len(ts)} writes): {_percentiles(ts)}")
        base = statistics.median(times["unsigned"])
        for kind in ("signed (key unlocked)", "signed (unlock + sign)"):
            now = statistics.median(times[kind])
            print(f"{kind} costs {now - base:+.2f} ms per write at the median ({now / base:.2f}x)")


def main() -> None:
    if sys.argv[1:2] == ["--backends"]:  # TinyDB and PostgreSQL side by side (bench/backends.py)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import backends

        backends.main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_filing_times(int(sys.argv[2]), int(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--before", metavar="REV", help="code to compare the atomic write with (a git revision)")
    parser.add_argument("--writes", type=int, default=150, help="writes per child run in the atomicity figure")
    parser.add_argument("--rounds", type=int, default=4, help="alternating child runs per code tree")
    parser.add_argument("--preload", type=int, default=2000,
                        help="records in the store before the atomicity figure's writes (e.g. 100000)")
    parser.add_argument("--atomicity-only", action="store_true")
    parser.add_argument("--signing-only", action="store_true",
                        help="only the cost of an Ed25519-signed write beside an unsigned one")
    args = parser.parse_args()
    if args.atomicity_only:
        bench_atomicity(args.before, args.writes, args.rounds, preload=args.preload)
        return
    if args.signing_only:
        bench_signing(args.writes * 2, preload=2000)
        return
    bench_signing(args.writes, preload=2000)
    bench_atomicity(args.before, args.writes, args.rounds, preload=args.preload)
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        bench_size(n)
    for n in [s for s in sizes if s <= 10_000]:
        bench_plain_tinydb(n)
    bench_writers(max(sizes), args.seconds)


if __name__ == "__main__":
    main()

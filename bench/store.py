"""Benchmark of the record store: write, lookup and query cost as the store grows; writer throughput.

Run: .venv/bin/python bench/store.py [--sizes 1000,10000,100000] [--seconds 5]
Prints one line per figure. Plain TinyDB (one file, fresh instance per write) is measured beside
it at the smaller sizes, in the same run, so the ratio is meaningful on a noisy machine.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        bench_size(n)
    for n in [s for s in sizes if s <= 10_000]:
        bench_plain_tinydb(n)
    bench_writers(max(sizes), args.seconds)


if __name__ == "__main__":
    main()

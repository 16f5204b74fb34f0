"""Benchmark of the two stores side by side: TinyDB folder and PostgreSQL, in one run.

Run: ``.venv/bin/python bench/backends.py [--seconds 5] [--sizes 1000,100000]`` (also run by
``bench/store.py --backends``). It starts a throwaway PostgreSQL cluster (``qms.pgcluster``, fsync
on: an acknowledged filing is on disk on both stores) and prints, for each store:

* writes/s (an object and its audit entry through ``app.store``) and then filings/s with 1, 2, 4
  and 8 writer processes, each an ``App`` built as the CLI builds it (every
  shipped plugin loaded) filing customer complaints (QR-8.2-01) through ``records.file``:
  validation, the gapless number, the record, its audit entry; on PostgreSQL the writers use
  folders of their own (as several hosts would) and share only the database;
* the latency of one filing with 1k and with 100k records in the store, p50/p95/p99;
* ``qms due`` and ``qms record list QR-8.2-01 --state registered`` over the 100k-record workspace,
  in new processes of the shipped CLI, p50/p95/p99.

The sized workspaces hold what ``bench/reads.py`` loads (300 open complaints, closed complaints a
tenth of the size, the rest records of a form no plugin owns), bulk-loaded through the store the
workspace names, so the figures of the two stores and of the two benchmarks are of the same data.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("QMS_NOW", "2026-10-12T09:05:00")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reads  # noqa: E402
from qms import records  # noqa: E402
from qms.app import App  # noqa: E402
from qms.backend import open_store  # noqa: E402
from qms.host import Host, make_plugin_manager  # noqa: E402
from qms.pgcluster import Cluster  # noqa: E402
from qms.workspace import Workspace, init_workspace  # noqa: E402

FORM = "QR-8.2-01"
PASSWORD = "bench-pass-2026"
USERS = (("admin", "admin", "质量管理部"), ("zhao", "department", "业务部"))


def complaint(i: int) -> dict[str, Any]:
    return {"received_at": "2026-10-12T09:00:00", "channel": "电话", "customer": f"华美家具有限公司 {i}",
            "content": "餐椅颜色与色板不符。", "nature": "质量", "category": "整件质量问题", "sub_category": "色差"}


def make(root: Path, url: str | None) -> Path:
    """A test workspace on the store ``url`` names (None: the folder), with the two users."""
    init_workspace(root, "基准公司", kind="test")
    if url:
        with (root / "qms.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[store]\nurl = "{url}"\nschema = "bench_{uuid.uuid4().hex[:10]}"\n')
    app = App(Workspace.open(root), Host(make_plugin_manager()))
    for name, role, dept in USERS:
        app.users.add(name, role, dept, PASSWORD, actor="admin", full_name=name.title(), by_password=PASSWORD)
    return root


def opened(root: Path, actor: str = "zhao") -> App:
    """The workspace as the CLI opens it: every shipped plugin, a fresh App."""
    return App(Workspace.open(root), Host(make_plugin_manager()), actor)


def preload(root: Path, size: int) -> None:
    """Bulk-load ``size`` records as ``bench/reads.py`` does, into the store the workspace names."""
    form = (root / "forms" / "QR-8.2-02.yaml").read_text(encoding="utf-8")
    (root / "forms" / f"{reads.UNOWNED}.yaml").write_text(
        form.replace("number: QR-8.2-02", f"number: {reads.UNOWNED}").replace("prefix: HF", "prefix: ZZ"),
        encoding="utf-8")
    store = open_store(Workspace.open(root))
    closed = size // 10
    complaints = {f"KS-2026-{s:05d}": reads.complaint(f"KS-2026-{s:05d}", s, s > reads.OPEN_COMPLAINTS)
                  for s in range(1, reads.OPEN_COMPLAINTS + closed + 1)}
    store.put_many(records.COLLECTION, complaints, actor="bench", action="record.import")
    store.next_numbers(f"{FORM}:2026", len(complaints), lambda _: False)  # filings go on after them
    rest = size - len(complaints)
    for start in range(1, rest + 1, 20_000):
        batch = {f"ZZ-2026-{s:06d}": reads.unowned(f"ZZ-2026-{s:06d}", s)
                 for s in range(start, min(rest, start + 19_999) + 1)}
        store.put_many(records.COLLECTION, batch, actor="bench", action="record.import")


def _writer(root: str, seconds: float, out: Any, ready: Any, raw: bool) -> None:
    app = opened(Path(root))
    records.file(app, FORM, complaint(-1))  # plugins loaded, schemas compiled, connection open: then all start
    ready.wait()
    done = 0
    me = os.getpid()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if raw:  # one object and its audit entry, as bench/store.py's writers put them
            app.store.put("items", f"W{me}-{done:06d}", {"n": done, "text": "样品记录 " * 20}, actor="zhao",
                          action="item.file")
        else:
            records.file(app, FORM, complaint(done))
        done += 1
    out.put(done)


def writers(base: Path, url: str | None, seconds: float, raw: bool = False) -> dict[int, float]:
    """Filings (or, ``raw``, plain writes) per second with 1, 2, 4 and 8 writer processes."""
    out: dict[int, float] = {}
    for procs in (1, 2, 4, 8):
        root = make(base / f"{'r' if raw else 'w'}{procs}", url)
        roots = [root]
        if url:  # folders of their own, as hosts: the same qms.toml, so the same schema
            for h in range(1, procs):
                copy = base / f"{'r' if raw else 'w'}{procs}-host{h}"
                copy.mkdir()
                shutil.copy(root / "qms.toml", copy / "qms.toml")
                for sub in ("procedures", "forms"):
                    shutil.copytree(root / sub, copy / sub)
                (copy / "records").mkdir()
                if (root / "records" / "keys").exists():
                    shutil.copytree(root / "records" / "keys", copy / "records" / "keys")
                roots.append(copy)
        queue: Any = mp.Queue()
        ready: Any = mp.Barrier(procs)
        ps = [mp.Process(target=_writer, args=(str(roots[w % len(roots)]), seconds, queue, ready, raw))
              for w in range(procs)]
        for p in ps:
            p.start()
        total = sum(queue.get() for _ in ps)
        for p in ps:
            p.join()
        out[procs] = total / seconds
    return out


def pct(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return f"p50 {statistics.median(times):7.2f} ms, p95 {q[94]:7.2f} ms, p99 {q[98]:7.2f} ms"


def filing_latency(root: Path, rounds: int) -> list[float]:
    app = opened(root)
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        records.file(app, FORM, complaint(i))
        times.append((time.perf_counter() - t) * 1000)
    return times


def cli(root: Path, args: list[str], rounds: int) -> list[float]:
    """Milliseconds of the shipped ``qms ARGS`` in new processes (after one run that fills any cache)."""
    qms = str(Path(sys.executable).with_name("qms"))
    env = {**os.environ, "QMS_WORKSPACE": str(root), "QMS_NOW": reads.NOW}
    subprocess.run([qms, *args], env=env, capture_output=True, check=True)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run([qms, *args], env=env, capture_output=True, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=60, help="filings timed per size")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    cluster = Cluster.start()
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            for name, url in (("tinydb", None), ("postgresql", cluster.url)):
                base = Path(tmp) / name
                base.mkdir()
                raw = writers(base, url, args.seconds, raw=True)
                for procs, rate in raw.items():
                    print(f"{name:<10} writers={procs}: {rate:7.1f} writes/s in total (object + audit entry)", flush=True)
                print(f"{name:<10} writes, 4 writers ÷ 1 writer: {raw[4] / raw[1]:.2f}x", flush=True)
                w = writers(base, url, args.seconds)
                for procs, rate in w.items():
                    print(f"{name:<10} writers={procs}: {rate:7.1f} filings/s in total (records.file)", flush=True)
                print(f"{name:<10} filings, 4 writers ÷ 1 writer: {w[4] / w[1]:.2f}x", flush=True)
                results[name] = {"writes": raw, "filings": w}
                for size in sizes:
                    root = make(base / f"size{size}", url)
                    preload(root, size)
                    times = filing_latency(root, args.rounds)
                    results[name][size] = statistics.median(times)
                    print(f"{name:<10} one filing at {size:>6} records: {pct(times)}", flush=True)
                    if size == max(sizes):
                        for label, argv in (("qms due", ["due"]), ("qms record list QR-8.2-01 --state registered",
                                                                   ["record", "list", FORM, "--state", "registered"])):
                            took = cli(root, argv, 9)
                            print(f"{name:<10} {label} at {size} records (new process): {pct(took)}", flush=True)
                small, large = results[name][min(sizes)], results[name][max(sizes)]
                print(f"{name:<10} filing at {max(sizes)} ÷ filing at {min(sizes)}: {large / small:.2f}x", flush=True)
    finally:
        cluster.stop()
    print(json.dumps({k: {str(kk): vv for kk, vv in v.items()} for k, v in results.items()}, default=str))


if __name__ == "__main__":
    main()

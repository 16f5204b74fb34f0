"""A writer process for the store's concurrency and crash tests: files numbered items in a loop.

Usage: python tests/store_worker.py RECORDS_DIR WORKER COUNT [MODE]

With ``QMS_WORKER_URL`` set the store is the PostgreSQL one at that url, in schema
``QMS_WORKER_SCHEMA``: writers with RECORDS_DIR folders of their own share nothing but the
database, as writers on several hosts would. A write refused because the connection was lost
(a server restart) is reported on stderr as ``retry: MESSAGE`` and tried again.

MODE ``file`` (the default) files one numbered item per unit of work. MODE ``mixed`` cycles
through the kinds of write a workspace sees: an item filed with an attachment (sequence file,
blob, bucket), an amendment of the item just filed, and a bulk filing of three items
(``next_numbers`` and ``put_many``); MODE ``hold`` files one item and then waits inside its
unit of work, after printing ``holding KEY``, for the test to kill it; MODE ``paced`` does the same with a 10 ms pause after each
write, leaving the lock to other writers (the lock is not fair). Each line printed is an acknowledgement, printed only after
the write returned: ``KEY`` (filed), ``amend KEY REV`` (amended to revision REV).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from qms.errors import StoreError
from qms.store import Store


def _taken(store: Store) -> Callable[[int], bool]:
    return lambda k: store.get("items", f"IT-{k:06d}") is not None


def file_one(store: Store, worker: str, i: int, *, attach: bool = False) -> str:
    with store.transaction():
        n = store.next_number("items", taken=_taken(store))
        key = f"IT-{n:06d}"
        obj: dict[str, object] = {"number": key, "worker": worker, "i": i, "rev": 0, "text": "样品记录 " * 5}
        if attach:
            obj["blob"] = store.put_blob(f"照片 {key} {worker}/{i}".encode(), actor=f"worker-{worker}",
                                         action="item.attach", detail={"name": f"{key}.jpg"})
        store.put("items", key, obj, actor=f"worker-{worker}", action="item.file")
    return key


def amend(store: Store, worker: str, key: str, rev: int) -> None:
    with store.transaction():
        obj = store.require("items", key)
        obj["rev"] = rev
        store.put("items", key, obj, actor=f"worker-{worker}", action="item.amend", reason="更正 correction")


def file_many(store: Store, worker: str, i: int) -> list[str]:
    with store.transaction():
        numbers = store.next_numbers("items", 3, taken=_taken(store))
        objects = {f"IT-{n:06d}": {"number": f"IT-{n:06d}", "worker": worker, "i": i, "rev": 0} for n in numbers}
        store.put_many("items", objects, actor=f"worker-{worker}", action="item.import")
    return list(objects)


def open_store(records: str) -> Store:
    url = os.environ.get("QMS_WORKER_URL")
    if not url:
        return Store(Path(records))
    from qms.backend import open_at

    return open_at(Path(records), url, os.environ["QMS_WORKER_SCHEMA"])


def hold(store: Store, worker: str) -> None:
    with store.transaction():
        n = store.next_number("items", taken=_taken(store))
        key = f"IT-{n:06d}"
        store.put("items", key, {"number": key, "worker": worker, "i": 0, "rev": 0}, actor=f"worker-{worker}",
                  action="item.file")
        print(f"holding {key}", flush=True)
        time.sleep(60)


def retrying(write: Callable[[], str]) -> str:
    for _ in range(200):
        try:
            return write()
        except StoreError as exc:
            print(f"retry: {exc}", file=sys.stderr, flush=True)
            time.sleep(0.1)
    raise SystemExit("gave up after 200 tries")


def main(records: str, worker: str, count: int, mode: str = "file") -> None:
    store = open_store(records)
    last = ""
    if mode == "hold":
        hold(store, worker)
        return
    for i in range(count):
        if mode == "file":
            print(retrying(lambda: file_one(store, worker, i)), flush=True)
        elif i % 3 == 0:
            last = file_one(store, worker, i, attach=True)
            print(last, flush=True)
        elif i % 3 == 1:
            amend(store, worker, last, i)
            print(f"amend {last} {i}", flush=True)
        else:
            print(" ".join(file_many(store, worker, i)), flush=True)
        if mode == "paced":
            time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])

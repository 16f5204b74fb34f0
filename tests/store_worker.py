"""A writer process for the store's concurrency and crash tests: files numbered items in a loop.

Usage: python tests/store_worker.py RECORDS_DIR WORKER COUNT
"""

from __future__ import annotations

import sys
from pathlib import Path

from qms.store import Store


def main(records: str, worker: str, count: int) -> None:
    store = Store(Path(records))
    for i in range(count):
        with store.transaction():
            n = store.next_number("items", taken=lambda k: store.get("items", f"IT-{k:06d}") is not None)
            key = f"IT-{n:06d}"
            store.put("items", key, {"number": key, "worker": worker, "i": i, "text": "样品记录 " * 5},
                      actor=f"worker-{worker}", action="item.file")
        print(key, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

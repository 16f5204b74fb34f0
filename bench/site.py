"""Server-side time of the auditor site's register page and search at 10k and 100k records of one form.

Builds a throw-away workspace, files the records in bulk with ``Store.put_many`` (envelopes of the
shared record contract, Chinese and English text), starts the Flask app in process, logs in, and
times requests through Flask's test client: the first request (which builds the in-memory index)
and then the median and worst of repeated requests, as a long-running server sees them.

Run: ``.venv/bin/python bench/site.py [--sizes 10000 100000] [--repeat 15]``
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

FORM = "QR-9.7-01"
PASSWORD = "bench-pass-2026"
WORDS = ["外箱破损", "交货延迟", "数量短缺", "标签错误", "性能不良", "安装问题", "late delivery", "wrong label",
         "damaged box", "short shipment"]
RARE = "包装破损"
DEPTS = ["业务部", "品质部", "物业管理部", "项目部"]
FORM_DEF: dict[str, Any] = {
    "number": FORM, "title": "基准测试记录", "title_en": "Benchmark Record", "edition": "A/0",
    "procedure": "QP-9.7-01", "prefix": "BM", "retention": {"years": 3, "after": "closed"},
    "schema": {"type": "object", "required": ["subject"], "properties": {
        "subject": {"type": "string", "title": "主题", "x-en": "Subject"},
        "customer": {"type": "string", "title": "客户", "x-en": "Customer"},
        "detail": {"type": "string", "title": "详细描述", "x-en": "Detail"},
    }},
    "sections": [{"title": "记录 Record", "fields": ["subject", "customer", "detail"]}],
}


def envelope(i: int, rng: random.Random) -> dict[str, Any]:
    """One record of the shared contract, with a 1-in-100 chance of the rare Chinese word."""
    number = f"BM-2026-{i:06d}"
    day = f"2026-{1 + i * 11 // 100_000 % 11:02d}-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00"
    state = rng.choice(["open", "open", "closed"])
    subject = rng.choice(WORDS) + (f" {RARE}" if i % 100 == 7 else "")
    return {
        "number": number, "form": FORM, "form_edition": "A/0", "procedure": "QP-9.7-01", "procedure_edition": "A/0",
        "state": state, "data": {"subject": subject, "customer": f"客户{i % 997} Customer {i % 997}",
                                 "detail": f"第 {i} 号记录 record number {i}: " + rng.choice(WORDS)},
        "created_at": day, "created_by": "zhao", "dept": rng.choice(DEPTS),
        "history": [{"at": day, "actor": "zhao", "action": "file", "from": None, "to": "open", "note": ""}],
        "signatures": [], "attachments": [], "amends": None, "amended_by": [], "closed": state == "closed",
    }


def timed(client: Any, url: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    with client.get(url) as r:
        body = r.get_data(as_text=True)
    return (time.perf_counter() - start) * 1000, r.status_code, body


def run(size: int, repeat: int, base: Path) -> list[tuple[str, float, float, float, str]]:
    from qms.app import App
    from qms.host import Host, make_plugin_manager
    from qms.site.app import create_app
    from qms.workspace import init_workspace

    ws = init_workspace(base / f"ws-{size}")
    app = App(ws, Host(make_plugin_manager(entrypoints=False)))
    app.users.add("admin", "admin", "质量管理部", PASSWORD, actor="admin")
    app.users.add("aud", "auditor", "外部审核", PASSWORD, actor="admin")
    (ws.forms / f"{FORM}.yaml").write_text(yaml.safe_dump(FORM_DEF, allow_unicode=True), encoding="utf-8")
    rng = random.Random(size)
    start = time.perf_counter()
    app.store.put_many("records", {f"BM-2026-{i:06d}": envelope(i, rng) for i in range(1, size + 1)},
                       actor="admin", action="record.import")
    load = time.perf_counter() - start
    print(f"  {size} records filed with put_many in {load:.1f} s", file=sys.stderr)
    flask = create_app(app, secret_key="bench")
    client = flask.test_client()
    with client.get("/login") as r:
        token = re.search(r'name="csrf" value="([^"]+)"', r.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    with client.post("/login", data={"name": "aud", "password": PASSWORD, "csrf": token}) as r:
        assert r.status_code == 302, r.status_code
    rows = []
    pages = -(-size // 50)
    cases = [
        ("register, page 1", f"/forms/{FORM}"),
        ("register, state+dept filter, page 3", f"/forms/{FORM}?state=open&dept=品质部&page=3"),
        ("register, date range filter", f"/forms/{FORM}?since=2026-02-01&until=2026-04-30"),
        (f"register, last page ({pages})", f"/forms/{FORM}?page={pages}"),
        (f"search Chinese {RARE!r}", f"/search?q={RARE}"),
        ("search English 'LATE DELIVERY'", "/search?q=LATE+DELIVERY"),
        ("search a record number", f"/search?q=BM-2026-{size // 2:06d}"),
    ]
    first, status, _ = timed(client, cases[0][1])
    assert status == 200
    rows.append(("first request (builds the index)", first, first, first, ""))
    for label, url in cases:
        times = []
        hits = ""
        for _ in range(repeat):
            ms, status, body = timed(client, url)
            assert status == 200, (url, status)
            times.append(ms)
        found = re.search(r"(\d+) 条记录 records", body) or re.search(r"记录 Records \((\d+)", body)
        hits = found.group(1) if found else ""
        rows.append((label, statistics.median(times), min(times), max(times), hits))
    # One more record filed while the server runs: the request right after it is answered from the
    # previous snapshot while the index rebuilds in the background; then time until the record shows.
    app.store.put("records", f"BM-2026-{size + 1:06d}", envelope(size + 1, rng), actor="admin", action="record.file")
    filed = time.perf_counter()
    ms, status, body = timed(client, f"/search?q=BM-2026-{size + 1:06d}")
    rows.append(("search right after one new record", ms, ms, ms, "1" if f"/records/BM-2026-{size + 1:06d}" in body else "0"))
    while f"/records/BM-2026-{size + 1:06d}" not in body:
        time.sleep(0.05)
        _, status, body = timed(client, f"/search?q=BM-2026-{size + 1:06d}")
    seen = (time.perf_counter() - filed) * 1000
    rows.append(("new record visible after (background rebuild)", seen, seen, seen, "1"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("QMS_NOW", "2026-11-02T09:00:00")
    with tempfile.TemporaryDirectory(prefix="qms-bench-site-") as tmp:
        for size in args.sizes:
            print(f"## {size} records of one form")
            print(f"{'request':44} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'matches':>8}")
            for label, median, low, high, hits in run(size, args.repeat, Path(tmp)):
                print(f"{label:44} {median:10.1f} {low:8.1f} {high:8.1f} {hits:>8}")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"(peak resident memory so far: {rss:.0f} MB)\n")


if __name__ == "__main__":
    main()

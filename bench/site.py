"""Server-side time of the site's pages at 10k and 100k records of one form: the auditor's register and
search, and the web workspace's My work page and a record submitted through the generated form.

Builds a throw-away workspace with the App built as ``qms serve`` builds it (every installed
procedure plugin loaded through its entry point), files the records in bulk with
``Store.put_many`` (envelopes of the shared record contract, Chinese and English text), starts the
Flask app in process, logs in an auditor and a clerk, and times requests through Flask's test
client: the first request (which builds the in-memory index), then p50/p95/p99 and the worst of
repeated requests, as a long-running server sees them.

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


Row = tuple[str, float, float, float, float, str]


def timed(client: Any, url: str, form: dict[str, str] | None = None) -> tuple[float, int, str]:
    start = time.perf_counter()
    with (client.post(url, data=form) if form is not None else client.get(url)) as r:
        body = r.get_data(as_text=True)
    return (time.perf_counter() - start) * 1000, r.status_code, body


def percentiles(times: list[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and the worst of ``times`` (ms)."""
    cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    return statistics.median(times), cuts[94], cuts[98], max(times)


def csrf_of(body: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', body) or re.search(r'name="csrf-token" content="([^"]+)"', body)
    assert found, "no CSRF token on the page"
    return found.group(1)


def logged_in(flask: Any, name: str, landing: str) -> Any:
    client = flask.test_client()
    with client.get("/login") as r:
        token = csrf_of(r.get_data(as_text=True))
    with client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token}) as r:
        assert r.status_code == 302 and r.headers["Location"] == landing, (r.status_code, r.headers.get("Location"))
    return client


def run(size: int, repeat: int, base: Path) -> list[Row]:
    from qms.app import App
    from qms.host import Host, make_plugin_manager
    from qms.site.app import create_app
    from qms.workspace import init_workspace

    ws = init_workspace(base / f"ws-{size}", kind="test")  # honours its fixed QMS_NOW
    app = App(ws, Host(make_plugin_manager()))  # as the CLI builds it: every installed plugin
    app.users.add("admin", "admin", "质量管理部", PASSWORD, actor="admin")
    app.users.add("aud", "auditor", "外部审核", PASSWORD, actor="admin")
    app.users.add("zhao", "department", "业务部", PASSWORD, actor="admin")
    (ws.forms / f"{FORM}.yaml").write_text(yaml.safe_dump(FORM_DEF, allow_unicode=True), encoding="utf-8")
    rng = random.Random(size)
    start = time.perf_counter()
    app.store.put_many("records", {f"BM-2026-{i:06d}": envelope(i, rng) for i in range(1, size + 1)},
                       actor="admin", action="record.import")
    load = time.perf_counter() - start
    print(f"  {size} records filed with put_many in {load:.1f} s", file=sys.stderr)
    flask = create_app(app, secret_key="bench")
    client = logged_in(flask, "aud", "/")
    rows: list[Row] = []
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
    rows.append(("first request (builds the index)", first, first, first, first, ""))
    for label, url in cases:
        times = []
        hits = ""
        for _ in range(repeat):
            ms, status, body = timed(client, url)
            assert status == 200, (url, status)
            times.append(ms)
        found = re.search(r"(\d+) 条记录 records", body) or re.search(r"记录 Records \((\d+)", body)
        hits = found.group(1) if found else ""
        rows.append((label, *percentiles(times), hits))
    rows.extend(workspace_rows(flask, app, size, repeat))
    # One more record filed while the server runs: the request right after it is answered from the
    # previous snapshot while the index rebuilds in the background; then time until the record shows.
    app.store.put("records", f"BM-2026-{size + 1:06d}", envelope(size + 1, rng), actor="admin", action="record.file")
    filed = time.perf_counter()
    ms, status, body = timed(client, f"/search?q=BM-2026-{size + 1:06d}")
    rows.append(("search right after one new record", ms, ms, ms, ms, "1" if f"/records/BM-2026-{size + 1:06d}" in body else "0"))
    while f"/records/BM-2026-{size + 1:06d}" not in body:
        time.sleep(0.05)
        _, status, body = timed(client, f"/search?q=BM-2026-{size + 1:06d}")
    seen = (time.perf_counter() - filed) * 1000
    rows.append(("new record visible after (background rebuild)", seen, seen, seen, seen, "1"))
    return rows


def workspace_rows(flask: Any, app: Any, size: int, repeat: int) -> list[Row]:
    """A clerk's My work page, and a record filed through the generated form (the POST, then its page)."""
    from qms import records

    clerk = logged_in(flask, "zhao", "/work/")
    rows: list[Row] = []
    times = []
    for _ in range(repeat):
        ms, status, body = timed(clerk, "/work/")
        assert status == 200 and "我的待办" in body, status
        times.append(ms)
    rows.append(("My work (clerk, every plugin's due items)", *percentiles(times), ""))
    with clerk.get(f"/work/file/{FORM}") as r:
        token = csrf_of(r.get_data(as_text=True))
    before = len(records.list_records(app, FORM))
    posts, pages, after = [], [], []
    for i in range(repeat):
        ms, status, body = timed(clerk, f"/work/file/{FORM}", {
            "csrf": token, "action": "file", "subject": f"网页提交 web filing {i}", "customer": "华美家具有限公司",
            "detail": "外箱破损，三件餐椅划伤。"})
        assert status == 302, (status, body[:400])
        posts.append(ms)
        where = re.search(r"/work/records/[^?\"]+", body)  # the redirect's own page names the new record
        assert where, body[:400]
        ms2, status2, _ = timed(clerk, where.group(0))
        assert status2 == 200
        pages.append(ms2)
        ms3, status3, _ = timed(clerk, "/work/")
        assert status3 == 200
        after.append(ms3)
    assert len(records.list_records(app, FORM)) == before + repeat
    rows.append(("submit a record (POST /work/file)", *percentiles(posts), str(repeat)))
    rows.append(("the new record's page", *percentiles(pages), ""))
    rows.append(("My work right after each filing", *percentiles(after), ""))
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
            print(f"{'request':44} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'matches':>8}")
            for label, p50, p95, p99, high, hits in run(size, args.repeat, Path(tmp)):
                print(f"{label:44} {p50:8.1f} {p95:8.1f} {p99:8.1f} {high:8.1f} {hits:>8}")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"(peak resident memory so far: {rss:.0f} MB)\n")


if __name__ == "__main__":
    main()

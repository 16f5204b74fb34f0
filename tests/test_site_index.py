"""The site's record index: filters and search over precomputed positions agree with a plain scan; it follows the store."""

from __future__ import annotations

import random
import time

from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.site.index import Entry, FormIndex, RecordIndex, TextIndex
from qms.workspace import Workspace


def _entries(n: int) -> list[Entry]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00"
        text = f"r{i} " + rng.choice(["外箱破损", "交货延迟", "late delivery", "包装破损 damaged"])
        out.append(Entry(number=f"X-{i:05d}", form="F", state=rng.choice(["open", "closed", "hold"]),
                         dept=rng.choice(["业务部", "品质部", ""]), created=day, closed=False, text=text.casefold(), obj={}))
    return sorted(out, key=lambda e: (e.created, e.number), reverse=True)


def test_filters_match_a_plain_scan() -> None:
    entries = _entries(3000)
    index = FormIndex(entries)
    for state, dept, since, until in [("", "", "", ""), ("open", "", "", ""), ("", "品质部", "", ""),
                                      ("closed", "业务部", "2026-03-01", "2026-06-30"), ("", "", "2026-12-01", ""),
                                      ("", "", "", "2026-01-31"), ("nope", "", "", ""), ("hold", "", "2026-05-05", "2026-05-05")]:
        expected = [i for i, e in enumerate(entries) if (not state or e.state == state) and (not dept or e.dept == dept)
                    and (not since or e.created[:10] >= since) and (not until or e.created[:10] <= until)]
        assert list(index.select(state, dept, since, until)) == expected, (state, dept, since, until)


def test_search_matches_a_plain_scan_once_per_record_newest_first() -> None:
    entries = _entries(2000)
    text = TextIndex(entries)
    for needle in ("包装破损", "LATE", "r1", "r19", "nothing", "破损"):
        expected = [e for e in entries if needle.casefold() in e.text]
        found, total = text.find(needle, 50)
        assert total == len(expected) and found == expected[:50], needle
    assert text.find("\x00", 5) == ([], 0)


def test_the_index_follows_the_store_and_rebuilds_large_stores_in_the_background(workspace: Workspace) -> None:
    app = App(workspace, Host(make_plugin_manager(entrypoints=False)))
    index = RecordIndex(app.store)
    assert index.refresh().by_number == {}
    rec = {"number": "A-0001", "form": "F", "state": "open", "dept": "d", "created_at": "2026-01-01T00:00:00",
           "data": {"subject": "第一"}, "closed": False}
    app.store.put("records", "A-0001", rec, actor="t", action="t")
    first = index.refresh()
    assert list(first.by_number) == ["A-0001"] and first.text.find("第一", 5)[1] == 1
    index.last_build = 10.0  # pretend the store is large: the next rebuild runs in a thread
    app.store.put("records", "B-0002", {**rec, "number": "B-0002", "data": {"subject": "第二"}}, actor="t", action="t")
    stale = index.refresh()
    assert "B-0002" not in stale.by_number  # answered at once from the previous snapshot
    deadline = time.monotonic() + 30
    while "B-0002" not in index.refresh().by_number and time.monotonic() < deadline:
        time.sleep(0.02)
    fresh = index.refresh()
    assert set(fresh.by_number) == {"A-0001", "B-0002"} and fresh.by_number["A-0001"] is first.by_number["A-0001"]
    assert index.refresh(wait=True) is fresh

"""Reads at scale: ``qms record list FORM --state X`` and ``qms due`` touch only what they are asked about.

A new ``qms`` process listing one form parses neither the bucket files nor the cached register
rows of any other form (the projection cache is one file per bucket family), ``due`` reads the
cached rows of the forms with deadlines only, and a long listing is laid out as rich lays out a
short one without rich's per-cell cost.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from qms import due
from qms.app import App
from qms.cli import build
from qms.cli.table import _plain, echo_table
from qms.host import Host, make_plugin_manager
from qms.store import Store
from qms.workspace import Workspace, init_workspace
from test_store_index import FORM, FORM_DEF, Reads, _record

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store


def _complaint(i: int) -> dict[str, Any]:
    number = f"KS-2026-{i:04d}"
    at = "2026-11-02T08:00:00"
    return {"number": number, "form": "QR-8.2-01", "form_edition": "A/0", "procedure": "QP-8.2-01",
            "procedure_edition": "A/0", "state": "registered", "data": {"received_at": at, "customer": f"客户 {i}"},
            "created_at": at, "created_by": "t", "dept": "业务部",
            "history": [{"at": at, "actor": "t", "action": "file", "from": None, "to": "registered", "note": ""}],
            "signatures": [], "attachments": [], "amends": None, "amended_by": [], "closed": False}


class CacheReads:
    """The derived cache files parsed while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        original = Store._read_cache

        def read(store: Store, path: Path, version: str) -> dict[str, Any]:
            self.paths.append(path)
            return original(store, path, version)

        monkeypatch.setattr(Store, "_read_cache", read)

    def names(self) -> list[str]:
        return sorted(f"{p.parent.name}/{p.name}" for p in self.paths)


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with 600 records of a form no plugin owns and 600 open complaints."""
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    ws = init_workspace(tmp_path / "ws", kind="test")
    (ws.forms / f"{FORM}.yaml").write_text(yaml.safe_dump(FORM_DEF, allow_unicode=True), encoding="utf-8")
    store = _store(ws)
    store.put_many("records", {f"IX-2026-{i:04d}": _record(i) for i in range(1, 601)}, actor="t",
                   action="record.import")
    store.put_many("records", {f"KS-2026-{i:04d}": _complaint(i) for i in range(1, 601)}, actor="t",
                   action="record.import")
    return ws


def _store(ws: Workspace) -> Store:
    """The store as another ``qms`` process opens it."""
    return App(Workspace.open(ws.root), Host(make_plugin_manager())).store


def _list(ws: Workspace, *args: str) -> str:
    argv = ["--workspace", str(ws.root), "record", "list", *args]
    result = CliRunner().invoke(build(argv), argv, catch_exceptions=False)  # a fresh App, as a new process
    assert result.exit_code == 0, result.output
    return result.output


def test_record_list_of_one_form_and_state_parses_no_bucket_of_other_forms(
        loaded: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(loaded).query("records", form=FORM)  # builds the bucket index, which parses every bucket once
    reads = Reads(monkeypatch)
    first = _list(loaded, FORM, "--state", "open")  # no register cache yet: only this form's buckets are parsed
    assert "IX-2026-0600" in first and "KS-2026" not in first
    assert reads.of("records") == ["IX-2026-0.json", "IX-2026-1.json", "IX-2026-2.json"]
    # Another form is written meanwhile. Which forms a changed bucket holds is known only by reading
    # it, so the next reader re-indexes that one bucket (and keeps the index); then listing this
    # form reads no bucket at all, and of the cached register rows only this form's file.
    _store(loaded).put("records", "KS-2026-0001", {**_complaint(1), "state": "assigned"}, actor="t",
                       action="record.move")
    reads.paths.clear()
    assert _list(loaded, FORM, "--state", "open") == first
    assert reads.of("records") == ["KS-2026-0.json"]
    reads.paths.clear()
    cached = CacheReads(monkeypatch)
    assert _list(loaded, FORM, "--state", "open") == first
    assert reads.of("records") == []
    assert cached.names() == ["cache/records.index.json", "records.summary/IX-2026-.json"]


def test_the_register_follows_a_change_to_a_listed_form(loaded: Workspace) -> None:
    _list(loaded, "QR-8.2-01", "--state", "registered")
    _store(loaded).put("records", "KS-2026-0002", {**_complaint(2), "state": "assigned"}, actor="t",
                                       action="record.move")
    assert "KS-2026-0002" not in _list(loaded, "QR-8.2-01", "--state", "registered")
    assert "KS-2026-0002" in _list(loaded, "QR-8.2-01", "--state", "assigned")


def test_due_in_a_new_process_reads_the_cached_rows_of_forms_with_deadlines_only(
        loaded: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    due.due_items(App(loaded, Host(make_plugin_manager())))  # the first run builds the derived caches
    cached = CacheReads(monkeypatch)
    listed = due.due_items(App(Workspace.open(loaded.root), Host(make_plugin_manager())))
    assert {i["ref"] for i in listed.items if i["kind"] == "record"} == {f"KS-2026-{i:04d}" for i in range(1, 601)}
    assert cached.names() == ["cache/records.index.json", "records.open-deadlines/KS-2026-.json"]


def _rich(head: list[str], rows: list[list[str]]) -> str:
    """The table as rich lays it out for a pipe (what ``echo_table`` printed for every size before)."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, no_color=True, highlight=False, width=100_000, emoji=False,
                      markup=False)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="", show_header=True, expand=False)
    for name in head:
        table.add_column(name, overflow="ignore", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def test_a_piped_listing_is_laid_out_as_rich_lays_it_out(capsys: pytest.CaptureFixture[str]) -> None:
    head = ["编号 Number", "表单 Form", "状态 State", "部门 Dept"]
    rows = [["KS-2026-0001", "QR-8.2-01", "registered", "业务部"], ["IX-2026-10000", "QR-9.7-01", "已登记", "-"],
            ["A", "客户投诉处理报告 Customer Complaint", "x", "质量管理部"]]
    assert _plain(head, [list(column) for column in zip(*rows)]) == _rich(head, rows)
    echo_table(head, rows)
    assert capsys.readouterr().out == _rich(head, rows)


def test_objects_a_query_returns_are_the_callers_own_whether_parsed_now_or_held(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"A-2026-{i:04d}": {"form": "A", "data": {"n": i}} for i in range(10)}, actor="t",
                   action="file")
    for reader in (Store(tmp_path / "records"), store):  # a new process parses; the writer holds the bucket
        if reader is store:
            assert store.get("items", "A-2026-0001") is not None  # the bucket is now held in memory
        for obj in reader.query("items", form="A"):
            obj["data"]["n"] = -1
        assert sorted(o["data"]["n"] for o in reader.query("items", form="A")) == list(range(10))
        assert reader.get("items", "A-2026-0001") == {"form": "A", "data": {"n": 1}}


def test_a_query_for_any_of_several_forms_returns_the_records_of_those_forms(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"{f}-2026-{i:04d}": {"form": f} for f in "ABC" for i in range(3)}, actor="t",
                   action="file")
    assert sorted(o["form"] for o in store.query("items", form=frozenset({"A", "C"}))) == ["A"] * 3 + ["C"] * 3


def test_a_piped_listing_strips_blank_cell_ends_and_prints_missing_cells_blank_as_rich_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    head = ["编号 Number", "状态 State", "备注 Note"]
    rows = [["KS-2026-0001", "已登记 ", "trailing  "], ["KS-2026-0002", "x", " "], ["KS-2026-0003", "y", "全角\u3000"]]
    echo_table(head, rows)
    assert capsys.readouterr().out == _rich(head, rows)
    short = [["KS-2026-0001", "已登记"], ["KS-2026-0002", "x", "note"]]
    echo_table(head, short)
    assert capsys.readouterr().out == _rich(head, short)

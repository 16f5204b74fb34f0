"""Bulk import from CSV and JSONL: all rows or none, each bad row with its line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from recordkit import FORM_NUMBER, SIMPLE_FORM, as_user, good_data, make_workspace, run

from qms import records
from qms.verify import verify_store


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def test_csv_import_files_every_row_with_typed_cells(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    records.file(as_user(app, "li"), FORM_NUMBER, good_data())
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text(
        "\ufeffreceived_at,customer,quantity,urgent,inspector\n"
        '2026-10-01T08:00,甲公司,3,是,"{""name"": ""张检""}"\n'
        '2026-10-02T08:00,"乙公司, 北京",,否,"{""name"": ""李检""}"\n',
        encoding="utf-8")
    result = run(app, ["--as", "li", "record", "import", FORM_NUMBER, str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "imported 2 record(s): TJ-2026-0002 … TJ-2026-0003" in result.output
    second = records.get(app, "TJ-2026-0003")
    assert second["data"] == {"received_at": "2026-10-02T08:00", "customer": "乙公司, 北京", "urgent": False,
                              "inspector": {"name": "李检"}}
    assert records.get(app, "TJ-2026-0002")["data"]["quantity"] == 3
    assert second["state"] == "registered" and second["history"][0]["note"] == "imported from rows.csv"
    assert verify_store(app.store, app.workspace.root).ok


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    rows = [good_data(customer=f"c{i}") for i in range(6)]
    rows[1]["quantity"] = 0
    rows[4]["received_at"] = "soon"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(3, "{not json")
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(app, ["--as", "li", "record", "import", FORM_NUMBER, str(path)])
    assert result.exit_code == 1
    assert "3 bad row(s); nothing was imported" in result.output
    assert "line 2: quantity (数量 Quantity): must be at least 1, not 0" in result.output
    assert "line 4: is not valid JSON" in result.output
    assert "line 6: received_at (接收时间 Received at): must be a date and time" in result.output
    assert app.store.keys("records") == []
    assert not (app.workspace.records / "db" / "_sequences.json").exists()


def test_csv_line_numbers_count_multiline_cells_and_unknown_columns_are_refused(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    path = tmp_path / "s.csv"
    path.write_text('subject\n"first\nsecond line"\n\n', encoding="utf-8")
    path.write_text('subject\n"two\nlines"\n""\nok\n', encoding="utf-8")
    result = run(app, ["--as", "li", "record", "import", SIMPLE_FORM, str(path)])
    assert result.exit_code == 1 and "line 4: subject (主题 Subject): is required 必填" in result.output
    bad = tmp_path / "b.csv"
    bad.write_text("subject,colour\nx,red\n", encoding="utf-8")
    result = run(app, ["--as", "li", "record", "import", SIMPLE_FORM, str(bad)])
    assert result.exit_code == 2 and "line 1: unknown column(s) colour" in result.output
    other = tmp_path / "x.ods"
    other.write_bytes(b"PK")
    assert "reads .csv, .jsonl or .xlsx files only" in run(app, ["--as", "li", "record", "import", SIMPLE_FORM, str(other)]).output
    broken = tmp_path / "x.xlsx"
    broken.write_bytes(b"PK")
    assert "x.xlsx is not an Excel workbook (.xlsx); save it again" in run(
        app, ["--as", "li", "record", "import", SIMPLE_FORM, str(broken)]).output
    assert app.store.keys("records") == []


def test_gbk_csv_as_saved_by_excel_on_chinese_windows_is_read(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    path = tmp_path / "rows.csv"
    path.write_bytes(('received_at,customer,quantity,inspector\n'
                      '2026-10-01T08:00,甲机械厂,3,"{""name"": ""张检""}"\n').encode("gbk"))
    result = run(app, ["--as", "li", "record", "import", FORM_NUMBER, str(path)])
    assert result.exit_code == 0, result.output
    assert records.get(app, "TJ-2026-0001")["data"]["customer"] == "甲机械厂"


def test_xlsx_workbook_is_imported_with_typed_cells(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    app = make_workspace(tmp_path / "ws")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["received_at", "customer", "quantity", "urgent", "inspector", "closed_at"])
    sheet.append([dt.datetime(2026, 10, 1, 8, 30), 13800138000, 3.0, "是", '{"name": "张检"}', None])
    sheet.append([None, None, None, None, None, None])  # an empty row left by Excel is skipped
    sheet.append(["2026-10-02T08:00", "乙公司", 2, False, '{"name": "李检"}', dt.datetime(2026, 10, 3)])
    book.save(tmp_path / "rows.xlsx")
    result = run(app, ["--as", "li", "record", "import", FORM_NUMBER, str(tmp_path / "rows.xlsx")])
    assert result.exit_code == 0, result.output
    assert "imported 2 record(s): TJ-2026-0001 … TJ-2026-0002" in result.output
    assert records.get(app, "TJ-2026-0001")["data"] == {
        "received_at": "2026-10-01T08:30:00", "customer": "13800138000", "quantity": 3, "urgent": True,
        "inspector": {"name": "张检"}}
    assert records.get(app, "TJ-2026-0002")["data"]["closed_at"] == "2026-10-03"
    assert records.get(app, "TJ-2026-0002")["history"][0]["note"] == "imported from rows.xlsx"

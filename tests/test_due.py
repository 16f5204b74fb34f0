"""The due-items engine: workflow deadlines of open records, plugins' items, document reviews, one list."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from recordkit import (
    FORM_NUMBER,
    PASSWORD,
    RecordsTestPlugin,
    as_user,
    good_data,
    make_workspace,
    run,
)

from qms import records
from qms.due import due_items


def test_record_deadlines_in_working_days_and_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    plugin = RecordsTestPlugin()
    plugin.due = [{"kind": "calibration", "ref": "SB-0001", "title": "校准到期 Calibration due",
                   "due": "2026-10-20T00:00:00", "owner": "sun", "dept": "设备科"}]
    app = make_workspace(tmp_path / "ws", plugin)
    li = as_user(app, "li")
    urgent = records.file(li, FORM_NUMBER, good_data(urgent=True))["number"]
    normal = records.file(li, FORM_NUMBER, good_data(received_at="2026-10-09T08:00:00"))["number"]
    found = due_items(app)
    rows = [(i["ref"], i.get("deadline"), i["due"], i["overdue"]) for i in found.items]
    assert rows == [
        (urgent, "handoff", "2026-09-30T10:30:00", True),
        (urgent, "analysis", "2026-10-15T10:00:00", False),  # 7 working days across National Day
        (normal, "analysis", "2026-10-19T08:00:00", False),  # Saturday 10 October is a working day
        ("SB-0001", None, "2026-10-20T00:00:00", False),
    ]
    assert found.items[0]["owner"] == "品质部" and found.items[0]["dept"] == "品质部"
    assert found.notes == []
    # Reaching the 'until' state ends a deadline; entering a state starts another (24 h approval).
    records.update(li, urgent, {"analysis": "来料不良"})
    records.move(li, urgent, "analysed")
    mine = [i for i in due_items(app).items if i["ref"] == urgent]
    assert [(i["deadline"], i["due"]) for i in mine] == [("approval", "2026-10-10T09:00:00")]
    monkeypatch.setenv("QMS_NOW", "2026-10-11T09:00:00")
    assert [i["overdue"] for i in due_items(app).items if i["ref"] == urgent] == [True]
    records.move(as_user(app, "wang"), urgent, "approved", password=PASSWORD)
    assert [i for i in due_items(app).items if i["ref"] == urgent] == []
    assert records.list_records(app) and {r["number"] for r in records.list_records(app)} == {urgent, normal}
    late = run(app, ["record", "list", "--overdue"])
    assert normal not in late.output


def test_due_cli_filters_by_department_and_prints_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    plugin = RecordsTestPlugin()
    plugin.due = [{"kind": "calibration", "ref": "SB-0001", "title": "校准", "due": "2026-10-01T00:00:00",
                   "owner": "sun", "dept": "设备科"}]
    app = make_workspace(tmp_path / "ws", plugin)
    number = records.file(as_user(app, "li"), FORM_NUMBER, good_data(urgent=True))["number"]
    text = run(app, ["due", "--dept", "设备科"])
    assert "逾期 OVERDUE  SB-0001" in text.output and number not in text.output
    data = json.loads(run(app, ["due", "--json"]).output)
    assert data["now"] == "2026-10-09T09:00:00"
    assert [(i["kind"], i["ref"], i["overdue"]) for i in data["items"]] == [
        ("record", number, True), ("calibration", "SB-0001", True), ("record", number, False)]
    listed = run(app, ["record", "list", "--overdue"]).output.splitlines()
    assert [line.split()[0] for line in listed if line.startswith("TJ-")] == [number]


def test_a_deadline_in_a_year_without_calendar_data_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-12-30T09:00:00")
    app = make_workspace(tmp_path / "ws")
    cfg = app.workspace.root / "qms.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("holidays = []", 'holidays = ["2027-01-01"]'), encoding="utf-8")
    from qms.app import App
    from qms.workspace import Workspace

    fresh = App(Workspace.open(app.workspace.root), app.host, "li")
    records.file(fresh, FORM_NUMBER, good_data(received_at="2026-12-30T09:00:00"))
    found = due_items(fresh)
    # Wed 30 Dec 2026 + 7 working days: 31 Dec, then 4–8 and 11 Jan (1 Jan from qms.toml, weekends off).
    assert [i["due"] for i in found.items] == ["2027-01-11T09:00:00"]
    assert found.notes and found.notes[0].startswith("2027: chinese-calendar has no holiday data")
    result = run(fresh, ["due"])
    assert "note: 2027: chinese-calendar has no holiday data" in result.output


def test_document_reviews_join_the_due_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    app = make_workspace(tmp_path / "ws")
    import qms.document_reviews

    fake = [{"kind": "document-review", "ref": "QP-7.5-01", "title": "文件控制程序", "due": "2026-10-31T23:59:59",
             "owner": "zhou", "dept": "质量管理部", "overdue": False}]
    monkeypatch.setattr(qms.document_reviews, "review_due_items", lambda app, now: fake)
    assert [i["ref"] for i in due_items(app).items] == ["QP-7.5-01"]
    assert due_items(app, dept="品质部").items == []
    assert isinstance(datetime.fromisoformat(due_items(app).items[0]["due"]), datetime)

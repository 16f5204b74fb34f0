"""Amendments after closing (linked both ways) and attachments (by sha256, size limit, tamper detection)."""

from __future__ import annotations

from pathlib import Path

import pytest
from recordkit import SIMPLE_FORM, as_user, make_workspace, run

from qms import records
from qms.app import App
from qms.errors import Refused, UsageError
from qms.verify import verify_store


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _closed(app: App, subject: str = "原始内容") -> str:
    li = as_user(app, "li")
    number = str(records.file(li, SIMPLE_FORM, {"subject": subject})["number"])
    records.move(li, number, "closed")
    return number


def test_amendment_after_close_is_a_linked_correction(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _closed(app)
    result = run(app, ["--as", "li", "record", "amend", number, "--reason", "主题录入错误", "--set", "subject=更正内容"])
    assert result.exit_code == 0, result.output
    original, correction = records.get(app, number), records.get(app, f"{number}-A1")
    assert original["data"] == {"subject": "原始内容"} and original["amended_by"] == [f"{number}-A1"]
    assert correction["data"] == {"subject": "更正内容"} and correction["amends"] == number
    assert correction["closed"] and correction["form_edition"] == original["form_edition"]
    assert f"corrected by {number}-A1: 主题录入错误" in run(app, ["record", "history", number]).output
    assert f"corrects {number}: 主题录入错误" in run(app, ["record", "history", f"{number}-A1"]).output
    with pytest.raises(Refused, match=f"already corrected by {number}-A1; amend {number}-A1 instead"):
        records.amend(as_user(app, "li"), number, "again", {"subject": "z"})
    second = records.amend(as_user(app, "li"), f"{number}-A1", "再次更正", {"subject": "第二次"})
    assert second["number"] == f"{number}-A2" and second["amends"] == f"{number}-A1"
    assert verify_store(app.store, app.workspace.root).ok


def test_amend_is_refused_for_open_records_without_reason_or_changes(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    li = as_user(app, "li")
    open_number = str(records.file(li, SIMPLE_FORM, {"subject": "x"})["number"])
    with pytest.raises(Refused, match="still open"):
        records.amend(li, open_number, "r", {"subject": "y"})
    number = _closed(app)
    with pytest.raises(UsageError, match="needs a reason"):
        records.amend(li, number, " ", {"subject": "y"})
    with pytest.raises(UsageError, match="nothing to correct"):
        records.amend(li, number, "r", {"subject": "原始内容"})
    with pytest.raises(Exception, match="must not be empty"):
        records.amend(li, number, "r", {"subject": ""})
    assert records.get(app, number)["amended_by"] == []


def test_attachment_is_stored_by_hash_and_tampering_is_detected(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    li = as_user(app, "li")
    number = str(records.file(li, SIMPLE_FORM, {"subject": "x"})["number"])
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg bytes")
    result = run(app, ["--as", "li", "record", "attach", number, str(photo)])
    assert result.exit_code == 0, result.output
    (item,) = records.get(app, number)["attachments"]
    assert item["name"] == "现场照片.jpg" and item["content_type"] == "image/jpeg" and item["size"] == 19
    blob = app.store.blob_path(item["sha256"])
    assert blob.read_bytes() == photo.read_bytes() and "现场照片" not in str(blob)
    assert records.attachment_bytes(app, records.get(app, number), item["sha256"]) == photo.read_bytes()
    assert verify_store(app.store, app.workspace.root).ok
    blob.write_bytes(b"\xff\xd8\xff swapped photo")
    report = verify_store(app.store, app.workspace.root)
    assert [(p.object, p.message) for p in report.problems] == [
        (f"attachment {item['sha256'][:12]}", "bytes differ from their recorded sha256")]
    with pytest.raises(Refused, match="was changed on disk"):
        records.attachment_bytes(app, records.get(app, number), item["sha256"])
    assert run(app, ["verify"]).exit_code == 1


def test_attachment_limits(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    cfg = app.workspace.root / "qms.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("max_attachment_mb = 20", "max_attachment_mb = 0.001"),
                   encoding="utf-8")
    from qms.workspace import Workspace

    small = App(Workspace.open(app.workspace.root), app.host, "li")
    number = str(records.file(small, SIMPLE_FORM, {"subject": "x"})["number"])
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(UsageError, match="over the 0.001 MB limit"):
        records.attach(small, number, big)
    with pytest.raises(UsageError, match="is not a readable file"):
        records.attach(small, number, tmp_path)
    records.move(small, number, "closed")
    tiny = tmp_path / "t.txt"
    tiny.write_bytes(b"ok")
    with pytest.raises(Refused, match="is closed and cannot be changed"):
        records.attach(small, number, tiny)
    assert not (app.workspace.records / "blobs").exists() or not any((app.workspace.records / "blobs").rglob("*"))

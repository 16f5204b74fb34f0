"""Retention: listing records past their period, disposal by an approver, the log keeps the fact only."""

from __future__ import annotations

from pathlib import Path

import pytest
from recordkit import PASSWORD, SIMPLE_FORM, as_user, make_workspace, run

from qms import records, retention
from qms.app import App
from qms.errors import AuthError, PermissionDenied, Refused
from qms.verify import verify_store


def _closed(app: App, monkeypatch: pytest.MonkeyPatch, when: str, subject: str) -> str:
    monkeypatch.setenv("QMS_NOW", when)
    li = as_user(app, "li")
    number = str(records.file(li, SIMPLE_FORM, {"subject": subject})["number"])
    records.move(li, number, "closed")
    return number


def test_listing_and_disposing_records_past_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_workspace(tmp_path / "ws")
    old = _closed(app, monkeypatch, "2024-03-01T10:00:00", "机密内容 secret content")
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"photo of the old record")
    monkeypatch.setenv("QMS_NOW", "2024-02-01T10:00:00")
    li = as_user(app, "li")
    kept = str(records.file(li, SIMPLE_FORM, {"subject": "still open"})["number"])
    recent = _closed(app, monkeypatch, "2026-01-05T10:00:00", "recent")
    # Attach to the old record before it closes: reopen the story with a fresh one instead.
    monkeypatch.setenv("QMS_NOW", "2024-04-01T10:00:00")
    with_photo = str(records.file(li, SIMPLE_FORM, {"subject": "with photo"})["number"])
    records.attach(li, with_photo, photo)
    records.move(li, with_photo, "closed")
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    listed = run(app, ["retention"])
    assert old in listed.output and with_photo in listed.output
    assert kept not in listed.output and recent not in listed.output
    assert any(line.split()[-5:] == ["1", "y", "after", "closed", "2025-03-01T10:00:00"] for line in listed.output.splitlines())
    with pytest.raises(PermissionDenied):
        retention.dispose(as_user(app, "li"), [old], "保存期满", PASSWORD)
    with pytest.raises(AuthError, match="wrong password"):
        retention.dispose(as_user(app, "wang"), [old], "保存期满", "bad-password")
    with pytest.raises(Refused, match=f"nothing was disposed of: {recent} is not past its retention period"):
        retention.dispose(as_user(app, "wang"), [old, recent], "保存期满", PASSWORD)
    assert app.store.get("records", old) is not None
    result = run(app, ["--as", "wang", "retention", "dispose", old, with_photo, "--reason", "保存期满",
                       "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert app.store.get("records", old) is None and app.store.get("records", recent) is not None
    sha = next(e["key"] for e in app.store.audit.entries() if e["collection"] == "blob")
    assert not app.store.blob_path(sha).exists()
    log = app.store.audit_bytes().decode("utf-8")
    assert "secret content" not in log and "photo of the old record" not in log
    entry = [e for e in app.store.audit.entries() if e["key"] == old][-2]
    assert (entry["action"], entry["state"], entry["actor"], entry["reason"]) == ("record.dispose", None, "wang", "保存期满")
    (fact, _) = retention.disposals(app)
    assert fact["number"] == old and fact["approved_by"] == "wang" and "data" not in fact
    assert fact["signature"]["meaning"] == "销毁 disposed" and fact["signature"]["ed25519"]
    assert "by wang: 保存期满" in run(app, ["retention", "log"]).output
    report = verify_store(app.store, app.workspace.root)
    assert report.ok and {s["object"] for s in report.signatures["signatures"] if s["meaning"] == "销毁 disposed"} == \
        {f"disposals/{old}", f"disposals/{with_photo}"}


def test_a_corrected_record_is_disposed_of_with_its_corrections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _closed(app, monkeypatch, "2023-01-10T10:00:00", "x")
    monkeypatch.setenv("QMS_NOW", "2023-02-10T10:00:00")
    records.amend(as_user(app, "li"), number, "typo", {"subject": "y"})
    monkeypatch.setenv("QMS_NOW", "2024-01-20T10:00:00")
    assert [i["number"] for i in retention.past_retention(app)] == []  # the correction is younger than a year
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    assert {i["number"] for i in retention.past_retention(app)} == {number, f"{number}-A1"}
    with pytest.raises(Refused, match=f"dispose of {number}-A1 with it"):
        retention.dispose(as_user(app, "wang"), [number], "保存期满", PASSWORD)
    retention.dispose(as_user(app, "wang"), [number, f"{number}-A1"], "保存期满", PASSWORD)
    assert app.store.keys("records") == []

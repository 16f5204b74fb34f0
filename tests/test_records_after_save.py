"""What a record's own values require follows from its first save (the ``qms_after_save`` hook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import qms_complaints.hooks

from qms import clock, records
from qms.errors import Refused
from qms.hookspecs import hookimpl
from qms.testing import make_app

COMPLAINT = {"received_at": "2026-10-12T09:00:00", "channel": "电话", "customer": "华美家具有限公司",
             "content": "餐椅颜色与色板不符。", "nature": "质量", "category": "整件质量问题", "sub_category": "色差"}


class Stamper:
    """A plugin that stamps each save on the record, and asks for an impossible change for one customer."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def qms_after_save(self, record: dict[str, Any], action: str, previous: dict[str, Any] | None) -> list[dict[str, Any]]:
        self.calls.append((action, previous))
        if record["data"].get("customer") == "无法处理":
            return [{"effect": "update", "record": record["number"], "fields": {"not_a_field": 1}, "reason": "test"}]
        return [{"effect": "notify", "to": "品质部", "message": f"{action} {record['number']}"}]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with clock.frozen_at("2026-10-12T09:05:00"):
        yield


def test_after_save_runs_on_filing_and_update_with_the_values_before(tmp_path: Path) -> None:
    plugin = Stamper()
    app = make_app(tmp_path / "ws", (qms_complaints.hooks, plugin)).acting_as("admin")
    number = records.file(app, "QR-8.2-01", COMPLAINT)["number"]
    records.update(app, number, {"content": "餐椅颜色偏深。"})
    assert [c[0] for c in plugin.calls] == ["file", "update"]
    assert plugin.calls[0][1] is None and plugin.calls[1][1]["content"] == "餐椅颜色与色板不符。"
    notes = [e["detail"]["message"] for e in records.audit_trail(app, number) if e["action"] == "record.notify"]
    assert notes == [f"file {number}", f"update {number}"]


def test_a_save_whose_effect_cannot_be_applied_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path / "ws", (qms_complaints.hooks, Stamper())).acting_as("admin")
    number = records.file(app, "QR-8.2-01", COMPLAINT)["number"]
    before = _files(app.workspace.records)
    with pytest.raises(Refused, match="was not saved") as refused:
        records.file(app, "QR-8.2-01", {**COMPLAINT, "customer": "无法处理"})
    assert "not_a_field" in str(refused.value)
    with pytest.raises(Refused, match="was not saved"):
        records.update(app, number, {"customer": "无法处理"})
    assert _files(app.workspace.records) == before

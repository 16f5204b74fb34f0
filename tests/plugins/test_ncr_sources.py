"""Nonconformity reports raised by the other procedures through the core's ``nonconformity`` effect.

A failed calibration, a failed acceptance and a 特殊重大 complaint each open one report in the same
transaction as the save or move that found it; a refused save opens none and uses up no number;
the same source record never opens a second report; without the NCR plugin the other procedures
work as before and the quality department is told through the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# As test_projects.py imports it: one module, so one cache of prepared project workspaces per session.
import projects_kit as pk
import pytest
import qms_complaints.hooks
import qms_equipment.hooks
import qms_projects.hooks

from qms import records
from qms.api import hookimpl
from qms.errors import Refused

from tests.plugins import complaints_kit as ck
from tests.plugins import equipment_kit as ek
from tests.plugins.ncr_kit import audit_entries, reports, with_plugins


def test_a_failed_calibration_opens_one_report_with_its_impact_list(tmp_path: Path) -> None:
    app = with_plugins(ek.make_app(tmp_path), qms_equipment.hooks)
    number = ek.registered(app, ek.instrument())["data"]["equipment_no"]
    ek.calibrated(app, number, "2026-01-09")
    with ek.at("2026-03-01T10:00:00"):
        used = records.file(app.acting_as("li"), ek.USAGE_FORM, {"item": "钢板", "inspected_on": "2026-03-01",
                                                                 "instrument": number})
    failed = ek.calibrated(app, number, "2026-08-01", "不合格")
    [report] = reports(app)
    data = report["data"]
    assert report["number"] == "NC-2026-0001" and report["state"] == "raised"
    assert (data["source"], data["source_ref"], data["raised_by"], data["severity"]) == (
        "equipment", failed["number"], "li", "严重")
    assert number in data["description"] and used["number"] in data["description"] and "影响清单 1 项" in data["description"]
    assert data["dept"] == "品质部" and data["found_on"] == "2026-08-01"
    [logged] = audit_entries(app, "record.nonconformity")
    assert logged["key"] == failed["number"] and logged["detail"]["report"] == "NC-2026-0001"


def test_without_the_ncr_plugin_a_failed_calibration_still_stops_the_instrument_and_tells_quality(tmp_path: Path) -> None:
    app = with_plugins(ek.make_app(tmp_path), qms_equipment.hooks, ncr=False)
    number = ek.registered(app, ek.instrument())["data"]["equipment_no"]
    failed = ek.calibrated(app, number, "2026-08-01", "不合格")
    assert failed["state"] == "confirmed" and reports(app) == []
    notes = [e for e in audit_entries(app, "record.notify") if "nonconformity" in (e.get("detail") or {})]
    assert len(notes) == 1 and notes[0]["detail"]["to"] == "质量管理部"
    assert notes[0]["detail"]["nonconformity"]["ref"] == failed["number"]
    assert "no procedure files nonconformity reports" in notes[0]["reason"]


def test_a_failed_acceptance_opens_a_report_beside_its_rectification_order(tmp_path: Path) -> None:
    app = with_plugins(pk.make_app(tmp_path, "fitout-materials"), qms_projects.hooks)
    result = pk.demo(app).accept("XM-2026-0001", "2026-10-15T10:00:00", "ma", "板材进场验收", "不合格",
                                 findings="含水率超标", treatment="退场更换", responsible="guo",
                                 rectify_by="2026-10-17T18:00:00")
    [report] = reports(app)
    data = report["data"]
    assert (data["source"], data["source_ref"], data["raised_by"], data["dept"]) == (
        "project", result["acceptance"]["number"], "ma", "项目部")
    assert "板材进场验收" in data["description"] and "含水率超标" in data["description"]
    assert result["rectification"] is not None  # the project's own rectification order is still issued


def test_a_special_major_complaint_opens_a_report_from_its_first_save(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks)
    number = ck.file(app, legal_action=True)
    assert records.get(app, number)["data"]["severity"] == "特殊重大"
    [report] = reports(app)
    assert (report["data"]["source"], report["data"]["source_ref"], report["data"]["raised_by"]) == (
        "complaint", number, "zhao")
    assert report["data"]["severity"] == "严重" and "华美家具有限公司" in report["data"]["description"]
    ck.to_investigating(app, number)  # later saves and moves of the same complaint open no second report
    assert len(reports(app)) == 1


def test_an_ordinary_complaint_opens_no_report(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks)
    ck.file(app, compensation_claimed=True)  # 重大: the general manager is told, no report
    assert reports(app) == []


class _Raiser:
    """A procedure that finds a nonconformity on every save of a complaint, and optionally fails afterwards."""

    def __init__(self, then_fail: bool = False, summary: str = "色差超标") -> None:
        self.then_fail, self.summary = then_fail, summary

    @hookimpl
    def qms_after_save(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        if record.get("form") != "QR-8.2-01":
            return []
        found = [{"effect": "nonconformity", "source": "internal", "ref": record["number"], "summary": self.summary,
                  "dept": "品质部", "severity": "一般", "reason": "每次保存都发现 found on every save"}]
        if self.then_fail:
            found.append({"effect": "update", "record": "KS-2099-9999", "fields": {}, "reason": "no such record"})
        return found


def test_the_same_source_record_never_opens_a_second_report(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks, _Raiser())
    number = ck.file(app)
    with ck.at("2026-10-12T10:00:00"):
        records.update(app.acting_as("zhao"), number, {"contact_person": "刘经理"})
        records.update(app.acting_as("zhao"), number, {"contact_phone": "13800000000"})
    [report] = reports(app)
    assert report["data"]["source_ref"] == number
    logged = audit_entries(app, "record.nonconformity")
    assert [e["detail"]["filed"] for e in logged] == [True, False, False]
    assert all(e["detail"]["report"] == report["number"] for e in logged)


def test_a_refused_save_leaves_no_report_and_uses_up_no_number(tmp_path: Path) -> None:
    failing = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks, _Raiser(then_fail=True))
    with ck.at("2026-10-12T09:05:00"), pytest.raises(Refused, match="was not saved"):
        records.file(failing.acting_as("zhao"), "QR-8.2-01", ck.complaint())
    assert reports(failing) == [] and records.list_records(failing, "QR-8.2-01") == []
    assert audit_entries(failing, "record.nonconformity") == []
    working = with_plugins(failing, qms_complaints.hooks, _Raiser())
    number = ck.file(working)
    assert number == "KS-2026-0001" and [r["number"] for r in reports(working)] == ["NC-2026-0001"]


def test_a_nonconformity_without_a_summary_refuses_the_save(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks, _Raiser(summary=" "))
    with ck.at("2026-10-12T09:05:00"), pytest.raises(Refused, match="needs the source record's number"):
        records.file(app.acting_as("zhao"), "QR-8.2-01", ck.complaint())
    assert reports(app) == [] and records.list_records(app, "QR-8.2-01") == []


def test_a_workspace_without_the_report_form_still_saves_and_tells_quality_why(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks)
    (app.workspace.forms / "QR-10.2-01.yaml").unlink()  # a workspace made before the NCR plugin was installed
    number = ck.file(app, legal_action=True)
    assert records.get(app, number)["data"]["severity"] == "特殊重大"  # the complaint is saved all the same
    notes = [e for e in audit_entries(app, "record.notify") if "nonconformity" in (e.get("detail") or {})]
    assert len(notes) == 1 and notes[0]["detail"]["to"] == "质量管理部"
    assert "QR-10.2-01" in notes[0]["reason"] and "record and correct it by hand" in notes[0]["reason"]


def test_an_import_of_special_major_complaints_opens_one_report_each_in_its_commit(tmp_path: Path) -> None:
    app = with_plugins(ck.make_app(tmp_path), qms_complaints.hooks)
    rows = [ck.complaint(legal_action=True, customer=name) for name in ("甲公司", "乙公司")]
    with ck.at("2026-10-12T09:05:00"):
        numbers = records.file_many(app.acting_as("zhao"), "QR-8.2-01", rows)
    found = reports(app)
    assert [(r["data"]["source_ref"], r["data"]["raised_by"]) for r in found] == [(n, "zhao") for n in numbers]
    assert [r["number"] for r in found] == ["NC-2026-0001", "NC-2026-0002"]

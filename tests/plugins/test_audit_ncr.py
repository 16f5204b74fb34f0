"""QP-9.2-01 with QP-10.2-01: a nonconformity found in an internal audit (严重 or 一般) opens a
nonconformity report, one per finding, filed with the save that recorded it; an observation opens none."""

from __future__ import annotations

from pathlib import Path

import pytest
import qms_audit.hooks
import qms_ncr.hooks
from audit_kit import NOW, audit, make_app
from qms_audit import service

from qms import records
from qms.app import App
from qms.errors import ValidationFailed

NCR = "QR-10.2-01"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path, (qms_audit.hooks, qms_ncr.hooks))


def reports(app: App) -> list[dict]:
    return records.find(app, NCR)


def test_a_nonconformity_opens_a_report_and_an_observation_none(app: App) -> None:
    number = service.new_audit(app, audit())["number"]
    service.add_finding(app, number, {"clause": "8.2", "grade": "观察项", "description": "回访方式空白"})
    assert reports(app) == []

    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准标识过期仍在使用"})
    (report,) = reports(app)
    data = report["data"]
    assert (data["source"], data["source_ref"], data["dept"], data["severity"]) == ("audit", f"{number}/2", "品质部", "一般")
    assert "卡尺校准标识过期仍在使用" in data["description"] and data["raised_by"] == "zhou"

    # Saving the audit again opens no second report for the same finding.
    records.update(app, number, {"audited_on": "2026-10-20"})
    assert len(reports(app)) == 1

    # The observation raised to 严重 opens its own report.
    findings = [{**f, "grade": "严重"} if f["no"] == 1 else f for f in records.get(app, number)["data"]["findings"]]
    records.update(app, number, {"findings": findings})
    assert sorted((r["data"]["source_ref"], r["data"]["severity"]) for r in reports(app)) == [
        (f"{number}/1", "严重"), (f"{number}/2", "一般")]


def test_the_audit_report_names_the_report_each_nonconformity_opened(app: App) -> None:
    number = service.new_audit(app, audit())["number"]
    service.add_finding(app, number, {"clause": "8.2", "grade": "观察项", "description": "回访方式空白"})
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准标识过期仍在使用"})
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "严重", "description": "无校准记录"})
    by_ref = {r["data"]["source_ref"]: r["number"] for r in reports(app)}
    rows = service.report_data(app, number)["findings"]
    assert [(row[0], row[-1]) for row in rows] == [
        (1, "—"), (2, by_ref[f"{number}/2"]), (3, by_ref[f"{number}/3"])]
    assert len(set(by_ref.values())) == 2 and all(n.startswith("NC-") for n in by_ref.values())


def test_a_refused_finding_opens_no_report(app: App) -> None:
    number = service.new_audit(app, audit())["number"]
    with pytest.raises(ValidationFailed, match="not among the audited clauses"):
        service.add_finding(app, number, {"clause": "8.5.1", "grade": "严重", "description": "x"})
    assert reports(app) == [] and "findings" not in records.get(app, number)["data"]

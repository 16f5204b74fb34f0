"""QP-9.3-01 management review: inputs gathered from the system under every 9.3.2 heading, outputs tracked in
``qms due``, approval by the 总经理 only, previous actions carried forward, and the minutes PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import qms_review.hooks
from click.testing import CliRunner, Result
from pypdf import PdfReader

from qms import due, records
from qms.app import App
from qms.cli import make_cli
from qms.errors import Refused, ValidationFailed
from qms.figures import by_plugin as figures_by_plugin
from qms.hookspecs import hookimpl
from qms_review import inputs, service
from tests.plugins.complaints_kit import complaint
from tests.plugins.equipment_kit import machine
from tests.plugins.review_kit import PASSWORD, approve, at, hold, make_app, new_review

HEADINGS = ["9.3.2 a)", "9.3.2 b)", "9.3.2 c) 1)", "9.3.2 c) 2)", "9.3.2 c) 3)", "9.3.2 c) 4)", "9.3.2 c) 5)",
            "9.3.2 c) 6)", "9.3.2 c) 7)", "9.3.2 d)", "9.3.2 e)", "9.3.2 f)"]


def run_cli(app: App, moment: str, *args: str, input: str | None = None) -> Result:
    with at(moment):
        return CliRunner().invoke(make_cli(app.host), ["--workspace", str(app.workspace.root), *args], input=input,
                                  catch_exceptions=False)


def heading(record: dict[str, Any], key: str) -> dict[str, Any]:
    return next(h for h in record["data"]["inputs"] if h["key"] == key)


def ids(record: dict[str, Any], key: str) -> list[str]:
    return [f["id"] for f in heading(record, key)["figures"]]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def _records_of_other_procedures(app: App) -> None:
    """A complaint in October and a machine in the equipment register."""
    from qms_equipment import service as equipment

    with at("2026-10-12T09:05:00"):
        records.file(app.acting_as("zhao"), "QR-8.2-01", complaint())
    with at("2026-01-08T10:00:00"):
        equipment.register_equipment(app.acting_as("sun"), machine())
    with at("2026-11-02T10:00:00"):  # after the review period: not in its figures
        equipment.register_equipment(app.acting_as("sun"), machine(name="钢筋弯曲机", acceptance_date="2026-11-02"))


def test_the_inputs_hold_every_9_3_2_heading_filled_from_the_other_procedures_records(app: App) -> None:
    _records_of_other_procedures(app)
    review = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")
    assert review["number"] == "GP-2026-0001" and review["state"] == "draft"
    assert [h["clause"] for h in review["data"]["inputs"]] == HEADINGS
    # Figures from the complaints and equipment records, placed by what they measure, with their source.
    assert "complaints.received" in ids(review, "customer") and "complaints.by_category" in ids(review, "customer")
    received = next(f for f in heading(review, "customer")["figures"] if f["id"] == "complaints.received")
    assert received["data"]["value"] == 1 and received["procedures"] == ["QP-8.2-01"]
    assert ids(review, "improvement") == ["complaints.recurring_causes"]
    assert set(ids(review, "monitoring")) == {"equipment.calibration_on_time", "equipment.overdue"}
    assert set(ids(review, "resources")) == {"equipment.intact_rate", "equipment.downtime"}
    intact = next(f for f in heading(review, "resources")["figures"] if f["id"] == "equipment.intact_rate")
    assert intact["data"]["total"] == 1  # the machine registered after the period is left out
    # Objectives are measured against their targets from the same figures.
    (objectives,) = heading(review, "objectives")["figures"]
    rows = {r[0]: r for r in objectives["data"]["rows"]}
    assert rows["设备完好率 Equipment intact rate"][1:] == ["≥ 95%", "100%", "达成 Met"]
    assert rows["关口通过率 Gate pass rate"][3] == "无数据 No data"  # no projects plugin here
    # Headings the system has nothing for say so plainly.
    for key in ("issues", "nonconformities", "audits", "providers", "risks"):
        assert heading(review, key)["empty"] and heading(review, key)["note"] == inputs.NO_DATA
    assert heading(review, "previous_actions")["note"].startswith("首次管理评审")
    assert {s["plugin"] for s in review["data"]["sources"]} == {"qms_complaints.hooks", "qms_equipment.hooks",
                                                                 "qms_review.hooks"}


def test_with_no_other_procedure_installed_every_heading_is_still_there_and_says_no_data(tmp_path: Path) -> None:
    alone = make_app(tmp_path, (qms_review.hooks,))
    review = new_review(alone, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")
    assert [h["clause"] for h in review["data"]["inputs"]] == HEADINGS
    assert [h["key"] for h in review["data"]["inputs"] if not h["empty"]] == ["objectives"]
    assert {r[3] for r in heading(review, "objectives")["figures"][0]["data"]["rows"]} == {"无数据 No data"}


class _Broken:
    """A procedure plugin whose figures fail."""

    @hookimpl
    def qms_figures(self) -> list[dict[str, Any]]:
        raise RuntimeError("database of the broken procedure is gone")


class _Odd:
    """A procedure plugin giving a figure of a kind nobody draws, with a date in its data."""

    @hookimpl
    def qms_figures(self) -> list[dict[str, Any]]:
        from datetime import date

        return [{"id": "supplier.rating", "title": "供方评价 Supplier rating", "kind": "gauge",
                 "data": {"value": 87, "rated_on": date(2026, 10, 30)}}]


def test_a_plugin_whose_figures_fail_is_named_and_the_others_are_still_gathered(tmp_path: Path) -> None:
    from tests.plugins.review_kit import PLUGINS

    shaky = make_app(tmp_path, (*PLUGINS, _Broken(), _Odd()))
    review = new_review(shaky, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")
    (odd,) = heading(review, "providers")["figures"]
    assert (odd["kind"], odd["data"]) == ("table", {"value": 87, "rated_on": "2026-10-30"})
    (broken,) = [s for s in review["data"]["sources"] if s["plugin"] == "_Broken"]
    assert broken == {"plugin": "_Broken", "procedures": [], "figures": 0,
                      "error": "RuntimeError: database of the broken procedure is gone"}
    assert "complaints.received" in ids(review, "customer")


def test_inputs_are_gathered_not_typed(app: App) -> None:
    typed = {"period_start": "2026-01-01", "period_end": "2026-10-31", "gathered_at": "2026-11-03T09:00:00",
             "inputs": [{"key": "customer", "clause": "9.3.2 c) 1)", "title": "顾客满意", "figures": []}]}
    with at("2026-11-03T09:00:00"), pytest.raises(ValidationFailed, match="must hold every ISO 9001 9.3.2 input"):
        records.file(app.acting_as("zhou"), "QR-9.3-01", typed)
    assert records.find(app, form="QR-9.3-01") == []
    review = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")
    better = [{**h, "figures": [], "empty": True} if h["key"] == "customer" else h for h in review["data"]["inputs"]]
    with at("2026-11-03T10:00:00"), pytest.raises(ValidationFailed, match="gathered from the system, not typed"):
        records.update(app.acting_as("zhou"), review["number"], {"inputs": better})
    assert records.get(app, review["number"])["data"] == review["data"]


def test_only_the_general_manager_approves_and_anyone_else_is_refused_in_one_line(app: App) -> None:
    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    hold(app, number, "2026-11-05T09:00:00")
    before = records.get(app, number)
    entries = len(list(app.store.audit.entries()))
    for args in (("--as", "chen", "review", "approve", number, "--password-stdin"),
                 ("--as", "chen", "record", "move", number, "approved", "--password-stdin")):
        result = run_cli(app, "2026-11-05T15:00:00", *args, input=PASSWORD + "\n")
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
        assert "总经理" in result.output and "chen has post 管理者代表" in result.output
    assert records.get(app, number) == before and len(list(app.store.audit.entries())) == entries
    result = run_cli(app, "2026-11-05T16:00:00", "--as", "wang", "review", "approve", number, "--password-stdin",
                     input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    approved = records.get(app, number)
    (signature,) = approved["signatures"]
    assert approved["state"] == "approved" and signature["name"] == "wang" and signature["post"] == "总经理"
    assert signature["meaning"] == "批准 management review approved"


def test_a_review_is_approved_only_after_the_meeting(app: App) -> None:
    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    with pytest.raises(Refused, match="no transition from draft to approved"):
        approve(app, number, "2026-11-05T16:00:00")


def test_outputs_are_due_items_of_their_owners_until_done_and_the_review_closes_only_then(app: App) -> None:
    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    hold(app, number, "2026-11-05T09:00:00", (("资源需求", "增购备用压力表", "sun", "2026-11-30"),
                                             ("改进机会", "调整派工规则", "zhao", "2026-11-20")))
    approve(app, number, "2026-11-05T16:00:00")
    with at("2026-11-25T09:00:00"):
        items = [i for i in due.due_items(app).items if i["ref"] == number]
    assert [(i["owner"], i["dept"], i["due"], i["overdue"]) for i in items] == [
        ("zhao", "业务部", "2026-11-20T23:59:59", True), ("sun", "设备科", "2026-11-30T23:59:59", False)]
    assert items[1]["kind"] == "review-output" and "增购备用压力表" in items[1]["title"]
    with at("2026-11-25T10:00:00"), pytest.raises(Refused, match="outputs not yet done: 1 增购备用压力表; 2 调整派工规则"):
        records.move(app.acting_as("zhou"), number, "closed")
    result = run_cli(app, "2026-11-26T10:00:00", "--as", "sun", "review", "done", number, "1", "--result", "已购入并送检")
    assert result.exit_code == 0 and "1 open" in result.output, result.output
    with at("2026-11-26T10:00:00"):
        assert [i["owner"] for i in due.due_items(app).items if i["ref"] == number] == ["zhao"]
        (own,) = [s for s in figures_by_plugin(app) if s["plugin"] == "qms_review.hooks"]
        shown = {f["id"]: f["data"] for f in own["figures"]}
        assert shown["review.open_outputs"]["value"] == 1 and shown["review.open_outputs"]["overdue"] == 1
        assert shown["review.held"]["value"] == 1 and own["procedures"] == ["QP-9.3-01"]
        service.complete_output(app.acting_as("zhao"), number, 2, "派工规则已修订", None)
        assert [i for i in due.due_items(app).items if i["ref"] == number] == []
        records.move(app.acting_as("zhou"), number, "closed")
    assert records.get(app, number)["closed"]


def test_the_web_board_lists_the_reviews_and_marks_overdue_outputs(app: App) -> None:
    from datetime import datetime

    from qms.recordquery import record_query

    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    hold(app, number, "2026-11-05T09:00:00", (("资源需求", "增购备用压力表", "sun", "2026-11-30"),
                                             ("改进机会", "调整派工规则", "zhao", "2026-11-20")))
    assert {"slug": "management-review", "title": "管理评审", "title_en": "Management review"} in app.host.web_pages()
    page = app.host.web_page("management-review", record_query(app), datetime(2026, 11, 25, 9), app.calendar, {})
    assert page is not None
    outputs, reviews = page["sections"]
    assert [(row[1], row[4], row[6]) for row in outputs["rows"]] == [
        (1, "sun", "进行中 Open"), (2, "zhao", {"text": "逾期 Overdue", "tone": "late"})]
    assert reviews["rows"][0][0] == {"text": number, "record": number} and reviews["rows"][0][3] == "已召开 Held"
    assert [f["value"] for f in page["figures"]] == [1, 2, 1]


def test_an_outputs_due_date_counts_working_days_from_the_meeting(app: App) -> None:
    number = new_review(app, "2026-01-01", "2026-09-25", "2026-09-28T09:00:00")["number"]
    hold(app, number, "2026-09-30T10:00:00")
    # Five working days after 30 September run past the National Day holiday (1–7 October) and its
    # adjusted working Saturday (10 October): 8, 9, 10, 12, 13 October.
    result = run_cli(app, "2026-09-30T11:00:00", "--as", "zhou", "review", "output", number, "--kind", "改进机会",
                     "--action", "复核关口评审记录", "--owner", "li", "--within", "5wd")
    assert result.exit_code == 0 and "due 2026-10-13" in result.output, result.output
    refused = run_cli(app, "2026-09-30T11:00:00", "--as", "zhou", "review", "output", number, "--kind", "资源需求",
                      "--action", "x", "--owner", "li", "--due", "2026-10-03")
    assert refused.exit_code == 2 and "2026-10-03 is not a working day" in refused.output
    unknown = run_cli(app, "2026-09-30T11:00:00", "--as", "zhou", "review", "output", number, "--kind", "资源需求",
                      "--action", "x", "--owner", "nobody", "--due", "2026-10-09")
    assert unknown.exit_code != 0 and "no user 'nobody'" in unknown.output
    assert [o["owner"] for o in records.get(app, number)["data"]["outputs"]] == ["li"]


def test_the_previous_reviews_outputs_are_the_next_reviews_first_input(app: App) -> None:
    first = new_review(app, "2025-01-01", "2025-12-31", "2026-01-19T10:00:00")["number"]
    hold(app, first, "2026-01-20T09:00:00", (("资源需求", "指定专职计量员", "li", "2026-03-31"),
                                            ("改进机会", "投诉交接纳入考核", "zhao", "2026-06-30")))
    approve(app, first, "2026-01-21T16:00:00")
    with at("2026-03-20T15:00:00"):
        service.complete_output(app.acting_as("li"), first, 1, "李品质任计量员", "2026-03-20")
    second = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")
    assert second["data"]["previous_review"] == first
    (carried,) = heading(second, "previous_actions")["figures"]
    assert carried["source"] == first and "1/2 已完成 done" in carried["title"]
    assert [[r[0], r[2], r[5], r[6]] for r in carried["data"]["rows"]] == [
        ["1", "指定专职计量员", "2026-03-20", "已完成 Done"], ["2", "投诉交接纳入考核", "—", "逾期 Overdue"]]


def test_what_the_meeting_saw_and_decided_does_not_change_afterwards(app: App) -> None:
    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    with at("2026-11-04T09:00:00"):
        service.regather(app.acting_as("zhou"), number)  # before the meeting the figures may be refreshed
    hold(app, number, "2026-11-05T09:00:00", (("资源需求", "增购备用压力表", "sun", "2026-11-30"),))
    zhou = app.acting_as("zhou")
    with at("2026-11-05T10:00:00"):
        with pytest.raises(Refused, match="kept as the meeting saw them"):
            service.regather(zhou, number)
        inputs_now = records.get(app, number)["data"]["inputs"]
        changed = [{**h, "figures": []} for h in inputs_now]
        with pytest.raises(ValidationFailed, match="only each input's assessment may still be written"):
            records.update(zhou, number, {"inputs": changed})
        assessed = [{**h, "assessment": "投诉稳定"} if h["key"] == "customer" else h for h in inputs_now]
        records.update(zhou, number, {"inputs": assessed})  # the meeting's view of an input is written
    approve(app, number, "2026-11-05T16:00:00")
    with at("2026-11-06T09:00:00"):
        for change in ({"conclusion": "改写结论"},
                       {"outputs": [{"no": 1, "kind": "资源需求", "action": "改为两台", "owner": "sun", "due": "2026-11-30",
                                     "dept": "设备科"}]}):
            with pytest.raises(ValidationFailed, match="approved"):
                records.update(zhou, number, change)
    assert records.get(app, number)["data"]["conclusion"] == "体系适宜、充分、有效。"


def test_the_minutes_pdf_shows_every_input_with_its_figures_the_outputs_and_the_approval(app: App,
                                                                                       tmp_path: Path) -> None:
    _records_of_other_procedures(app)
    number = new_review(app, "2026-01-01", "2026-10-31", "2026-11-03T09:00:00")["number"]
    hold(app, number, "2026-11-05T09:00:00", (("资源需求", "增购备用压力表", "sun", "2026-11-30"),))
    approve(app, number, "2026-11-05T16:00:00")
    out = tmp_path / "minutes.pdf"
    result = run_cli(app, "2026-11-06T09:00:00", "record", "pdf", number, "-o", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", " ")
    flat = re.sub(r"\s+", "", text)  # a table cell wraps its text over lines
    assert "管理评审报告" in text and number in text
    for clause in HEADINGS:
        assert clause in text, clause
    for title in ("投诉类别 Complaints by category", "设备完好率 Equipment intact rate", "质量目标达成情况",
                  "增购备用压力表", "体系适宜、充分、有效。", "王总经理", "批准 management review approved"):
        assert re.sub(r"\s+", "", title) in flat, title
    assert text.count(inputs.NO_DATA.split(" ")[0]) >= 5  # issues, NC, audits, providers, risks
    # The charts are drawn as vectors, so each bar's label is text in the PDF.
    assert "严重程度 Complaints by severity" in text

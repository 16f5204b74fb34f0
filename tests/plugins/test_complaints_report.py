"""The monthly complaint analysis: its figures on known records, the CLI, the PDF, the dashboard hook and the demo step."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from qms_complaints import figures, report

from qms.app import App
from qms.cli import make_cli
from qms.errors import UsageError
from qms.recordquery import record_query
from tests.plugins.complaints_kit import (
    CUSTOMER,
    PASSWORD,
    file,
    make_app,
    step,
    to_investigating,
)

NOW = datetime(2026, 11, 2, 9, 0)


def _record(number: str, data: dict[str, Any], moves: list[tuple[str, str]]) -> dict[str, Any]:
    history = [{"at": data["received_at"], "from": None, "to": "received"}]
    state = "received"
    for at, target in moves:
        history.append({"at": at, "from": state, "to": target})
        state = target
    return {"number": number, "form": "QR-8.2-01", "state": state, "closed": state == "closed", "data": data,
            "history": history, "amended_by": []}


def _october() -> list[dict[str, Any]]:
    a = _record("KS-2026-0002", {"received_at": "2026-10-05T09:00:00", "category": "补件", "sub_category": "缺件",
                                 "host_dept": "品质部", "main_causes": [{"category": "法", "text": "未扫码"}]},
                [("2026-10-05T09:20:00", "registered"), ("2026-10-05T09:45:00", "assigned"), ("2026-10-15T09:00:00", "closed")])
    b = _record("KS-2026-0003", {"received_at": "2026-10-10T09:00:00", "category": "物业质量", "sub_category": "渗漏",
                                 "complainant_count": 12, "host_dept": "品质部",
                                 "main_causes": [{"category": "法", "text": "未做闭水试验"}]},
                [("2026-10-10T09:40:00", "registered"), ("2026-10-10T09:50:00", "assigned"), ("2026-10-30T09:00:00", "closed")])
    c = _record("KS-2026-0004", {"received_at": "2026-10-20T09:00:00", "category": "补件", "sub_category": "错件",
                                 "host_dept": "业务部", "goods_returned": True, "goods_received_at": "2026-10-21T10:00:00"},
                [("2026-10-20T09:10:00", "registered")])
    d = _record("KS-2026-0001", {"received_at": "2026-09-20T09:00:00", "category": "服务", "sub_category": "服务态度"},
                [("2026-09-20T09:05:00", "registered"), ("2026-09-20T09:10:00", "assigned"), ("2026-10-02T09:00:00", "closed")])
    e = _record("KS-2026-0005", {"received_at": "2026-11-01T09:00:00", "category": "其他"}, [])
    return [a, b, c, d, e]


def test_monthly_figures_on_known_records() -> None:
    visits = [{"number": "HF-2026-0001", "data": {"complaint": "KS-2026-0002", "visited_at": "2026-10-20T10:00:00",
                                                  "satisfaction": "满意"}}]
    out = report.monthly(_october(), visits, "2026-10", NOW)
    assert (out["received"], out["closed"], out["open"], out["overdue"]) == (3, 3, 1, 1)
    assert out["as_of"] == "2026-11-01T00:00:00"
    assert out["by_category"] == [{"label": "补件", "value": 2}, {"label": "物业质量", "value": 1}]
    assert out["by_severity"] == [{"label": "一般", "value": 2}, {"label": "重大", "value": 0}, {"label": "特殊重大", "value": 1}]
    assert out["by_dept"] == [{"label": "品质部", "value": 2}, {"label": "业务部", "value": 1}]
    t = out["time_to_close"]
    assert (t["count"], t["mean_days"], t["p90_days"]) == (3, 14.0, 20.0)
    h = out["handoff"]
    assert (h["registration"]["within"], h["registration"]["total"]) == (2, 3)
    assert (h["assignment"]["within"], h["assignment"]["total"]) == (2, 3)
    assert h["both"]["share"] == pytest.approx(1 / 3, abs=1e-4)
    # Goods arrived 21 October 10:00; 7 working days later is 30 October 10:00, and nothing was recorded by then.
    assert out["analysis"]["items"] == [{"number": "KS-2026-0004", "arrived": "2026-10-21T10:00:00",
                                         "due": "2026-10-30T10:00:00", "completed": None, "outcome": "late"}]
    assert out["analysis"]["share"] == 0.0
    [open_row] = out["open_list"]
    assert open_row["number"] == "KS-2026-0004" and open_row["state"] == "registered"
    assert "分派超时 assignment overdue" in open_row["overdue"] and any("退货分析" in o for o in open_row["overdue"])
    assert out["recurring_causes"] == [{"cause": "法 Method", "count": 2, "complaints": ["KS-2026-0002", "KS-2026-0003"],
                                        "examples": ["未扫码", "未做闭水试验"]}]
    assert out["satisfaction"][0] == {"label": "满意", "value": 1}
    ids = [f["id"] for f in figures.figures(out)]
    assert "complaints.by_category" in ids and "complaints.handoff_30min" in ids and "complaints.open" in ids


def test_the_running_month_is_measured_up_to_now_and_p90_uses_nearest_rank() -> None:
    out = report.monthly(_october(), [], "2026-11", NOW)
    assert out["as_of"] == "2026-11-02T09:00:00" and out["received"] == 1
    assert report.p90([1.0] * 9 + [50.0]) == 1.0 and report.p90([1.0] * 8 + [40.0, 50.0]) == 40.0
    assert report.p90([]) is None


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-12", ""])
def test_a_bad_or_future_month_is_refused_in_one_line(month: str) -> None:
    with pytest.raises(UsageError) as refused:
        report.period(month, NOW)
    assert "\n" not in str(refused.value)


def _closed(app: App) -> str:
    number = file(app)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-13T09:00:00", "reply_drafted", CUSTOMER)
    step(app, number, "chen", "2026-10-13T10:00:00", "reply_approved", sign=True)
    step(app, number, "zhao", "2026-10-13T11:00:00", "replied", {"replied_at": "2026-10-13T10:55:00", "reply_method": "电话"})
    step(app, number, "li", "2026-10-13T12:00:00", "closed", {"closed_at": "2026-10-13"})
    return number


def _report(app: App, *args: str) -> Any:
    base = ["--workspace", str(app.workspace.root), "--as", "li", "complaints", "report"]
    return CliRunner().invoke(make_cli(app.host), [*base, *args], env={"QMS_NOW": "2026-11-02T09:00:00"},
                              catch_exceptions=False)


def test_report_command_json_and_dashboard_figures(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    number = _closed(app)
    as_json = _report(app, "--month", "2026-10", "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["closed"] == 1 and data["time_to_close"]["closed"][0]["number"] == number
    text = _report(app, "--month", "2026-10")
    assert "received 1, closed 1, open 0, overdue 0" in text.output
    bad = _report(app, "--month", "2026/10")
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "YYYY-MM" in bad.output
    # The same figures through the dashboard hook.
    figures = {f["id"]: f for f in app.host.figures(record_query(app), datetime(2026, 10, 31, 12, 0), app.calendar, app.workspace.config.raw)}
    assert figures["complaints.time_to_close.mean"]["data"]["value"] == data["time_to_close"]["mean_days"]
    assert figures["complaints.by_category"]["data"] == [{"label": "整件质量问题", "value": 1}]


@pytest.mark.slow
def test_report_pdf_has_the_figures_charts_and_embedded_json(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    number = _closed(app)
    target = tmp_path / "complaints-2026-10.pdf"
    made = _report(app, "--month", "2026-10", "-o", str(target))
    assert made.exit_code == 0, made.output
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("客户投诉月度统计分析报告", "QP-8.2-01/2026-10", number, "按类别", "整件质量问题", "报告 REPORT", "第 1 页"):
        assert expected in text, expected
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("CJK" in name for name in fonts)
    embedded = json.loads(reader.attachments["report.json"][0])
    assert embedded["closed"] == 1 and embedded["month"] == "2026-10"
    again = tmp_path / "again.pdf"
    assert _report(app, "--month", "2026-10", "-o", str(again)).exit_code == 0
    assert again.read_bytes() == target.read_bytes()  # the same figures at the same chain head: the same bytes
    # The report carries the audit log's signed head it was made at, for the management review minutes.
    last = app.store.audit.last()
    assert last is not None and f"链头 chain head #{last['seq']} {last['hash'][:16]}" in text
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert f"<qmschain:hash>{last['hash']}</qmschain:hash>" in xmp


def test_visit_and_escalate_commands(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    number = _closed(app)
    cli = make_cli(app.host)
    env = {"QMS_NOW": "2026-10-20T10:00:00"}
    base = ["--workspace", str(app.workspace.root), "--as", "zhao", "complaints"]
    unhappy = CliRunner().invoke(cli, [*base, "visit", number, "--method", "电话沟通", "--satisfaction", "不满意"], env=env)
    assert unhappy.exit_code == 1 and "dissatisfaction_reason" in unhappy.output
    ok = CliRunner().invoke(cli, [*base, "visit", number, "--method", "电话沟通", "--satisfaction", "不满意",
                                  "--reason", "嫌慢", "--alternatives-told"], env=env)
    assert ok.exit_code == 0 and "HF-2026-0001" in ok.output
    shown = CliRunner().invoke(cli, [*base, "show", number, "--json"], env=env)
    assert json.loads(shown.output)["visits"][0]["number"] == "HF-2026-0001"
    nothing = CliRunner().invoke(cli, [*base, "escalate"], env=env)
    assert nothing.exit_code == 0 and "nothing to escalate" in nothing.output
    cats = CliRunner().invoke(cli, [*base, "categories"], env=env)
    assert "物业管理: 保安、保洁、绿化、维修、服务、其他" in cats.output
    assert PASSWORD  # the kit's users all share this password


@pytest.mark.slow
def test_demo_step_files_the_scenarios_and_renders_the_reports(tmp_path: Path) -> None:
    from qms_complaints.demo import step_complaints

    from qms.demo import DEMO_PASSWORD, DEMO_USERS, DemoContext
    from qms.testing import make_app as make_plugin_app
    from tests.plugins.complaints_kit import PLUGINS

    app = make_plugin_app(tmp_path / "demo", PLUGINS, DEMO_USERS, password=DEMO_PASSWORD)
    ctx = DemoContext(app=app)
    step_complaints(ctx)
    from qms import records

    complaints = records.list_records(app, "QR-8.2-01")
    assert len(complaints) == 8 and sum(r["closed"] for r in complaints) == 6
    branches = {r["data"].get("responsibility") for r in complaints if r["closed"]}
    assert branches == {"客户原因", "公司内部"}
    visits = records.list_records(app, "QR-8.2-02")
    assert len(visits) == 6 and all(v["closed"] for v in visits)
    escalated = [r for r in complaints if r["data"].get("escalated_at")]
    assert [r["data"]["received_at"][:10] for r in escalated] == ["2026-08-20"]
    for month in ("2026-10", "2026-11"):
        assert (app.workspace.records / "pdf" / "reports" / f"QP-8.2-01_{month}.pdf").is_file()
    assert "escalated KS-2026-0001" in " ".join(ctx.lines)

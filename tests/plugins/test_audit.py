"""QP-9.2-01 internal audit: the auditor's independence, the checklist from the clause map, finding
grades, the programme's status, due items, figures and the report PDF, through the real engines."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from audit_kit import NOW, PASSWORD, audit, make_app, programme
from click.testing import CliRunner
from pypdf import PdfReader
from qms_audit import service
from qms_audit.figures import dashboard

from qms import records
from qms.app import App
from qms.cli import build
from qms.due import due_items
from qms.errors import QMSError, Refused, ValidationFailed
from qms.recordquery import record_query

AUDIT, PROGRAMME = "QR-9.2-02", "QR-9.2-01"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path)


def cli(app: App, *args: str) -> tuple[int, str]:
    argv = ["--workspace", str(app.workspace.root), *args]
    result = CliRunner().invoke(build(argv), argv, env={"QMS_PASSWORD": PASSWORD})
    return result.exit_code, result.output


def stored(app: App) -> tuple[int, int]:
    """Records of the audit form and the audit log's length: what a refused command must leave as it was."""
    return len(records.find(app, AUDIT)), len(app.store.audit_bytes())


# -- independence ----------------------------------------------------------------------------------


def test_an_auditor_of_the_audited_department_is_refused_in_one_line_and_nothing_is_stored(app: App) -> None:
    before = stored(app)
    with pytest.raises(ValidationFailed) as refused:
        service.new_audit(app, audit(auditor="li"))
    assert len(refused.value.problems) == 1
    assert "li (李品质) belongs to 品质部" in refused.value.problems[0] and "another department" in refused.value.problems[0]
    assert stored(app) == before

    code, out = cli(app, "--as", "zhou", "audit", "new", "--dept", "品质部", "--clause", "8.2", "--auditor", "li",
                    "--on", "2026-11-10")
    assert code == 1
    assert len(out.strip().splitlines()) == 1 and "belongs to 品质部" in out
    assert stored(app) == before


def test_the_independence_holds_for_the_core_record_commands_and_a_changed_department(app: App) -> None:
    with pytest.raises(ValidationFailed, match="belongs to 品质部"):
        records.file(app, AUDIT, audit(auditor="li"))
    number = service.new_audit(app, audit(dept="业务部", auditor="li"))["number"]  # li of 品质部 may audit 业务部
    with pytest.raises(ValidationFailed, match="belongs to 品质部"):
        records.update(app, number, {"dept": "品质部"})
    with pytest.raises(ValidationFailed, match="zhou .* belongs to 质量管理部"):
        records.update(app, number, {"dept": "质量管理部", "auditor": "zhou"})
    assert records.get(app, number)["data"]["dept"] == "业务部"
    assert records.update(app, number, {"auditor": "zhou"})["data"]["auditor"] == "zhou"


def test_an_auditor_who_is_no_user_is_refused(app: App) -> None:
    with pytest.raises(ValidationFailed, match="not a user of this workspace"):
        service.new_audit(app, audit(auditor="nobody"))


def test_an_auditor_who_has_since_joined_the_audited_department_may_not_report(app: App) -> None:
    number = service.new_audit(app, audit(dept="业务部", auditor="li"))["number"]
    records.update(app, number, {"audited_on": "2026-10-20", "summary": "基本有效"})
    records.move(app.acting_as("li"), number, "audited")
    app.users.change("li", "admin", dept="业务部", by_password=PASSWORD)
    with pytest.raises(Refused, match="li now belongs to 业务部, the audited department"):
        records.move(app.acting_as("li"), number, "reported", password=PASSWORD)
    assert records.get(app, number)["state"] == "audited"


def test_an_audit_of_a_programme_is_of_an_approved_programme_that_plans_its_department(app: App) -> None:
    plan = records.file(app, PROGRAMME, programme())["number"]
    with pytest.raises(ValidationFailed, match=f"{plan} is not an approved audit programme"):
        service.new_audit(app, audit(programme=plan))
    records.move(app.acting_as("chen"), plan, "approved", password=PASSWORD)
    with pytest.raises(ValidationFailed, match=f"{plan} plans no audit of 设备科 \\(it plans 业务部, 品质部\\)"):
        service.new_audit(app, audit(programme=plan, dept="设备科"))
    assert service.new_audit(app, audit(programme=plan))["data"]["programme"] == plan


# -- checklist -------------------------------------------------------------------------------------


def test_the_checklist_lists_the_documents_in_force_citing_each_audited_clause(app: App) -> None:
    record = service.new_audit(app, audit(clauses=["8.2", "7.1.5", "5.1"]))
    items = {i["clause"]: i for i in record["data"]["checklist"]}
    assert [i["clause"] for i in record["data"]["checklist"]] == ["8.2", "8.2.3", "7.1.5", "5.1"]
    # QP-8.2-01 is in force and cites 8.2.1: it is what the audit of 8.2 checks against.
    assert items["8.2"]["documents"] == ["QP-8.2-01"] and "QP-8.2-01" in items["8.2"]["question"]
    # 8.2.3 calls for documented information (the clause map's row) and no document in force cites it: a gap.
    assert "产品和服务要求的评审" in items["8.2.3"]["question"] and items["8.2.3"]["documents"] == []
    assert "a gap" in items["8.2.3"]["question"]
    # 7.1.5 likewise (QP-7.1-01 is not under control in this workspace); 5.1 asks for none: checked on site.
    assert items["7.1.5"]["documents"] == [] and "a gap" in items["7.1.5"]["question"]
    assert items["5.1"]["documents"] == [] and "check on site" in items["5.1"]["question"]

    code, out = cli(app, "audit", "checklist", record["number"])
    assert code == 0 and "QP-8.2-01" in out and "8.2.3" in out


def test_an_audit_filed_without_a_checklist_has_it_drawn_once(app: App) -> None:
    number = records.file(app, AUDIT, audit(clauses=["8.2"]))["number"]
    assert "checklist" not in records.get(app, number)["data"]
    code, out = cli(app, "--as", "zhou", "audit", "checklist", number, "--draw")
    assert code == 0 and "QP-8.2-01" in out
    assert [i["clause"] for i in records.get(app, number)["data"]["checklist"]] == ["8.2", "8.2.3"]
    code, out = cli(app, "--as", "zhou", "audit", "checklist", number, "--draw")
    assert code == 1 and "already has a checklist of 2 item(s)" in out


# -- findings --------------------------------------------------------------------------------------


def test_findings_are_graded_severe_minor_or_observation_numbered_and_within_the_audited_clauses(app: App) -> None:
    number = service.new_audit(app, audit())["number"]
    service.add_finding(app, number, {"clause": "8.2.3", "grade": "观察项", "description": "回访方式空白"})
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "严重", "description": "计量器具未校准"})
    assert [(f["no"], f["grade"]) for f in records.get(app, number)["data"]["findings"]] == [(1, "观察项"), (2, "严重")]
    with pytest.raises(ValidationFailed, match="must be one of|is not one of"):
        service.add_finding(app, number, {"clause": "8.2", "grade": "轻微", "description": "x"})
    with pytest.raises(ValidationFailed, match="not among the audited clauses 7.1.5, 8.2"):
        service.add_finding(app, number, {"clause": "8.5.1", "grade": "一般", "description": "x"})
    twice = [*records.get(app, number)["data"]["findings"], {"no": 1, "clause": "8.2", "grade": "一般", "description": "y"}]
    with pytest.raises(ValidationFailed, match="used more than once"):
        records.update(app, number, {"findings": twice})
    assert len(records.get(app, number)["data"]["findings"]) == 2

    code, out = cli(app, "--as", "zhou", "audit", "finding", number, "--grade", "特别", "--clause", "8.2", "--text", "x")
    assert code == 2 and "特别" in out


def test_the_report_is_issued_by_its_auditor_and_the_audit_closes_once_every_nonconformity_is_answered(app: App) -> None:
    number = service.new_audit(app, audit())["number"]
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准过期"})
    service.add_finding(app, number, {"clause": "8.2", "grade": "观察项", "description": "回访方式空白"})
    records.update(app, number, {"audited_on": "2026-10-20", "summary": "基本有效"})
    records.move(app, number, "audited")
    with pytest.raises(Refused, match="issued by its auditor zhou, not li"):
        records.move(app.acting_as("li"), number, "reported", password=PASSWORD)
    records.move(app, number, "reported", password=PASSWORD)
    with pytest.raises(Refused, match="nonconformity 1 of .* no response from 品质部"):
        records.move(app, number, "closed")
    with pytest.raises(QMSError, match="no finding 3"):
        service.respond(app.acting_as("li"), number, 3, "已整改", "2026-10-28")
    service.respond(app.acting_as("li"), number, 1, "卡尺已送检，增加到期提醒", "2026-10-28")
    assert records.move(app, number, "closed")["record"]["closed"]


# -- programme, due items, figures -----------------------------------------------------------------


def test_the_programme_is_approved_by_the_management_representative_and_its_months_lie_in_its_year(app: App) -> None:
    with pytest.raises(ValidationFailed, match="2027-01 is not in the programme's year 2026"):
        records.file(app, PROGRAMME, programme(audits=[{"dept": "品质部", "clauses": ["8.2"], "month": "2027-01"}]))
    plan = records.file(app, PROGRAMME, programme())["number"]
    with pytest.raises(Refused, match="管理者代表"):
        records.move(app.acting_as("zhao"), plan, "approved", password=PASSWORD)
    records.move(app.acting_as("chen"), plan, "approved", password=PASSWORD)
    assert records.get(app, plan)["signatures"][0]["name"] == "chen"


def test_the_programme_status_due_items_and_figures(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = records.file(app, PROGRAMME, programme())["number"]
    records.move(app.acting_as("chen"), plan, "approved", password=PASSWORD)
    number = service.new_audit(app, audit(programme=plan))["number"]
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准过期"})
    service.add_finding(app, number, {"clause": "8.2", "grade": "观察项", "description": "回访方式空白"})
    records.update(app, number, {"audited_on": "2026-10-20"})
    records.move(app, number, "audited")

    now = datetime.fromisoformat(NOW)
    status = {r["dept"]: r["status"] for r in service.programme_status(app, 2026)}
    assert status == {"品质部": "逾期 Overdue", "业务部": "计划中 Planned"}  # October has ended without a report
    items = [i for i in due_items(app, now).items if i["ref"] in (plan, number)]
    kinds = sorted((i["kind"] if "kind" in i else i.get("deadline", ""), i["ref"]) for i in items)
    assert ("audit-finding-response", number) in kinds and ("audit-planned", plan) in kinds
    response = next(i for i in items if i.get("kind") == "audit-finding-response")
    assert response["due"].startswith("2026-11-03")  # 10 working days after 2026-10-20
    assert response["dept"] == "品质部"

    figures = {f["id"]: f for f in dashboard(record_query(app), now)}
    assert {f["label"]: f["value"] for f in figures["audit-findings-by-grade"]["data"]} == {
        "严重不符合 Major nonconformity": 0, "一般不符合 Minor nonconformity": 1, "观察项 Observation": 1}
    assert {f["label"]: f["value"] for f in figures["audit-programme-status"]["data"]}["逾期 Overdue"] == 1
    assert figures["audit-open-nonconformities"]["data"]["value"] == 1
    assert figures["audit-findings-by-dept"]["data"]["rows"] == [["品质部", 0, 1, 1]]

    records.update(app, number, {"summary": "基本有效"})
    records.move(app, number, "reported", password=PASSWORD)
    assert {r["dept"]: r["status"] for r in service.programme_status(app, 2026)}["品质部"] == "已完成 Done"


# -- report ----------------------------------------------------------------------------------------


def test_the_audit_report_pdf_shows_the_audit_findings_by_grade_checklist_and_signature(app: App, tmp_path: Path) -> None:
    number = service.new_audit(app, audit())["number"]
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准标识过期仍在使用",
                                      "evidence": "检验台 KC-07"})
    service.add_finding(app, number, {"clause": "8.2", "grade": "观察项", "description": "回访方式空白"})
    records.update(app, number, {"audited_on": "2026-10-20", "summary": "品质部体系运行基本有效"})
    records.move(app, number, "audited")
    records.move(app, number, "reported", password=PASSWORD)

    out = tmp_path / "report.pdf"
    code, printed = cli(app, "audit", "report", number, "-o", str(out))
    assert code == 0 and "page(s)" in printed
    # Table cells wrap: the text is compared with the line breaks taken out.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages).replace("\n", "")
    for expected in ("内部审核报告", "Internal Audit Report", number, "品质部", "7.1.5", "QP-8.2-01",
                     "一般不符合", "观察项", "卡尺校准标识过期仍在使用", "品质部体系运行基本有效", "周文控", "内审报告",
                     "不合格报告", "未开具"):
        assert expected in text, expected
    # Without a procedure that files nonconformity reports the NCR column says so; people by full name.
    report = service.report_data(app, number)
    assert [row[-1] for row in report["findings"]] == ["未开具 none filed", "—"]
    assert dict(report["facts"])["内审员 Auditor"] == "周文控 (zhou)"


# -- web board -------------------------------------------------------------------------------------


def test_the_web_board_shows_the_programme_and_the_nonconformities_awaiting_response(app: App) -> None:
    import webkit

    from qms.site.app import create_app

    plan = records.file(app, PROGRAMME, programme())["number"]
    records.move(app.acting_as("chen"), plan, "approved", password=PASSWORD)
    number = service.new_audit(app, audit(programme=plan))["number"]
    service.add_finding(app, number, {"clause": "7.1.5", "grade": "一般", "description": "卡尺校准过期"})
    records.update(app, number, {"audited_on": "2026-10-20"})
    flask = create_app(app, secret_key="k" * 64)
    flask.config["TESTING"] = True
    with flask.test_client() as client:
        assert webkit.login(client, "li", PASSWORD).status_code == 302
        assert 'href="/work/boards/audit"' in client.get("/work/").text
        page = client.get("/work/boards/audit")
    assert page.status_code == 200
    for expected in ("内部审核看板", plan, number, "逾期 Overdue", "计划中 Planned", "卡尺校准过期", "一般不符合 Minor nonconformity"):
        assert expected in page.text, expected

"""The internal audit's step of ``qms demo``: the 2026 programme, one audit of 品质部 by an
independent auditor, a 一般 nonconformity (which opens a nonconformity report) and an observation,
and the 内部审核报告 PDF.

Each action at its own time (``frozen_at``), so every run files the same records and deadlines:

* 2026-01-12 zhou (文控, 质量管理部) files the 2026 programme: 设备科 in September, 品质部 in October,
  物业管理部 in November, 项目部 in December; chen (管理者代表) approves it the next day;
* 2026-10-15 li of 品质部 is refused as the auditor of 品质部 (nothing stored); zhou is assigned, and the
  checklist is drawn from the clause map of the documents in force;
* 2026-10-20 zhou audits: a 一般 nonconformity against 7.1.5 and an observation against 8.2;
* 2026-10-22 zhou issues the signed report; 品质部's response is due 10 working days after the audit.

设备科's September audit was never held, so on the demo day it is overdue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qms import api
from qms.api import frozen_at

from qms_audit import grades, service
from qms_audit.workflow import PROCEDURE_NUMBER, PROGRAMME

if TYPE_CHECKING:
    from qms.api import DemoContext, DemoStep

PLAN = (("设备科", ["7.1.5", "8.5.1"], "2026-09"), ("品质部", ["7.1.5", "8.2", "8.7"], "2026-10"),
        ("物业管理部", ["8.5"], "2026-11"), ("项目部", ["8.3"], "2026-12"))


def report_file(number: str) -> str:
    """Where the demo puts an audit's report, relative to the PDF folder."""
    return f"reports/{PROCEDURE_NUMBER}_{number}.pdf"


def step_audit(ctx: DemoContext) -> None:
    """Internal audit: programme, an independent auditor, a nonconformity and an observation, the report."""
    zhou, chen = ctx.app.acting_as("zhou"), ctx.app.acting_as("chen")
    with frozen_at("2026-01-12T10:00:00"):
        plan = api.file_record(zhou, PROGRAMME, {
            "year": 2026, "objective": "验证质量管理体系符合 ISO 9001:2015 和本公司体系文件并得到有效实施和保持",
            "scope": "质量管理体系覆盖的全部部门和过程", "criteria": "ISO 9001:2015、质量手册、程序文件",
            "prepared_by": "zhou",
            "audits": [{"dept": d, "clauses": c, "month": m} for d, c, m in PLAN]})["number"]
    with frozen_at("2026-01-13T15:00:00"):
        api.move_record(chen, plan, "approved", note="同意 approved", password=api.DEMO_PASSWORD)
    ctx.say(f"audit programme: {plan} for 2026, {len(PLAN)} audits ({', '.join(d for d, *_ in PLAN)}), approved by chen (管理者代表)")

    base = {"programme": plan, "dept": "品质部", "clauses": ["7.1.5", "8.2", "8.7"], "planned_on": "2026-10-20",
            "auditee": "李品质"}
    with frozen_at("2026-10-15T10:00:00"):
        try:
            service.new_audit(zhou, {**base, "auditor": "li"})
        except api.ValidationFailed as exc:
            ctx.say(f"refused: li of 品质部 as auditor of 品质部 — {exc.problems[0][:100]}…")
        audit = service.new_audit(zhou, {**base, "auditor": "zhou"})
    number = audit["number"]
    with frozen_at("2026-10-20T11:00:00"):
        service.add_finding(zhou, number, {
            "clause": "7.1.5", "grade": grades.MINOR,
            "description": "检验室 1 把游标卡尺（编号 KC-07）校准标识已过期仍在使用",
            "evidence": "2026-10-20 现场查看检验台，卡尺校准有效期至 2026-09-30；当日 3 份检验记录使用该卡尺"})
        service.add_finding(zhou, number, {
            "clause": "8.2", "grade": grades.OBSERVATION,
            "description": "部分客户回访记录未写明回访方式，建议在表单中设为必填",
            "evidence": "抽查 2026 年 9 月回访记录 5 份，其中 2 份回访方式空白"})
    with frozen_at("2026-10-20T17:00:00"):
        results = {"7.1.5": ("不符合", "见审核发现 1"), "8.2": ("观察项", "见审核发现 2")}
        checklist = [{**item, "result": results.get(item["clause"], ("符合", "抽查记录齐全"))[0],
                      "evidence": results.get(item["clause"], ("符合", "抽查记录齐全"))[1]}
                     for item in api.get_record(zhou, number)["data"]["checklist"]]
        api.update_record(zhou, number, {"audited_on": "2026-10-20", "checklist": checklist})
        api.move_record(zhou, number, "audited", note="现场审核完成 audit held")
    with frozen_at("2026-10-22T10:00:00"):
        api.update_record(zhou, number, {"summary": "品质部质量管理体系运行基本有效；发现一般不符合项 1 项（7.1.5 监视和测量资源），"
                                                    "观察项 1 项（8.2 顾客沟通）。不符合项须在 10 个工作日内回复纠正措施。"})
        api.move_record(zhou, number, "reported", note="发布内审报告 report issued", password=api.DEMO_PASSWORD)
        made = api.render_all(zhou, actor="zhou", jobs=1, collected=[
            api.Job(report_file(number), service.report_page(zhou, service.report_data(zhou, number), "zhou"), "report")])
    ctx.say(f"internal audit: {number} of 品质部 by zhou (质量管理部): 1 一般 nonconformity (opens an NCR), "
            f"1 observation (none); report {', '.join(made.rendered + made.skipped)} in records/pdf/")


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo``: after the other procedures, before nonconformity and review."""
    return [(60, step_audit)]

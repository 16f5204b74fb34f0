"""The projects step of ``qms demo``: one project of each template, filed through the real workflows.

* 智慧园区安防系统集成 (systems integration) runs from the feasibility report to close-out, with a
  change request approved by the decision committee and the baseline re-approved, five signed
  acceptances, one accident reported within the day, and the dossier PDF;
* 滨江花园 3-201 装修 (fit-out) has its technical briefing signed by four parties within 24 hours, passes
  the materials gate, passes the concealed-works gate on a condition, and is stopped at the
  waterproofing gate by a failed flood test whose rectification order is open;
* 1号炉汽包定期检验 (inspection, major overhaul) passes nodes 1–4 in working days across the National
  Day holiday (the incoming lead still leads another project, so the 总师办主任 consents), and its
  node 5 (10 working days) is overdue on the demo date.

Records are filed at fixed times (``QMS_NOW`` per action, restored afterwards), so every run gives the
same numbers, deadlines and PDFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import App, frozen_at, QMSError, record_query, set_now

from qms_projects import forms as f
from qms_projects import figures, gates, service
from qms_projects import progress as pg

if TYPE_CHECKING:
    from qms.api import DemoStep
    from qms.api import DemoContext

#: People the project demo needs besides the core demo users: name, role, department, full name.
PROJECT_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("shi", "department", "售前部", "石售前"),
    ("fang", "department", "商务部", "方商务"),
    ("ma", "department", "工程部", "马监理"),
    ("guo", "department", "工程部", "郭工长"),
    ("deng", "department", "工程部", "邓经理"),
    ("lin", "department", "设计部", "林设计"),
    ("he", "department", "总师办", "何主任"),
    ("tang", "department", "检验部", "唐主任"),
)


class Demo:
    """Acts on the demo workspace as named users at fixed times."""

    def __init__(self, ctx: DemoContext, password: str) -> None:
        self.ctx = ctx
        self.password = password

    def app(self, who: str) -> App:
        return self.ctx.app.acting_as(who)

    @staticmethod
    def at(when: str) -> None:
        set_now(when)

    def file(self, who: str, when: str, form: str, data: dict[str, Any]) -> dict[str, Any]:
        self.at(when)
        return api.file_record(self.app(who), form, data)

    def move(self, who: str, when: str, number: str, target: str, *, signed: bool = False, note: str = "") -> dict[str, Any]:
        self.at(when)
        return api.move_record(self.app(who), number, target, note=note, password=self.password if signed else None)

    def update(self, who: str, when: str, number: str, changes: dict[str, Any], note: str = "") -> dict[str, Any]:
        self.at(when)
        return api.update_record(self.app(who), number, changes, note=note)

    def gate(self, project: str, when: str, lead: str, signers: list[str], *, decision: str = "通过",
             external: Sequence[tuple[str, str]] = (), conditions: list[dict[str, Any]] | None = None,
             opinion: str = "") -> str:
        """File, submit and sign the gate of the current stage; the last signature decides it."""
        self.at(when)
        pf = service.facts(self.app(lead), project)
        stage = pg.current_stage(pf)
        assert stage is not None
        provided = {d["id"]: f"{project}/{d['id']}" for d in stage["deliverables"]}
        ext = [{"post": post, "name": name, "signed_on": when} for post, name in external]
        gate = service.open_gate(self.app(lead), project, provided=provided, decision=decision, conditions=conditions,
                                 external=ext, opinion=opinion or f"{stage['title']}交付物齐全，同意{decision}。")
        number = gate["number"]
        self.move(lead, when, number, "review")
        hour, minute = int(when[11:13]), int(when[14:16])
        for i, who in enumerate(signers, start=1):
            self.move(who, f"{when[:11]}{hour + (minute + 10 * i) // 60:02d}:{(minute + 10 * i) % 60:02d}:00", number, "review",
                      signed=True)
        final = api.get_record(self.ctx.app, number)
        if final["state"] != "decided":
            reasons = gates.gate_problems(record_query(self.ctx.app), service.facts(self.ctx.app, project), final, deciding=True)
            raise QMSError(f"demo gate {number} of {project} was not decided: {'; '.join(reasons)}")
        return number

    def accept(self, project: str, when: str, who: str, step: str, grade: str, **extra: Any) -> dict[str, Any]:
        self.at(when)
        return service.accept(self.app(who), project, step=step, grade=grade, inspector=self.app(who).users.get(who)["full_name"],
                              password=self.password, inspected_at=when, **extra)


def step_projects(ctx: DemoContext) -> None:
    """Run one project of each template: to close-out, stopped at a conditional gate, overdue across a holiday."""
    from qms.api import DEMO_PASSWORD

    with frozen_at():
        for name, role, dept, full in PROJECT_USERS:
            ctx.app.users.add(name, role, dept, DEMO_PASSWORD, actor="admin", full_name=full)
        demo = Demo(ctx, DEMO_PASSWORD)
        si = _systems_integration_start(demo)
        insp = _inspection(demo)
        fit = _fit_out(demo)
        _systems_integration_finish(demo, si)
    _report(ctx, si, fit, insp)


def _systems_integration_start(d: Demo) -> str:
    d.at("2026-03-02T09:00:00")
    project = service.register(
        d.app("zhao"), "systems-integration", name="智慧园区安防系统集成", customer="某市高新区管委会", manager="wu",
        team=[{"post": "sales", "user": "zhao"}, {"post": "presales", "user": "shi"}, {"post": "pm", "user": "wu"},
              {"post": "receiver", "name": "高新区管委会 张科长"}],
        fields={"contract_amount": 1280000, "description": "园区视频监控、门禁和周界报警系统的设计、供货、施工和调试。"})
    xm = project["number"]
    d.gate(xm, "2026-03-06T10:00:00", "zhao", ["wang"])
    d.update("shi", "2026-03-09T09:00:00", xm, {"baseline": {
        "scope": "视频监控 120 路、门禁 24 门、周界报警 1.8 km 的设计、供货、施工和调试",
        "start": "2026-04-01", "finish": "2026-10-31", "budget": 1200000}}, note="立项基线 initiation baseline")
    d.move("wang", "2026-03-10T09:00:00", xm, "active", signed=True)
    d.gate(xm, "2026-03-10T14:00:00", "shi", ["wang", "zhou"])
    d.gate(xm, "2026-03-20T10:00:00", "shi", ["wu", "zhou"])
    d.gate(xm, "2026-03-27T10:00:00", "shi", ["fang"])
    d.gate(xm, "2026-04-03T10:00:00", "shi", ["zhao"])
    d.gate(xm, "2026-04-10T10:00:00", "shi", ["zhou"])
    d.gate(xm, "2026-04-17T10:00:00", "shi", ["zhao", "wang"])
    d.gate(xm, "2026-05-08T10:00:00", "wu", ["chen", "fang"])
    # Construction: the customer adds a parking-lot zone; the decision committee approves the change.
    bg = d.file("wu", "2026-06-15T09:00:00", f.CHANGE, {
        "project": xm, "reason": "客户增加停车场监控区域", "description": "增加停车场视频监控 16 路及相应线缆",
        "impact_quality": "无", "impact_schedule": "工期不变", "impact_cost": "增加 80,000 元",
        "proposed": {"scope": "视频监控 136 路（含停车场 16 路）、门禁 24 门、周界报警 1.8 km 的设计、供货、施工和调试",
                     "start": "2026-04-01", "finish": "2026-10-31", "budget": 1280000}})["number"]
    d.move("wu", "2026-06-15T09:10:00", bg, "submitted")
    d.move("chen", "2026-06-16T10:00:00", bg, "submitted", signed=True)
    d.move("wang", "2026-06-16T11:00:00", bg, "approved", signed=True)
    d.move("wang", "2026-06-16T15:00:00", xm, "active", signed=True, note="变更后基线第 2 版")
    for when, step, grade in (("2026-07-20T10:00:00", "前端摄像机安装", "优等"), ("2026-08-05T10:00:00", "线缆敷设", "良好"),
                              ("2026-08-25T10:00:00", "机房设备安装", "合格")):
        d.accept(xm, when, "zhou", step, grade)
    zs = d.file("wu", "2026-08-12T15:00:00", f.ACCIDENT, {
        "project": xm, "stage": "construction", "occurred_at": "2026-08-12T10:20:00", "severity": "一般",
        "description": "立杆吊装时碰坏一台已安装的摄像机，无人员受伤。"})["number"]
    d.update("wu", "2026-08-12T16:00:00", zs, {"treatment": "更换摄像机，吊装区域设警戒。", "explanation": "吊装指挥与安装交叉作业。",
                                              "reported_to": ["工程部经理", "项目部负责人"]})
    d.move("wu", "2026-08-12T16:30:00", zs, "reported", signed=True)
    d.update("wu", "2026-08-20T09:00:00", zs, {"corrective_action": "交叉作业须先办理作业许可；8月19日复查已执行。"})
    d.move("zhou", "2026-08-20T10:00:00", zs, "closed")
    return xm


def _inspection(d: Demo) -> str:
    d.at("2026-09-28T09:30:00")
    project = service.register(
        d.app("fang"), "inspection", name="1号炉汽包定期检验（大修）", customer="某热电厂", manager="wu",
        team=[{"post": "commerce", "user": "fang"}, {"post": "chief_director", "user": "he"},
              {"post": "dept_head", "user": "tang"}, {"post": "lead", "user": "wu", "qualification": "压力容器检验师 RRC-2024-118"}],
        fields={"received_at": "2026-09-28T09:00:00", "business_source": "甲方电话", "major_overhaul": True})
    xm = project["number"]
    d.update("fang", "2026-09-28T10:00:00", xm, {"business_no": "SW-2026-0917"}, note="商务编号")
    d.gate(xm, "2026-09-28T14:00:00", "fang", ["fang"])
    d.gate(xm, "2026-09-29T10:00:00", "he", ["he"])
    d.update("tang", "2026-09-29T15:00:00", xm, {"serial_no": "JY-2026-0388"}, note="项目流水号")
    # wu still leads the systems-integration project: the 总师办主任 must consent to the appointment.
    d.gate(xm, "2026-09-29T16:00:00", "tang", ["tang", "he"])
    d.update("wu", "2026-09-29T16:40:00", xm, {"baseline": {"scope": "1号炉汽包及附件大修定期检验", "start": "2026-09-30",
                                                          "finish": "2026-11-20", "budget": 86000}}, note="工期计划")
    d.move("chen", "2026-09-29T17:00:00", xm, "active", signed=True)
    d.gate(xm, "2026-09-30T09:30:00", "wu", ["tang"])
    return xm


def _fit_out(d: Demo) -> str:
    d.at("2026-10-09T09:00:00")
    project = service.register(
        d.app("guo"), "fit-out", name="滨江花园 3-201 室内装修", customer="刘先生", manager="guo",
        team=[{"post": "foreman", "user": "guo"}, {"post": "supervisor", "user": "ma"}, {"post": "designer", "user": "lin"},
              {"post": "eng_manager", "user": "deng"}, {"post": "customer", "name": "刘先生"}],
        baseline={"scope": "三室两厅全包装修，含水电改造和厨卫防水", "start": "2026-10-12", "finish": "2027-01-20", "budget": 168000},
        fields={"briefing_at": "2026-10-12T09:00:00", "contract_amount": 168000})
    xm = project["number"]
    d.move("wang", "2026-10-09T15:00:00", xm, "active", signed=True)
    d.gate(xm, "2026-10-10T10:00:00", "guo", ["deng"])
    d.gate(xm, "2026-10-12T16:00:00", "ma", ["ma", "lin", "guo"], external=[("customer", "刘先生")])
    d.accept(xm, "2026-10-15T10:00:00", "ma", "瓷砖进场验收", "良好")
    d.accept(xm, "2026-10-15T10:30:00", "ma", "水电材料进场验收", "合格")
    d.gate(xm, "2026-10-15T15:00:00", "guo", ["ma", "guo"], external=[("customer", "刘先生")])
    d.accept(xm, "2026-10-20T10:00:00", "ma", "水电管线隐蔽验收", "良好")
    d.gate(xm, "2026-10-20T15:00:00", "guo", ["ma", "guo"], external=[("customer", "刘先生")], decision="有条件通过",
           conditions=[{"text": "补交水电管线走向照片并归档", "owner": "guo", "due": "2026-10-27"}],
           opinion="隐蔽工程符合要求；管线走向照片未归档，限期补交。")
    d.accept(xm, "2026-10-26T10:00:00", "ma", "卫生间闭水试验（48小时）", "不合格", findings="主卫地漏周边渗漏至楼下",
             treatment="拆除地漏周边防水层重做，重新闭水 48 小时", responsible="郭工长", rectify_by="2026-10-30T18:00:00")
    return xm


def _systems_integration_finish(d: Demo, xm: str) -> None:
    d.accept(xm, "2026-10-12T10:00:00", "zhou", "系统联调", "优等")
    d.accept(xm, "2026-10-12T11:00:00", "zhou", "平台软件部署", "良好")
    d.gate(xm, "2026-10-13T10:00:00", "wu", ["zhou"])
    d.gate(xm, "2026-10-28T10:00:00", "wu", ["zhou"], external=[("receiver", "高新区管委会 张科长")])
    d.at("2026-10-30T09:00:00")
    grade = pg.final_grade(service.facts(d.ctx.app, xm))
    jx = d.file("wu", "2026-10-30T09:00:00", f.CLOSEOUT, {
        "project": xm, "outcome": "完成", "summary": "系统按变更后的范围完成并通过验收，运行稳定。", "final_grade": grade,
        "assessment_report": "质量验收评定报告 ZP-2026-07", "technical_documents": ["竣工图", "设备清单及合格证", "调试记录", "操作手册"],
        "scope_confirmation": {"signed_by": "高新区管委会 张科长", "signed_on": "2026-10-28"},
        "final_accounts": {"narrative": "合同价 1,280,000 元；实际支出 1,265,300 元。", "total_cost": 1265300, "statements": "决算报表 JS-2026-07",
                           "signatories": [{"party": "建设单位 高新区管委会", "name": "张科长", "signed_on": "2026-10-29"},
                                           {"party": "本公司", "name": "王总经理", "signed_on": "2026-10-29"},
                                           {"party": "监理单位", "name": "赵总监", "signed_on": "2026-10-29"}]}})["number"]
    d.move("wang", "2026-10-30T15:00:00", jx, "approved", signed=True)


def _report(ctx: DemoContext, si: str, fit: str, insp: str) -> None:
    """Say what the step made, with the status, and render the three dossiers."""
    from qms.api import write_pdf
    from qms_projects import dossier

    app = ctx.app
    now = api.now()
    data = figures.status(record_query(app), now, app.calendar)
    for row in data["projects"]:
        overdue = "; ".join(f"{i['title']} due {i['due'][:16].replace('T', ' ')}" for i in row["overdue"]) or "none"
        ctx.say(f"project {row['number']} {row['name']}: {row['status']}, stage {row['stage_index']}/{row['stages']} "
                f"{row['stage_title']}, lead {row['lead']}; overdue: {overdue}")
    blocked = gates.gate_problems(record_query(app), service.facts(app, fit),
                                  {"data": {"project": fit, "stage": "waterproofing", "decision": "通过"}}, deciding=False)
    ctx.say(f"project {fit}: the waterproofing gate is blocked: {'; '.join(blocked)}")
    g = data["gates"]
    ctx.say(f"projects: {g['decided']} gates decided, pass rate {g['pass_rate']:.0%}; grades {data['grades']['steps']['counts']}")
    out = app.workspace.root / "records" / "pdf" / "projects"
    out.mkdir(parents=True, exist_ok=True)
    zhou = app.acting_as("zhou")
    for number in (si, fit, insp):
        pdf, pages, title = dossier.pdf(zhou, number)
        target = out / f"{number}-dossier.pdf"
        write_pdf(zhou, None, target, action="projects.dossier", data=pdf, pages=pages, title=title)
        ctx.say(f"project dossier {target.relative_to(app.workspace.root)}: {pages} page(s)")


__all__ = ["PROJECT_USERS", "step_projects"]


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after the documents are issued."""
    return [(50, step_projects)]

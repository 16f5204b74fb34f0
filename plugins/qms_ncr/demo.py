"""The demo's corrective-action step: every nonconformity the earlier steps raised is taken through CAPA to closing.

The equipment step's failed calibration (and, when the internal-audit plugin is installed, its
nonconformities; a 特殊重大 complaint or a failed acceptance likewise) opened reports on their own.
Here each open report is contained, its root cause found (5-why for a failed calibration, a
fishbone 人机料法环测 for the others), its action owned by the department concerned and done, and
its effectiveness checked and signed by someone who neither raised it nor owns an action. One
internal observation is raised by hand and left with its action under way, so the CAPA list, the
board and ``qms due`` show an open action at the demo clock. The register is rendered to
``records/pdf/reports/``; the reports' own PDFs come from the render step.

Each report's steps are spread between the moment it was raised and the demo clock, so every run
gives the same records and numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import frozen_at

from qms_ncr import service
from qms_ncr.workflow import FORM, PROCEDURE

if TYPE_CHECKING:
    from qms.api import App, DemoContext, DemoStep

END = "2026-11-02T09:00:00"
#: Who owns an action, by the department responsible for the nonconformity.
OWNER_BY_DEPT = {"设备科": "sun", "品质部": "li", "业务部": "zhao", "物业管理部": "qian", "项目部": "wu", "质量管理部": "zhou"}
VERIFIERS = ("zhou", "li")

#: The root cause analysis of each source: (5-why rows or fishbone causes, root cause, action, result, check).
ANALYSIS: dict[str, dict[str, Any]] = {
    "equipment": {
        "whys": [{"why": "为何校准超差", "answer": "万用表直流电压档基准元件漂移"},
                 {"why": "为何漂移未被及时发现", "answer": "两次校准之间未做期间核查"},
                 {"why": "为何未做期间核查", "answer": "内校规程未规定期间核查的频次和方法"}],
        "root_cause": "内校规程缺少期间核查要求，量具漂移只能在周期校准时发现",
        "action": "修订内校规程，规定高频使用量具每月用标准源做一次期间核查并记录",
        "result": "规程已修订发布，设备科、品质部相关人员已培训",
        "check": "抽查修订后首月期间核查记录，覆盖全部高频量具，无遗漏；复测数据在允差内，措施有效",
    },
    "default": {
        "causes": [{"category": "法", "text": "作业指导书未写明检查要求"}, {"category": "人", "text": "新员工未接受岗位培训"}],
        "root_cause": "作业要求未形成文件，培训未覆盖新员工",
        "action": "补充作业指导书中的检查要求，并对本岗位全员培训考核",
        "result": "作业指导书已修订，全员培训考核合格",
        "check": "跟踪一个月现场检查无同类问题，培训记录齐全，措施有效",
    },
}


def _moments(start: str, count: int) -> list[str]:
    """``count`` moments after ``start`` and up to the demo clock, each at 10:00 of a day spread evenly between them.

    When the days are too few for that (a report raised just before the demo clock), the moments
    are spread evenly over the time left instead.
    """
    t0, t1 = datetime.fromisoformat(start[:19]), datetime.fromisoformat(END)
    span = max(t1 - t0, timedelta(0))
    even = [(t0 + span * (i + 1) / (count + 1)).replace(microsecond=0) for i in range(count)]
    office = [m.replace(hour=10, minute=0, second=0) + timedelta(minutes=10 * i) for i, m in enumerate(even)]
    ordered = all(a < b for a, b in zip([t0, *office], office)) and office[-1] <= t1
    return [m.isoformat() for m in (office if ordered else even)]


def _verifier(record: dict[str, Any]) -> str:
    """The quality officer who checks effectiveness: one who did not raise the report."""
    return next(v for v in VERIFIERS if v != record["data"].get("raised_by"))


def _owner(record: dict[str, Any], verifier: str) -> str:
    """The action owner: the responsible department's user, never the verifier."""
    mapped = OWNER_BY_DEPT.get(str(record["data"].get("dept") or ""), "sun")
    return next(o for o in (mapped, "sun", "wu") if o != verifier)


def close_through_capa(ctx: DemoContext, record: dict[str, Any]) -> str:
    """Take one open report from wherever it stands to closing; returns a line for the demo's report."""
    app: App = ctx.app
    number, data = record["number"], record["data"]
    plan = ANALYSIS.get(str(data.get("source")), ANALYSIS["default"])
    verifier = _verifier(record)
    owner = _owner(record, verifier)
    when = _moments(str(record["created_at"]), 5)
    li, by_owner = app.acting_as("li"), app.acting_as(owner)
    if record["state"] == "raised":
        with frozen_at(when[0]):
            service.contain(li, number, "隔离受影响的产品和记录，停止使用相关设备或方法，逐项复核已交付结果")
    if api.get_record(app, number)["state"] == "analysis":
        with frozen_at(when[1]):
            service.analyse(li, number, plan["root_cause"], whys=plan.get("whys"), causes=plan.get("causes"),
                            similar="已排查同类设备/岗位，未发现同类问题")
            service.add_action(li, number, plan["action"], owner, "5wd", dept=str(data.get("dept") or ""))
            service.plan(li, number)
    if api.get_record(app, number)["state"] == "implementing":
        with frozen_at(when[2]):
            current = api.get_record(app, number)
            for i, act in enumerate(current["data"].get("actions") or [], 1):
                if not act.get("done_on"):
                    service.complete_action(app.acting_as(str(act.get("owner") or owner)), number, i, plan["result"])
    current = api.get_record(app, number)
    refused = ""
    if current["state"] == "verifying":
        with frozen_at(when[3]):
            try:  # the action owner may not judge their own action: refused, nothing stored
                service.verify(by_owner, number, plan["check"], api.DEMO_PASSWORD)
            except api.Refused as exc:
                refused = f"; {owner} refused as verifier ({str(exc)[len(number) + 2:][:40]}…)"
            service.verify(app.acting_as(verifier), number, plan["check"], api.DEMO_PASSWORD)
    final = api.get_record(app, number)
    return (f"{number} ({data.get('source')} {data.get('source_ref') or ''}) contained, analysed, action by {owner} done, "
            f"verified by {verifier} → {final['state']}{refused}")


def step_ncr(ctx: DemoContext) -> None:
    """Nonconformities: every open report raised by the earlier steps closed through CAPA; one internal one left open."""
    app = ctx.app
    open_reports = [r for r in api.find_records(app, form=FORM) if not r["closed"] and not r.get("amended_by")]
    for record in sorted(open_reports, key=lambda r: r["number"]):
        ctx.say("ncr: " + close_through_capa(ctx, record))
    with frozen_at("2026-10-29T10:00:00"):
        raised = service.raise_report(app.acting_as("zhou"), "物业管理部维修派工单连续三天未按规定记录完工时间",
                                      dept="物业管理部", severity="一般")
    with frozen_at("2026-10-29T16:00:00"):
        service.contain(app.acting_as("li"), raised["number"], "补录三天的完工时间，当班主管逐单核对")
        service.analyse(app.acting_as("li"), raised["number"], "派工单完工时间为选填，系统未提示",
                        causes=[{"category": "法", "text": "派工单完工时间为选填项"},
                                {"category": "人", "text": "维修员不清楚记录要求"}])
        service.add_action(app.acting_as("li"), raised["number"], "将完工时间设为必填并培训维修员", "qian", "3wd",
                           dept="物业管理部")
        service.plan(app.acting_as("li"), raised["number"])
    due = api.get_record(app, raised["number"])["data"]["actions"][0]["due"]
    ctx.say(f"ncr: {raised['number']} internal observation raised by zhou, action owned by qian due {due} "
            f"(working days), still open at the demo clock")
    _render(ctx)


def _render(ctx: DemoContext) -> None:
    """The register with the open CAPA list into records/pdf/reports/ (logged for verify)."""
    from qms.api import Job, render_all

    from qms_ncr.cli import register_page

    app = ctx.app.acting_as("li")
    with frozen_at(END):
        made = render_all(app, actor="li", collected=[Job(f"reports/{PROCEDURE}_register.pdf", register_page(app), "report")],
                          jobs=1)
    ctx.say(f"ncr register: {', '.join(made.rendered + made.skipped) or 'none'} in records/pdf/"
            + (f"; {len(made.failed)} FAILED: {made.failed[0]}" if made.failed else ""))


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after the other procedures raised theirs."""
    return [(70, step_ncr)]


__all__ = ["close_through_capa", "step_ncr"]

"""The management review's step of ``qms demo``: last of the procedures, so its inputs show all of them.

zhou (质量管理部) files, for chen (管理者代表) who organises it, the first review of the new system in
January for 2025, held and approved by wang (总经理) with two outputs; one is done in March, the other is still open in November. Then the
review of 2026 (January to October) is filed: its inputs are gathered from every procedure the
demo filed (complaints, calibrations with the failed one, repairs and passes, project gates, the
internal audit and the nonconformity reports with their corrective actions) and the first
review's outputs appear as the status of previous actions. chen's attempt to approve it is refused
(only the 总经理 approves); wang signs. Its new outputs are open due items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qms import api
from qms.api import DEMO_PASSWORD, frozen_at

from qms_review import service
from qms_review.workflow import PROCEDURE

if TYPE_CHECKING:
    from qms.api import App, DemoContext, DemoStep

ATTENDEES = ["王总经理", "陈管代", "周文控", "李品质", "赵业务", "孙设备", "钱物业", "吴项目"]


def _as(ctx: DemoContext, name: str) -> App:
    return ctx.app.acting_as(name)


def _first_review(ctx: DemoContext) -> str:
    """The review of 2025, held when the system went live, with two outputs."""
    zhou = _as(ctx, "zhou")
    with frozen_at("2026-01-19T10:00:00"):
        record = service.new_review(zhou, api.require_date("2025-01-01"), api.require_date("2025-12-31"),
                                    "2026-01-20T09:00:00")
    number = record["number"]
    with frozen_at("2026-01-20T11:30:00"):
        api.update_record(zhou, number, {
            "held_at": "2026-01-20T09:00:00", "venue": "公司第一会议室", "chair": "wang", "attendees": ATTENDEES,
            "conclusion": "质量管理体系新版文件已发布实施，体系基本适宜、充分；运行数据自本年度起由系统采集，"
                          "本次评审以各部门汇报为主。The QMS is suitable and adequate; figures are gathered by the "
                          "system from this year on."})
        api.move_record(zhou, number, "held")
        for kind, action, owner, due in (
                ("资源需求", "为品质部指定专职计量员，建立计量器具台账 Name a metrologist for 品质部 and keep the "
                             "instrument register", "li", "2026-03-31"),
                ("改进机会", "将投诉 30 分钟内登记分派纳入业务部月度考核 Make the 30-minute complaint hand-off part of "
                             "业务部's monthly assessment", "zhao", "2026-06-30")):
            service.add_output(zhou, number, kind, action, owner, "", due)
    with frozen_at("2026-01-21T16:00:00"):
        api.move_record(_as(ctx, "wang"), number, "approved", password=DEMO_PASSWORD)
    with frozen_at("2026-03-20T15:00:00"):
        service.complete_output(_as(ctx, "li"), number, 1, "李品质任计量员，台账已建立 li appointed; register kept",
                                "2026-03-20")
    return number


def step_review(ctx: DemoContext) -> None:
    """Management review: inputs gathered from every procedure, outputs with owners, approved by the 总经理."""
    first = _first_review(ctx)
    zhou, chen = _as(ctx, "zhou"), _as(ctx, "chen")
    with frozen_at("2026-11-03T09:00:00"):
        record = service.new_review(zhou, api.require_date("2026-01-01"), api.require_date("2026-10-31"),
                                    "2026-11-05T09:00:00")
    number = record["number"]
    heads = record["data"]["inputs"]
    filled = [h["clause"] for h in heads if not h["empty"]]
    with frozen_at("2026-11-05T12:00:00"):
        assessed = [{**h, "assessment": text} if h["key"] in ASSESSMENTS and (text := ASSESSMENTS[h["key"]]) else h
                    for h in heads]
        api.update_record(zhou, number, {
            "held_at": "2026-11-05T09:00:00", "venue": "公司第一会议室", "chair": "wang", "attendees": ATTENDEES,
            "inputs": assessed,
            "conclusion": "体系总体适宜、充分、有效。校准失效和内审不符合已按纠正措施关闭；投诉交接时限和"
                          "维修到场时间仍需改进。The QMS is suitable, adequate and effective; the failed "
                          "calibration and the audit nonconformity were closed through corrective action; complaint "
                          "hand-offs and repair arrival times still need improving."})
        api.move_record(zhou, number, "held")
        for kind, action, owner, within in OUTPUTS:
            held = api.get_record(zhou, number)
            service.add_output(zhou, number, kind, action, owner, "", service.due_date(zhou, held, None, within))
    with frozen_at("2026-11-05T15:00:00"):
        try:
            api.move_record(chen, number, "approved", password=DEMO_PASSWORD)
            refused = "chen approved it (unexpected)"
        except api.Refused as exc:
            refused = str(exc)
    with frozen_at("2026-11-05T16:00:00"):
        api.move_record(_as(ctx, "wang"), number, "approved", password=DEMO_PASSWORD)
    final = api.get_record(ctx.app, number)
    others = [s for s in final["data"]["sources"] if s["figures"] and not s["procedures"] == [PROCEDURE]]
    ctx.say(f"review: {first} (2025) approved by wang, 2 outputs (1 done, 1 still open); {number} (2026-01 — "
            f"2026-10) inputs gathered from {len(others)} other procedures "
            f"({', '.join(p for s in others for p in s['procedures'])}), {len(filled)}/{len(heads)} 9.3.2 headings "
            f"with system data, previous actions from {first}")
    ctx.say(f"review: refused for chen: {refused}")
    ctx.say(f"review: {number} approved by wang (总经理), {len(final['data']['outputs'])} outputs in `qms due`; "
            f"minutes: `qms record pdf {number}`")


#: What the meeting said about some inputs (the figures themselves come from the system).
ASSESSMENTS: dict[str, str] = {
    "customer": "投诉量稳定，重大投诉均按时报总经理；回访满意度良好。Complaints stable; major ones reported in time.",
    "nonconformities": "校准失效引发的不合格和内审不符合项均已完成纠正措施并验证关闭。"
                       "The NCRs from the failed calibration and the audit finding were corrected and closed.",
    "resources": "设备完好率达标；需补充一台备用压力表。Equipment intact rate on target; one spare gauge needed.",
}

#: The outputs decided at the 2026 meeting: kind, action, owner, due within (working days of the meeting).
OUTPUTS: tuple[tuple[str, str, str, str], ...] = (
    ("资源需求", "增购一台备用压力表并送检 Buy a spare pressure gauge and have it calibrated", "sun", "20wd"),
    ("改进机会", "维修到场超时原因分析，调整派工规则 Analyse late repair arrivals and change dispatch rules", "qian", "15wd"),
    ("体系变更", "修订 QP-8.2-01，明确投诉交接考核 Revise QP-8.2-01 to assess complaint hand-offs", "zhou", "30wd"),
)


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after every other procedure."""
    return [(80, step_review)]


__all__ = ["steps", "step_review"]

"""The demo's complaints step: eight complaints from the seeds' scenarios, through both branches, in time order.

Scenarios (seed 000 docs 10/17/19, seed 004 D15): a furniture customer's colour-difference batch
returned across the National Day holiday (internal branch); a missing-part 补件 that turns out to be
in an unopened box (customer-caused branch, approved by 管理者代表); a collective complaint by 12
owners about leaking roofs (特殊重大 on the spot, internal branch); a staff-attitude complaint whose
assignment took 35 minutes (internal, 业务部 hosts); a shattered glass table returned after misuse
(customer-caused, approved by 总经理, customer dissatisfied at the visit); a wrong part shipped
(internal); a cleaning complaint filed on a Sunday evening and registered late (open); and an
area-difference complaint open since August, escalated automatically to 特殊重大.

Every action runs as the demo user who would take it, at its own time (``QMS_NOW`` is set for each
action and restored afterwards), so every run files the same records with the same numbers. The
step ends at the demo clock (2026-11-02 09:00) with the automatic escalation and renders the
monthly reports for October and November 2026; the record PDFs come from the render step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import frozen_at

from qms_complaints import service
from qms_complaints.forms import COMPLAINT

if TYPE_CHECKING:
    from qms.api import App
    from qms.api import DemoStep
    from qms.api import DemoContext

#: (time, user, verb, scenario, argument): file/update/move/sign/visit.
Event = tuple[str, str, str, str, Any]

END = "2026-11-02T09:00:00"
MONTHS = ("2026-10", "2026-11")


def _cause(category: str, text: str) -> dict[str, str]:
    return {"category": category, "text": text}


def _action(kind: str, text: str, owner: str, dept: str, due: str, done: str | None = None, result: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "action": text, "owner": owner, "dept": dept, "due": due}
    if done:
        out["done_at"] = done
    if result:
        out["result"] = result
    return out


def colour_batch() -> list[Event]:
    """A furniture customer returns a colour-difference batch; analysis spans the National Day holiday."""
    k = "colour"
    actions = [
        _action("纠正", "重做色差明显的 40 把餐椅并补发", "sun", "设备科", "2026-10-20"),
        _action("纠正措施", "校准烘干房温控器，加装温度记录仪", "sun", "设备科", "2026-10-18"),
        _action("预防措施", "出货检验增加对照确认色板逐批比色", "zhou", "质量管理部", "2026-10-19"),
    ]
    done = [dict(a, done_at=d, result=r) for a, d, r in zip(actions, ("2026-10-19", "2026-10-16", "2026-10-19"),
                                                              ("已补发 40 把", "温控波动降至 ±1.5℃", "比色记录已纳入出货检验单"), strict=True)]
    return [
        ("2026-09-28T10:05:00", "zhao", "file", k, {
            "received_at": "2026-09-28T09:50:00", "received_by": "赵业务", "channel": "电话", "customer": "华美家具有限公司",
            "contact_person": "刘经理", "contact_phone": "0755-2688 1234", "product": "实木餐椅 CY-210 胡桃色",
            "serial_number": "20260905-03", "quantity": 120, "delivery_date": "2026-09-12", "goods_returned": True,
            "return_method": "物流", "content": "同一批次 120 把餐椅颜色深浅不一，约 40 把与确认色板明显不符。",
            "demand": "退回色差明显的 40 把重做，并赔偿门店延期开业的损失。", "compensation_claimed": True,
            "amount_involved": 8600, "complainant_count": 1}),
        ("2026-09-28T10:12:00", "zhao", "update", k, {"nature": "质量", "category": "整件质量问题", "sub_category": "色差"}),
        ("2026-09-28T10:13:00", "zhao", "move", k, "registered"),
        ("2026-09-28T10:30:00", "zhao", "update", k, {"responsible_dept": "生产部", "responsible_person": "张生产"}),
        ("2026-09-28T10:31:00", "zhao", "move", k, "assigned"),
        ("2026-09-28T11:00:00", "li", "move", k, "investigating"),
        ("2026-09-29T15:10:00", "li", "update", k, {"goods_received_at": "2026-09-29T15:00:00",
                                                      "containment": "追溯同批次在库 60 把，隔离并挂待判定标识；复检 12 把色差超限，返工。"}),
        ("2026-10-12T16:10:00", "li", "update", k, {
            "analysis_result": "退回 40 把逐把比色：ΔE 2.8–4.6，超出 ΔE≤1.5 的确认标准；同批次烘干记录显示温度波动 ±8℃。",
            "analysis_completed_at": "2026-10-12T16:00:00",
            "investigation_result": "色差由烘干房温度波动引起，属本公司生产过程原因。", "responsibility": "公司内部"}),
        ("2026-10-12T16:20:00", "li", "move", k, "cause_analysis"),
        ("2026-10-13T10:00:00", "sun", "update", k, {
            "main_causes": [_cause("机", "烘干房温控器漂移，批次内温度波动 ±8℃"), _cause("法", "换批时未按工艺卡首件比色")],
            "secondary_causes": [_cause("测", "出货检验未对照确认色板")], "actions": actions,
            "review_meeting": "2026-10-13 品质部召集生产部、设备科召开客户投诉检讨会。"}),
        ("2026-10-13T10:30:00", "sun", "move", k, "corrective_action"),
        ("2026-10-20T09:00:00", "sun", "update", k, {"actions": done}),
        ("2026-10-22T14:00:00", "li", "update", k, {"verification_result": "连续 3 批抽检比色 ΔE≤1.0，温度记录波动 ±1.5℃，措施有效。"}),
        ("2026-10-22T14:05:00", "li", "sign", k, "verified"),
        ("2026-10-26T09:00:00", "li", "update", k, {"closed_at": "2026-10-26", "follow_up_due": "2026-10-30",
                                                      "follow_up_method": "电话沟通"}),
        ("2026-10-26T09:05:00", "li", "move", k, "closed"),
        ("2026-10-30T10:00:00", "zhao", "visit", k, {"method": "电话沟通", "interviewee": "刘经理", "implemented": True,
                                                       "satisfaction": "满意", "feedback": "补发餐椅颜色一致，认可处理结果。"}),
    ]


def missing_part() -> list[Event]:
    """补件/缺件: the hinges were in a box the customer had not opened (customer-caused branch)."""
    k = "hinges"
    return [
        ("2026-10-09T14:30:00", "zhao", "file", k, {
            "received_at": "2026-10-09T14:20:00", "channel": "电话", "customer": "金城装饰工程公司", "contact_person": "周工",
            "contact_phone": "138 0013 8000", "product": "衣柜 YG-880", "quantity": 6, "delivery_date": "2026-10-05",
            "content": "6 套衣柜到货后缺少铰链配件包，无法安装。", "demand": "立即补发铰链。",
            "nature": "质量", "category": "补件", "sub_category": "缺件"}),
        ("2026-10-09T14:35:00", "zhao", "move", k, "registered"),
        ("2026-10-09T14:44:00", "zhao", "update", k, {"responsible_dept": "仓储部", "responsible_person": "孙仓管",
                                                        "investigation_due": "2026-10-10"}),
        ("2026-10-09T14:45:00", "zhao", "move", k, "assigned"),
        ("2026-10-09T15:00:00", "li", "move", k, "investigating"),
        ("2026-10-10T09:20:00", "li", "update", k, {
            "investigation_result": "核对出货装箱照片：铰链配件包按规定装在 1 号箱顶部独立小盒内，客户拆箱时未发现。",
            "responsibility": "客户原因",
            "reply_text": "经核查，铰链配件包随货发出，位于每套 1 号包装箱顶部的白色小盒内，请贵司查找；如仍缺少，我司当日补发。"}),
        ("2026-10-10T09:30:00", "li", "move", k, "reply_drafted"),
        ("2026-10-10T11:00:00", "chen", "sign", k, "reply_approved"),
        ("2026-10-10T11:30:00", "zhao", "update", k, {"replied_at": "2026-10-10T11:25:00", "reply_method": "电话",
                                                        "customer_response": "已找到配件包，表示理解。"}),
        ("2026-10-10T11:31:00", "zhao", "move", k, "replied"),
        ("2026-10-10T14:00:00", "li", "update", k, {"closed_at": "2026-10-10", "follow_up_due": "2026-10-17",
                                                      "follow_up_method": "电话沟通"}),
        ("2026-10-10T14:01:00", "li", "move", k, "closed"),
        ("2026-10-16T10:00:00", "zhao", "visit", k, {"method": "电话沟通", "interviewee": "周工", "implemented": True,
                                                       "satisfaction": "满意", "feedback": "建议在箱外标注配件位置。"}),
    ]


def leaking_roofs() -> list[Event]:
    """12 owners complain together about leaking roofs: 特殊重大 at once, internal branch."""
    k = "roofs"
    actions = [
        _action("纠正", "重做 6 号楼屋面防水并修复 12 户室内粉刷", "wu", "项目部", "2026-10-24"),
        _action("纠正措施", "屋面防水工程增设闭水试验见证点，监理签认后方可隐蔽", "zhou", "质量管理部", "2026-10-20"),
        _action("预防措施", "排查同批次 1–5 号楼屋面防水搭接", "wu", "项目部", "2026-10-26"),
    ]
    done = [dict(a, done_at=d) for a, d in zip(actions, ("2026-10-24", "2026-10-19", "2026-10-26"), strict=True)]
    return [
        ("2026-10-10T08:50:00", "zhao", "file", k, {
            "received_at": "2026-10-10T08:40:00", "channel": "转交", "transferred_via": "物业公司",
            "customer": "翠湖苑 6 号楼 12 户业主（代表 王先生）", "contact_person": "王先生", "contact_phone": "139 2000 0606",
            "contact_address": "翠湖苑 6 号楼 1801", "content": "国庆期间连续降雨后屋面渗漏，12 户顶层卧室天花板水渍、墙面粉刷起皮。",
            "demand": "尽快修复屋面防水并赔偿室内损失。", "complainant_count": 12, "compensation_claimed": True,
            "nature": "质量", "category": "物业质量", "sub_category": "渗漏"}),
        ("2026-10-10T08:55:00", "zhao", "move", k, "registered"),
        ("2026-10-10T09:05:00", "zhao", "update", k, {"responsible_dept": "项目部", "responsible_person": "吴项目"}),
        ("2026-10-10T09:06:00", "zhao", "move", k, "assigned"),
        ("2026-10-10T09:30:00", "li", "move", k, "investigating"),
        ("2026-10-12T17:00:00", "li", "update", k, {
            "investigation_result": "现场查勘：屋面 SBS 卷材搭接宽度 50–60mm，小于 100mm 要求，且竣工前未做闭水试验。",
            "responsibility": "公司内部"}),
        ("2026-10-12T17:05:00", "li", "move", k, "cause_analysis"),
        ("2026-10-13T11:00:00", "wu", "update", k, {
            "main_causes": [_cause("法", "防水卷材搭接宽度不足且未做闭水试验即隐蔽"), _cause("人", "分包班组未按技术交底施工")],
            "secondary_causes": [_cause("环", "国庆期间连续强降雨")], "actions": actions}),
        ("2026-10-13T11:10:00", "wu", "move", k, "corrective_action"),
        ("2026-10-26T17:00:00", "wu", "update", k, {"actions": done}),
        ("2026-10-28T10:00:00", "li", "update", k, {"verification_result": "6 号楼屋面 24 小时闭水试验无渗漏；10-27 降雨后 12 户回查无新水渍。"}),
        ("2026-10-28T10:05:00", "li", "sign", k, "verified"),
        ("2026-10-29T09:00:00", "li", "update", k, {"closed_at": "2026-10-29", "follow_up_due": "2026-11-01",
                                                      "follow_up_method": "上门拜访"}),
        ("2026-10-29T09:01:00", "li", "move", k, "closed"),
        ("2026-11-01T10:00:00", "qian", "visit", k, {"method": "上门拜访", "interviewee": "王先生及 3 户业主代表",
                                                       "implemented": True, "satisfaction": "基本满意",
                                                       "feedback": "屋面已不漏，个别户粉刷色差希望再补一遍。"}),
    ]


def staff_attitude() -> list[Event]:
    """A staff-attitude complaint (非质量 → 业务部), assigned 35 minutes after registration."""
    k = "attitude"
    actions = [
        _action("纠正", "当面致歉并更换对接销售顾问", "zhao", "业务部", "2026-10-17"),
        _action("纠正措施", "销售顾问客户沟通礼仪培训并考核", "zhao", "业务部", "2026-10-22"),
    ]
    done = [dict(a, done_at=d) for a, d in zip(actions, ("2026-10-16", "2026-10-21"), strict=True)]
    return [
        ("2026-10-15T16:40:00", "zhao", "file", k, {
            "received_at": "2026-10-15T16:30:00", "channel": "电话", "customer": "陈女士（翠湖苑 3-602 业主）",
            "contact_phone": "137 0000 3602", "content": "售楼处销售顾问电话中语气生硬，多次打断并挂断电话。",
            "demand": "道歉并更换对接人员。", "nature": "非质量", "category": "服务问题", "sub_category": "员工工作态度"}),
        ("2026-10-15T16:45:00", "zhao", "move", k, "registered"),
        ("2026-10-15T17:19:00", "zhao", "update", k, {"responsible_dept": "业务部", "responsible_person": "销售主管",
                                                        "assign_late_reason": "销售主管外出看房，17:15 才确认接手"}),
        ("2026-10-15T17:20:00", "zhao", "move", k, "assigned"),
        ("2026-10-16T09:00:00", "zhao", "move", k, "investigating"),
        ("2026-10-16T10:00:00", "zhao", "update", k, {"investigation_result": "调取通话录音，投诉属实。", "responsibility": "公司内部"}),
        ("2026-10-16T10:01:00", "zhao", "move", k, "cause_analysis"),
        ("2026-10-16T11:00:00", "zhao", "update", k, {
            "main_causes": [_cause("人", "销售顾问未受过客户沟通礼仪培训")], "secondary_causes": [_cause("法", "缺少来电服务规范")],
            "actions": actions}),
        ("2026-10-16T11:01:00", "zhao", "move", k, "corrective_action"),
        ("2026-10-21T17:00:00", "zhao", "update", k, {"actions": done}),
        ("2026-10-23T09:00:00", "li", "update", k, {"verification_result": "抽查 20 通来电录音，礼貌用语合格率 100%。"}),
        ("2026-10-23T09:05:00", "li", "sign", k, "verified"),
        ("2026-10-23T10:00:00", "zhao", "update", k, {"closed_at": "2026-10-23", "follow_up_due": "2026-10-27",
                                                        "follow_up_method": "电话沟通"}),
        ("2026-10-23T10:01:00", "zhao", "move", k, "closed"),
        ("2026-10-27T15:00:00", "zhao", "visit", k, {"method": "电话沟通", "interviewee": "陈女士", "implemented": True,
                                                       "satisfaction": "满意"}),
    ]


def shattered_table() -> list[Event]:
    """A returned glass table shattered after misuse: customer-caused, approved by 总经理, customer dissatisfied."""
    k = "glass"
    return [
        ("2026-10-12T11:10:00", "zhao", "file", k, {
            "received_at": "2026-10-12T11:00:00", "channel": "网络", "customer": "鑫达酒店用品公司", "contact_person": "钱经理",
            "product": "钢化玻璃茶几 CJ-35", "serial_number": "CJ35-2608-117", "quantity": 2, "delivery_date": "2026-08-30",
            "goods_returned": True, "return_method": "快递", "content": "两张茶几玻璃面板在客房使用中突然爆裂。",
            "demand": "退货退款 ¥3,200。", "amount_involved": 3200, "safety_involved": True,
            "nature": "质量", "category": "整件质量问题", "sub_category": "爆裂"}),
        ("2026-10-12T11:20:00", "zhao", "move", k, "registered"),
        ("2026-10-12T11:40:00", "zhao", "update", k, {"responsible_dept": "品质部", "responsible_person": "李品质"}),
        ("2026-10-12T11:41:00", "zhao", "move", k, "assigned"),
        ("2026-10-12T13:00:00", "li", "move", k, "investigating"),
        ("2026-10-13T10:05:00", "li", "update", k, {"goods_received_at": "2026-10-13T10:00:00"}),
        ("2026-10-19T15:00:00", "li", "update", k, {
            "analysis_result": "碎片呈以角部撞击点为中心的放射状裂纹；同批留样 5 片冲击试验合格；面板角部有电热水壶烫痕。",
            "analysis_completed_at": "2026-10-19T15:00:00",
            "investigation_result": "爆裂由角部外力撞击和局部高温引起，产品符合 GB 15763.2。", "responsibility": "客户原因",
            "reply_text": "经检测，爆裂起点为角部撞击点，另有高温烫痕，同批产品冲击试验合格。建议勿在玻璃面放置高温电器；我司可按成本价更换面板。"}),
        ("2026-10-19T15:10:00", "li", "move", k, "reply_drafted"),
        ("2026-10-20T09:30:00", "wang", "sign", k, "reply_approved"),
        ("2026-10-20T10:00:00", "zhao", "update", k, {"replied_at": "2026-10-20T09:55:00", "reply_method": "书面",
                                                        "customer_response": "对结论有异议，但接受成本价更换。"}),
        ("2026-10-20T10:01:00", "zhao", "move", k, "replied"),
        ("2026-10-21T09:00:00", "li", "update", k, {"closed_at": "2026-10-21", "follow_up_due": "2026-10-26",
                                                      "follow_up_method": "电话沟通"}),
        ("2026-10-21T09:01:00", "li", "move", k, "closed"),
        ("2026-10-26T11:00:00", "zhao", "visit", k, {
            "method": "电话沟通", "interviewee": "钱经理", "implemented": True, "satisfaction": "不满意",
            "dissatisfaction_reason": "认为茶几应能承受日常碰撞。", "alternatives_told": True,
            "feedback": "已告知可申请第三方检测或经消协调解。"}),
    ]


def wrong_part() -> list[Event]:
    """补件/错件: drawer slides of the wrong length picked in the warehouse (internal branch)."""
    k = "slides"
    actions = [
        _action("纠正", "当日补发 450mm 滑轨 24 副，收回错发件", "zhao", "业务部", "2026-10-21"),
        _action("纠正措施", "拣货环节启用扫码核对订单型号", "zhao", "业务部", "2026-10-27"),
    ]
    done = [dict(a, done_at=d) for a, d in zip(actions, ("2026-10-20", "2026-10-26"), strict=True)]
    return [
        ("2026-10-20T09:15:00", "zhao", "file", k, {
            "received_at": "2026-10-20T09:10:00", "channel": "电话", "customer": "华美家具有限公司", "contact_person": "刘经理",
            "product": "抽屉滑轨 HG-450", "quantity": 24, "delivery_date": "2026-10-18",
            "content": "订单为 450mm 滑轨，实发 350mm。", "demand": "当日补发正确型号。",
            "nature": "质量", "category": "补件", "sub_category": "错件"}),
        ("2026-10-20T09:25:00", "zhao", "move", k, "registered"),
        ("2026-10-20T09:39:00", "zhao", "update", k, {"responsible_dept": "仓储部", "responsible_person": "孙仓管"}),
        ("2026-10-20T09:40:00", "zhao", "move", k, "assigned"),
        ("2026-10-20T10:00:00", "li", "move", k, "investigating"),
        ("2026-10-20T14:00:00", "li", "update", k, {"investigation_result": "出库单型号正确，拣货员按货位拿取时拿错相邻货位。",
                                                      "responsibility": "公司内部"}),
        ("2026-10-20T14:01:00", "li", "move", k, "cause_analysis"),
        ("2026-10-21T09:00:00", "zhao", "update", k, {
            "main_causes": [_cause("法", "拣货未按订单扫码核对型号")], "secondary_causes": [_cause("环", "相邻货位标识不清")],
            "actions": actions}),
        ("2026-10-21T09:01:00", "zhao", "move", k, "corrective_action"),
        ("2026-10-27T09:00:00", "zhao", "update", k, {"actions": done}),
        ("2026-10-28T15:00:00", "li", "update", k, {"verification_result": "10-27 起 312 单拣货扫码核对，零错发。"}),
        ("2026-10-28T15:05:00", "li", "sign", k, "verified"),
        ("2026-10-29T10:00:00", "li", "update", k, {"closed_at": "2026-10-29", "follow_up_due": "2026-11-05",
                                                      "follow_up_method": "电话沟通"}),
        ("2026-10-29T10:01:00", "li", "move", k, "closed"),
        ("2026-11-02T08:30:00", "zhao", "visit", k, {"method": "电话沟通", "interviewee": "刘经理", "implemented": True,
                                                       "satisfaction": "满意"}),
    ]


def cleaning_open() -> list[Event]:
    """A cleaning complaint on a Sunday evening, registered late on Monday morning; still being investigated."""
    k = "cleaning"
    return [
        ("2026-11-02T08:35:00", "zhao", "file", k, {
            "received_at": "2026-11-01T19:40:00", "received_by": "物业值班员", "channel": "转交", "transferred_via": "物业公司",
            "customer": "林先生（翠湖苑 2-301 业主）", "contact_phone": "136 0000 2301",
            "content": "2 号楼楼道垃圾两天未清运，气味明显。", "demand": "立即清运并加强保洁巡查。",
            "nature": "非质量", "category": "物业管理", "sub_category": "保洁",
            "register_late_reason": "周日晚物业值班员接收，周一上班后转交登记"}),
        ("2026-11-02T08:36:00", "zhao", "move", k, "registered"),
        ("2026-11-02T08:50:00", "zhao", "update", k, {"responsible_dept": "物业管理部", "responsible_person": "钱物业",
                                                        "investigation_due": "2026-11-04"}),
        ("2026-11-02T08:51:00", "zhao", "move", k, "assigned"),
        ("2026-11-02T08:55:00", "zhao", "move", k, "investigating"),
    ]


def area_dispute() -> list[Event]:
    """An area-difference complaint open since August for the company's reasons: escalated at the end."""
    k = "area"
    return [
        ("2026-08-20T10:10:00", "zhao", "file", k, {
            "received_at": "2026-08-20T10:00:00", "channel": "拜访/上门", "customer": "李先生（翠湖苑 9-1101 业主）",
            "contact_phone": "135 0000 1101", "content": "实测面积比合同约定少 3.2 平方米。",
            "demand": "按合同退还面积差价 ¥9,600。", "amount_involved": 9600, "compensation_claimed": True,
            "nature": "非质量", "category": "合同问题", "sub_category": "面积差异"}),
        ("2026-08-20T10:20:00", "zhao", "move", k, "registered"),
        ("2026-08-20T10:40:00", "zhao", "update", k, {"responsible_dept": "业务部", "responsible_person": "赵业务"}),
        ("2026-08-20T10:41:00", "zhao", "move", k, "assigned"),
        ("2026-08-21T09:00:00", "zhao", "move", k, "investigating"),
    ]


SCENARIOS = (area_dispute, colour_batch, missing_part, leaking_roofs, shattered_table, staff_attitude, wrong_part,
             cleaning_open)




def run_event(app: App, numbers: dict[str, str], event: Event, password: str,
              names: dict[str, str] | None = None) -> None:
    """Carry out one event as its user at its time (a visit is filed and confirmed at once)."""
    moment, user, verb, key, arg = event
    acting = app.acting_as(user)
    with frozen_at(moment):
        if verb == "file":
            numbers[key] = api.file_record(acting, COMPLAINT, arg)["number"]
        elif verb == "update":
            api.update_record(acting, numbers[key], arg)
        elif verb in ("move", "sign"):
            api.move_record(acting, numbers[key], arg, password=password if verb == "sign" else None)
        elif verb == "visit":
            visitor = (names or {}).get(user, user)
            filed = service.file_visit(acting, {"complaint": numbers[key], "visited_at": moment, "visitor": visitor, **arg})
            api.move_record(acting, filed["number"], "closed", note="回访记录确认 visit record confirmed")
        else:  # pragma: no cover - a typo in the scenarios above
            raise ValueError(f"unknown demo verb {verb!r}")


def step_complaints(ctx: DemoContext) -> None:
    """Complaints: eight scenarios through both branches, follow-up visits, escalation, monthly reports."""
    from qms.api import DEMO_PASSWORD, DEMO_USERS
    from qms.api import Job, render_all

    app = ctx.app
    events = sorted((e for scenario in SCENARIOS for e in scenario()), key=lambda e: e[0])
    numbers: dict[str, str] = {}
    names = {user[0]: user[3] for user in DEMO_USERS}
    for event in events:
        run_event(app, numbers, event, DEMO_PASSWORD, names)
    with frozen_at(END):
        escalated = service.escalate(app.acting_as("li"))
        renderer = app.acting_as("li")
        jobs = [Job(service.report_file(m), service.report_page(renderer, service.monthly_report(renderer, m), "li"), "report")
                for m in MONTHS]
        made = render_all(renderer, actor="li", collected=jobs, jobs=1)  # two pages: no worker processes
    closed = [n for n in numbers.values() if api.get_record(app, n)["closed"]]
    ctx.say(f"complaints: {len(numbers)} filed ({', '.join(sorted(numbers.values()))}), {len(closed)} closed through both "
            f"branches with {len(service.visits(app))} follow-up visits; escalated {', '.join(e['number'] for e in escalated) or 'none'}")
    ctx.say(f"complaint reports: {', '.join(made.rendered + made.skipped) or 'none'} in records/pdf/"
            + (f"; {len(made.failed)} FAILED: {made.failed[0]}" if made.failed else ""))


__all__ = ["SCENARIOS", "run_event", "step_complaints"]


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after the documents are issued."""
    return [(20, step_complaints)]

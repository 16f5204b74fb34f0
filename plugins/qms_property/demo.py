"""The demo's property-services step: two buildings' requests of all four types, repairs, a complaint, passes.

The story, in time order, each action by the demo user who would take it at its own time
(``QMS_NOW`` is set per action and restored), so every run gives the same numbers and deadlines:

* A栋 and B栋: enquiries, an "other" request passed to 安保部, a noise complaint escalated the
  same evening, a missed service-line call called back — and enough registered calls for the
  line's answer rate;
* a class A burst pipe (charged, signed voucher, photo attached) and a class C warranty leak (not
  fixed on the spot, an unresolved return visit escalated to the service-centre director, repeat
  visit) both to closure;
* an urgent car-park flood reported at 08:20 on the demo morning: dispatched, not yet on site at
  09:00 — overdue;
* an owner's cleaning complaint handed to QP-8.2-01 and registered there by 业务部;
* an external vehicle's yellow pass with deposit, renewed, handed back and refunded; a second
  external pass past its period (due item); a group employee's light-green pass.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import frozen_at

from qms_property import intake, passes, repairs
from qms_property.forms import REQUEST

if TYPE_CHECKING:
    from qms.api import App
    from qms.api import DemoStep
    from qms.api import DemoContext




def _as(ctx: DemoContext, user: str) -> App:
    return ctx.app.acting_as(user)


def photo_png(width: int = 48, height: int = 32) -> bytes:
    """A small grey-and-blue PNG standing in for a site photo (made here, so the demo needs no files)."""
    blue, grey = bytes((90, 120, 160)), bytes((200, 200, 200))
    rows = b"".join(b"\x00" + b"".join(blue if (x // 8 + y // 8) % 2 else grey for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _request(app: App, at: str, **data: Any) -> str:
    with frozen_at(at):
        return str(api.file_record(app, REQUEST, {"received_at": at, "received_by": "钱物业", **data})["number"])


def _answer(app: App, number: str, at: str, answer: str, **extra: Any) -> None:
    with frozen_at(at):
        api.update_record(app, number, {"answered_at": at, "answer": answer, **extra})
        api.move_record(app, number, "closed", note="已答复 answered")


def _line_requests(app: App) -> list[str]:
    """Enquiries and other requests of both buildings; one missed call called back; one escalated."""
    owner = {"channel": "电话", "call_answered": True, "requester_kind": "业主"}
    made = []
    for at, who, building, unit, kind, text, answered, answer in (
        ("2026-10-26T10:05:00", "赵先生", "A栋", "1505", "咨询", "装修申报需要哪些材料", "2026-10-26T10:12:00",
         "业主身份证明、装修图纸、施工单位资质，到客服中心办理"),
        ("2026-10-27T09:40:00", "孙女士", "A栋", "2201", "咨询", "物业费缴纳方式", "2026-10-27T09:44:00", "前台、银行代扣或线上缴纳"),
        ("2026-10-28T16:00:00", "周女士", "A栋", "0902", "其他", "单元门禁卡损坏需补办", "2026-10-28T16:40:00",
         "已通知安保部补办，次日前台领取"),
        ("2026-10-29T11:20:00", "吴先生", "B栋", "1702", "其他", "快递代收点位置", "2026-10-29T11:22:00", "B栋一层大堂东侧"),
        ("2026-10-30T08:15:00", "郑女士", "B栋", "0301", "咨询", "本周停水安排", "2026-10-30T08:20:00", "周四 9:00–12:00 二次供水清洗"),
        ("2026-10-31T19:30:00", "冯先生", "A栋", "0706", "咨询", "电梯年检时间", "2026-10-31T19:33:00", "11 月 5 日上午，届时 2 号梯停用"),
    ):
        number = _request(app, at, **owner, requester_name=who, building=building, unit=unit, request_type=kind,
                          description=text)
        extra = {"referred_dept": "安保部", "result": "安保部已补办门禁卡"} if kind == "其他" and "门禁" in text else {}
        _answer(app, number, answered, answer, **extra)
        made.append(number)
    missed = _request(app, "2026-11-01T22:40:00", channel="电话", call_answered=False, requester_kind="租户",
                      requester_name="何先生", building="B栋", unit="1205", request_type="咨询",
                      description="未接来电，22:50 回拨：询问车位月租")
    _answer(app, missed, "2026-11-01T22:50:00", "回拨答复：地下车位月租 300 元，可到客服中心办理")
    noise = _request(app, "2026-11-01T21:15:00", **{**owner, "requester_kind": "租户"}, requester_name="许女士",
                     building="B栋", unit="0603", request_type="其他", description="楼上夜间装修噪音扰民")
    with frozen_at("2026-11-01T21:30:00"):
        api.update_record(app, noise, {"escalated_at": "2026-11-01T21:30:00", "escalated_to": "客服中心主任",
                                    "escalation_reason": "夜间施工须管理处出面制止"})
        api.move_record(app, noise, "escalated", note="当日升级 escalated the same day")
    online = _request(app, "2026-10-30T10:10:00", channel="网络", requester_kind="访客", requester_name="林先生",
                      building="B栋", unit="1101", request_type="咨询", description="访客车辆能否临时停放")
    _answer(app, online, "2026-10-30T11:00:00", "访客车辆登记后可在地面临时车位停放 2 小时")
    return [*made, missed, noise, online]


def _repair_a(app: App, photo: Path) -> tuple[str, str]:
    """A burst pipe in A栋 1203: class A, charged, signed voucher, return visit, closed."""
    fw = _request(app, "2026-10-26T09:12:00", channel="电话", call_answered=True, requester_kind="业主",
                  requester_name="王女士", requester_phone="13800001203", building="A栋", unit="1203",
                  request_type="报修", urgency="紧急", description="厨房水槽下角阀爆裂，水流到客厅")
    with frozen_at("2026-10-26T09:13:00"):
        api.attach_file(app, fw, photo)
    with frozen_at("2026-10-26T09:15:00"):
        order = intake.dispatch(app, fw, "A", technician="张师傅", dispatcher="维修班长刘")["number"]
        api.update_record(app, order, {"charge_notified": True}, note="告知客户：角阀更换 35 元（含材料）")
    with frozen_at("2026-10-26T09:36:00"):
        api.update_record(app, order, {"arrived_at": "2026-10-26T09:36:00", "fault": "角阀老化爆裂"})
        api.move_record(app, order, "arrived")
    with frozen_at("2026-10-26T10:20:00"):
        repairs.complete(app, order, {
            "work_done": "关闭总阀，更换角阀及软管，试水无渗漏，清理积水",
            "materials": [{"name": "角阀", "qty": 1, "unit": "个", "unit_price": 18},
                          {"name": "不锈钢编织软管", "qty": 1, "unit": "根", "unit_price": 12}],
            "charge": 35, "voucher_signed_by": "王女士", "voucher_signed_at": "2026-10-26T10:20:00"})
    with frozen_at("2026-10-28T10:00:00"):
        repairs.visit(app, order, method="电话", satisfaction="非常满意", resolved=True, visitor="钱物业",
                      feedback="维修及时，无渗漏")
    return fw, order


def _repair_c(app: App) -> tuple[str, str]:
    """A leaking bathroom wall in B栋 0802 under warranty: class C, not fixed on the spot, escalated visit."""
    fw = _request(app, "2026-10-27T14:05:00", channel="上门", requester_kind="租户", requester_name="陈先生",
                  requester_phone="13900000802", building="B栋", unit="0802", request_type="报修", urgency="一般",
                  description="卫生间与卧室隔墙渗水起皮（交房 8 个月）")
    with frozen_at("2026-10-27T14:20:00"):
        order = intake.dispatch(app, fw, "C", technician="李师傅", dispatcher="维修班长刘",
                                extra={"warranty_until": "2027-02-28"})["number"]
    with frozen_at("2026-10-28T09:30:00"):
        api.update_record(app, order, {"arrived_at": "2026-10-28T09:30:00"})
        api.move_record(app, order, "arrived")
        api.update_record(app, order, {"fault": "淋浴区防水层破损", "unfixed_reason": "需凿开重做防水，待防水层干透 48 小时后复涂",
                                    "expected_completion": "2026-10-30T16:00:00"})
        api.move_record(app, order, "pending", note="已告知客户预计完成时间")
    with frozen_at("2026-10-30T15:00:00"):
        repairs.complete(app, order, {"work_done": "重做淋浴区防水并闭水试验 24 小时，墙面重新批荡涂刷", "charge": 0,
                                      "voucher_signed_by": "陈先生", "voucher_signed_at": "2026-10-30T15:00:00"})
    with frozen_at("2026-10-31T10:00:00"):
        visit = repairs.visit(app, order, method="上门", satisfaction="不满意", resolved=False, visitor="钱物业",
                              feedback="墙角仍有潮痕")["visit"]["number"]
    with frozen_at("2026-11-01T16:00:00"):
        repairs.revisit(app, visit, director_action="客服中心主任协调工程部复查，确认为墙面余湿，加装除湿后复涂",
                        office_report="已报管理处：保修期内免费处理，已解决", satisfaction="满意")
    return fw, order


def _overdue_repair(app: App) -> tuple[str, str]:
    """The demo morning: flood at the B栋 car-park entrance, dispatched but nobody on site by 09:00."""
    fw = _request(app, "2026-11-02T08:20:00", channel="电话", call_answered=True, requester_kind="业主",
                  requester_name="曹先生", requester_phone="13700000000", building="B栋", unit="地下车库",
                  request_type="报修", urgency="紧急", description="地库入口积水，正流向电梯井")
    with frozen_at("2026-11-02T08:25:00"):
        order = intake.dispatch(app, fw, "D", technician="王师傅", dispatcher="维修班长刘")["number"]
    return fw, order


def _complaint(ctx: DemoContext) -> tuple[str, str]:
    """An owner's cleaning complaint, handed over to QP-8.2-01 and registered there by 业务部."""
    app = _as(ctx, "qian")
    fw = _request(app, "2026-10-31T09:30:00", channel="上门", requester_kind="业主", requester_name="李先生",
                  requester_phone="13600000502", building="B栋", unit="0502", request_type="投诉",
                  complaint_category="物业管理", complaint_subcategory="保洁", description="五楼楼道连续三天未清扫，垃圾有异味")
    with frozen_at("2026-10-31T09:40:00"):
        ks = intake.handoff(app, fw)["number"]
    zhao = _as(ctx, "zhao")
    with frozen_at("2026-10-31T09:55:00"):
        api.update_record(zhao, ks, {"nature": "非质量", "category": "物业管理", "sub_category": "保洁"})
        api.move_record(zhao, ks, "registered", note="物业转交的业主投诉")
    with frozen_at("2026-10-31T10:15:00"):
        api.update_record(zhao, ks, {"host_dept": "业务部", "responsible_dept": "物业管理部", "responsible_person": "钱物业"})
        api.move_record(zhao, ks, "assigned")
    return fw, ks


def _passes(app: App) -> list[str]:
    """An external pass with deposit → renewal → return → refund; an expired one; an employee's pass."""
    truck = {"applicant": "顺达物流有限公司", "vehicle_category": "外部车辆", "handling_dept": "采购部",
             "letter_reason": "每日向仓库送货", "period_from": "2026-09-01", "period_until": "2026-09-30",
             "documents": ["机动车行驶证"], "plate": "沪A·12345"}
    with frozen_at("2026-09-01T10:00:00"):
        first = passes.issue(app, truck, receipt="SJ-2026-031")["number"]
    with frozen_at("2026-09-30T15:00:00"):
        second = passes.renew(app, first, until="2026-10-31", reason="送货合同延长一个月")["number"]
    with frozen_at("2026-10-31T16:00:00"):
        passes.hand_back(app, second)
    with frozen_at("2026-11-02T08:30:00"):
        passes.refund(app, second, voucher="CW-2026-118")
    with frozen_at("2026-10-08T09:00:00"):
        expired = passes.issue(app, {"applicant": "华东设备维修公司", "vehicle_category": "外部车辆", "handling_dept": "设备科",
                                     "letter_reason": "空压机年度检修", "period_from": "2026-10-08",
                                     "period_until": "2026-10-31", "documents": ["驾驶证"], "plate": "苏E67890"},
                               receipt="SJ-2026-047")["number"]
        staff = passes.issue(app, {"applicant": "孙设备（设备科）", "vehicle_category": "集团员工", "letter_reason": "上下班通勤",
                                   "documents": ["身份证"], "plate": "沪C24680"})["number"]
    return [first, second, expired, staff]


def step_property(ctx: DemoContext) -> None:
    """Property services: requests in two buildings, repairs A and C to closure, an overdue repair, passes."""
    app = _as(ctx, "qian")
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "A栋1203-角阀爆裂.png"
        photo.write_bytes(photo_png())
        fw_a, pg_a = _repair_a(app, photo)
    fw_c, pg_c = _repair_c(app)
    line = _line_requests(app)
    fw_complaint, ks = _complaint(ctx)
    fw_late, pg_late = _overdue_repair(app)
    made = _passes(app)
    ctx.say(f"property: {len(line) + 4} service requests in A栋 and B栋 (咨询, 投诉, 报修, 其他); repairs {pg_a} (class A) "
            f"and {pg_c} (class C, escalated visit) closed with return visits; {pg_late} urgent, overdue at 09:00; "
            f"complaint {fw_complaint} handed over as {ks}; passes {', '.join(made)} (deposit, renewal, refund, "
            f"expired, employee)")


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after the documents are issued."""
    return [(40, step_property)]

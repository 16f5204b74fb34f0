"""The record workflows of the six equipment forms.

* 设备卡片 QR-7.1-01: the card's state *is* the equipment status (在用, 备用, 闲置, 维修, 封存, 停用,
  报废), so every status change is a record transition with its reason in the history. 报废 is
  final and needs the number of the scrapping application that reached 已报废 (``scrap_ref``).
  A purchase of ¥2,000 or more is moved to 待批准 as it is filed and goes to 在用 only by the signed
  approval of a user of 物资管理部 other than the one who registered it.
* 设备保养记录 QR-7.1-02: 计划 → 已完成, or 计划 → 已推迟 (reason, new date within one quarter) → 已完成.
* 计量器具校准记录 QR-7.1-03: 已记录 → 已确认 (signed by 品质部, 设备科, a 计量员 or a 设备管理员; a
  failure stops the instrument) → 已关闭.
* 设备维修记录 QR-7.1-04: 维修通知 → 维修中 (equipment 维修) → 已修复 (equipment back in service).
* 机械事故报告单 QR-7.1-05: 已报告 → 已调查 → 已关闭.
* 设备报废申请单 QR-7.1-06: 已鉴定 → 已申请 → 已批准 (signed by 物资管理部) → 替换已到位 → 已报废 → 已处置;
  已批准 → 已报废 directly only when no replacement is planned and that is stated.
"""

from __future__ import annotations


from qms.api import State, Transition, Workflow

from qms_equipment import register, status

#: Who may act on equipment records: every role that may move records (the procedure assigns steps
#: to 设备科 and each unit's 设备管理员, who are department users of many departments).
ANY = ("admin", "quality_officer", "department", "approver")
APPROVE_SCRAP = ("物资管理部", "admin")
#: Who signs the approval of a purchase of ¥2,000 or more (5.1.3, seed D7 3.1.1).
APPROVE_PURCHASE_DEPTS = ("物资管理部",)
PURCHASE_APPROVED = "批准采购 purchase approved"
#: Who confirms a calibration by signature: 品质部 (which runs calibration, seed D21 4.2) or 设备科, or
#: whoever holds the post 计量员 or 设备管理员 in another department.
CALIBRATION_POSTS = ("计量员", "设备管理员")
CALIBRATION_DEPTS = ("品质部", "设备科")


def card_workflow() -> Workflow:
    """Equipment status as the card's state; any status may change to any other, 报废 is final.

    A purchase awaiting approval leaves 待批准 only by the signed approval, into 在用; the move into
    待批准 is made by the plugin as the card is filed (any other is vetoed).
    """
    states = tuple(
        State(name, label, requires=("scrap_ref",) if name == "scrapped" else (), closed=name == "scrapped")
        for name, label in status.STATES.items()
    )
    statuses = [name for name in status.STATES if name != status.AWAITING]
    transitions = (
        *(Transition(source, target, roles=ANY, label=status.STATES[target])
          for source in statuses for target in statuses if source != target and source != "scrapped"),
        Transition("in_use", status.AWAITING, roles=ANY, label="待采购批准 Await purchase approval"),
        Transition(status.AWAITING, "in_use", roles=ANY, signature=PURCHASE_APPROVED, label="批准采购 Approve purchase",
                   depts=APPROVE_PURCHASE_DEPTS),
    )
    return Workflow(form=register.FORM_CARD, states=states, transitions=transitions, initial="in_use")


def maintenance_workflow() -> Workflow:
    """Planned maintenance, done or deferred (and then done)."""
    return Workflow(
        form=register.FORM_MAINTENANCE,
        states=(
            State("planned", "计划 Planned"),
            State("deferred", "已推迟 Deferred", requires=("defer_reason", "replanned_date")),
            State("done", "已完成 Done", requires=("performed_date", "performer", "result"), closed=True),
        ),
        transitions=(
            Transition("planned", "done", roles=ANY, label="完成 Done"),
            Transition("planned", "deferred", roles=ANY, label="推迟 Defer"),
            Transition("deferred", "done", roles=ANY, label="完成 Done"),
        ),
        initial="planned",
    )


def calibration_workflow() -> Workflow:
    """Recorded, confirmed by a signature, closed (a failed one only after the impact assessment)."""
    return Workflow(
        form=register.FORM_CALIBRATION,
        states=(
            State("recorded", "已记录 Recorded"),
            State("confirmed", "已确认 Confirmed"),
            State("closed", "已关闭 Closed", closed=True),
        ),
        transitions=(
            Transition("recorded", "confirmed", roles=ANY, signature="校准确认 calibration confirmed", label="确认 Confirm",
                       posts=CALIBRATION_POSTS, depts=CALIBRATION_DEPTS),
            Transition("confirmed", "closed", roles=ANY, label="关闭 Close"),
        ),
        initial="recorded",
    )


def repair_workflow() -> Workflow:
    """Repair notice, repair under way, repaired and tested."""
    return Workflow(
        form=register.FORM_REPAIR,
        states=(
            State("notified", "维修通知 Notified"),
            State("repairing", "维修中 Under repair"),
            State("repaired", "已修复 Repaired", requires=("repairer", "cause", "work_done", "restored_at", "test_run"),
                  closed=True),
        ),
        transitions=(
            Transition("notified", "repairing", roles=ANY, label="开始维修 Start repair"),
            Transition("repairing", "repaired", roles=ANY, label="修复验收 Repaired and tested"),
        ),
        initial="notified",
    )


def accident_workflow() -> Workflow:
    """Reported, investigated by the department the severity names, closed."""
    return Workflow(
        form=register.FORM_ACCIDENT,
        states=(
            State("reported", "已报告 Reported"),
            State("investigated", "已调查 Investigated", requires=("investigated_by_dept", "cause", "measures")),
            State("closed", "已关闭 Closed", closed=True),
        ),
        transitions=(
            Transition("reported", "investigated", roles=ANY, label="调查处理 Investigate"),
            Transition("investigated", "closed", roles=ANY, label="关闭 Close"),
        ),
        initial="reported",
    )


def scrap_workflow() -> Workflow:
    """Appraisal, application, approval, replacement, scrapping, disposal — in this order only."""
    return Workflow(
        form=register.FORM_SCRAP,
        states=(
            State("appraised", "已鉴定 Appraised"),
            State("applied", "已申请 Applied", requires=("applicant", "reason")),
            State("approved", "已批准 Approved"),
            State("replacement_arrived", "替换已到位 Replacement arrived",
                  requires=("replacement_no", "replacement_arrived_on")),
            State("scrapped", "已报废 Scrapped"),
            State("disposed", "已处置 Disposed", requires=("disposal_method", "disposal_date"), closed=True),
        ),
        transitions=(
            Transition("appraised", "applied", roles=ANY, label="申请 Apply"),
            Transition("applied", "approved", roles=APPROVE_SCRAP, signature="批准 approved scrapping", label="批准 Approve"),
            Transition("approved", "replacement_arrived", roles=ANY, label="替换到位 Replacement arrived"),
            Transition("replacement_arrived", "scrapped", roles=ANY, label="报废 Scrap"),
            Transition("approved", "scrapped", roles=ANY, label="报废（不更新）Scrap without replacement"),
            Transition("scrapped", "disposed", roles=ANY, label="处置登记 Disposal registered"),
        ),
        initial="appraised",
    )


def workflows() -> list[Workflow]:
    """All six workflows."""
    return [card_workflow(), maintenance_workflow(), calibration_workflow(), repair_workflow(), accident_workflow(),
            scrap_workflow()]


__all__ = ["ANY", "APPROVE_PURCHASE_DEPTS", "APPROVE_SCRAP", "PURCHASE_APPROVED", "CALIBRATION_DEPTS", "CALIBRATION_POSTS", "workflows"]

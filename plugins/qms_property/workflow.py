"""The record workflows of QP-8.5-01's four forms: states, transitions and who may make them.

Roles name workspace roles or departments (the records engine accepts either). Moves that only
follow from another record (a request closing with its repair order or complaint, a repair order
closing after its return visit) are open to no user: the plugin's effects make them.
"""

from __future__ import annotations


from qms.api import State, Transition, Workflow

from qms_property.forms import PASS, REPAIR, REQUEST, VISIT

DEPT = "物业管理部"
STAFF: tuple[str, ...] = (DEPT, "admin")
#: A "role" no user holds: the move is made by an effect when the linked record closes.
LINKED = "随关联记录关闭 closes with its linked record"

REQUEST_FLOW = Workflow(
    form=REQUEST,
    initial="registered",
    states=(
        State("registered", "已登记 Registered"),
        State("escalated", "已升级 Escalated", requires=("escalated_at", "escalated_to")),
        State("dispatched", "已派工 Repair dispatched", requires=("repair_order",)),
        State("handed_over", "已转投诉 Handed to complaints", requires=("complaint_record",)),
        State("closed", "已关闭 Closed", closed=True),
    ),
    transitions=(
        Transition("registered", "closed", STAFF, label="答复并关闭 Answer and close"),
        Transition("registered", "escalated", STAFF, label="升级 Escalate to the director"),
        Transition("escalated", "closed", STAFF, label="答复并关闭 Answer and close"),
        Transition("registered", "dispatched", STAFF, label="派工 Dispatch a repair"),
        Transition("escalated", "dispatched", STAFF, label="派工 Dispatch a repair"),
        Transition("registered", "handed_over", STAFF, label="转投诉 Hand to complaints"),
        Transition("escalated", "handed_over", STAFF, label="转投诉 Hand to complaints"),
        Transition("dispatched", "closed", (LINKED,), label="随派工单关闭 Closes with the repair order"),
        Transition("handed_over", "closed", (LINKED,), label="随投诉关闭 Closes with the complaint"),
    ),
)

REPAIR_FLOW = Workflow(
    form=REPAIR,
    initial="registered",
    states=(
        State("registered", "已登记 Registered"),
        State("dispatched", "已派工 Dispatched", requires=("technician", "responded_at")),
        State("arrived", "已到场 Technician on site", requires=("arrived_at",)),
        State("pending", "未能当场修复 Not fixed on the spot", requires=("fault", "unfixed_reason", "expected_completion")),
        State("completed", "已完工 Completed", requires=("completed_at", "work_done")),
        State("closed", "已关闭 Closed", closed=True),
    ),
    transitions=(
        Transition("registered", "dispatched", STAFF, label="派工 Dispatch"),
        Transition("dispatched", "arrived", STAFF, label="到场 Arrive"),
        Transition("arrived", "pending", STAFF, label="未能当场修复 Not fixed on the spot"),
        Transition("arrived", "completed", STAFF, label="完工 Complete"),
        Transition("pending", "completed", STAFF, label="完工 Complete"),
        Transition("completed", "closed", (LINKED,), label="回访后关闭 Closes after the return visit"),
    ),
)

VISIT_FLOW = Workflow(
    form=VISIT,
    initial="recorded",
    states=(
        State("recorded", "已回访 Visited"),
        State("escalated", "已升级客服中心主任 Escalated to the director", requires=("escalated_to", "escalated_at")),
        State("closed", "已关闭 Closed", closed=True),
    ),
    transitions=(
        Transition("recorded", "closed", STAFF, label="确认解决 Resolved"),
        Transition("recorded", "escalated", STAFF, label="升级 Escalate"),
        Transition("escalated", "closed", STAFF, label="再次回访确认 Resolved at the repeat visit"),
    ),
)

PASS_FLOW = Workflow(
    form=PASS,
    initial="applied",
    states=(
        State("applied", "已申请 Applied"),
        State("issued", "已发证 Issued", requires=("colour", "issued_at")),
        State("renewed", "已换新证 Renewed", requires=("renewed_by",), closed=True),
        State("returned", "已交回 Returned", requires=("returned_at", "returned_pass_no")),
        State("refunded", "已退押金 Deposit refunded", requires=("refund_amount", "refunded_at", "refund_voucher"),
              closed=True),
        State("closed", "已注销 Closed", closed=True),
        State("lost", "已挂失 Reported lost", requires=("lost_at", "lost_note"), closed=True),
    ),
    transitions=(
        Transition("applied", "issued", STAFF, label="发证 Issue"),
        Transition("issued", "renewed", STAFF, label="换发新证 Renew"),
        Transition("issued", "returned", STAFF, label="交回 Hand back"),
        Transition("returned", "refunded", (*STAFF, "财务部"), label="财务部退押金 Refund the deposit"),
        Transition("returned", "closed", STAFF, label="注销 Close"),
        Transition("issued", "lost", STAFF, label="挂失 Report lost"),
    ),
)

WORKFLOWS: tuple[Workflow, ...] = (REQUEST_FLOW, REPAIR_FLOW, VISIT_FLOW, PASS_FLOW)

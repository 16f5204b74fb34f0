"""The record workflows of QR-8.2-01 (complaint) and QR-8.2-02 (follow-up visit), with their time limits.

Complaint: received → registered → assigned → investigating, then either the customer-caused
branch (reply_drafted → reply_approved, signed by an approver, for a 重大 or 特殊重大 complaint one
whose post is 管理者代表 or 总经理, → replied → closed) or the internal branch (cause_analysis → corrective_action → verified, signed by someone owning no
action → closed). Every open state also has a move to itself, "升级 Escalate", which the plugin only
allows when the complaint must be escalated or announced to the general manager; it is how
``qms complaints escalate`` raises a level through the core's effects, with the audit trail that
gives.

Transitions name workspace roles or departments (the seeds assign steps to departments).
"""

from __future__ import annotations


from typing import Any

from qms.api import Deadline, State, Transition, Workflow, now

from qms_complaints import severity
from qms_complaints.forms import COMPLAINT, OPEN_STATES, REPLY_APPROVAL, VERIFICATION, VISIT

INTAKE = ("业务部", "quality_officer", "admin")  # 业务部 receives and registers every complaint
HOSTS = ("品质部", "业务部", "quality_officer", "admin")  # the handling departments
QUALITY = ("品质部", "quality_officer", "admin")
APPROVERS = ("approver",)  # 管理者代表 and 总经理 hold the approver role
#: The posts (职务) that approve the reply to a 重大 or 特殊重大 complaint (seed 000 doc 19: 管理者代表 or 总经理).
REPLY_APPROVER_POSTS = ("总经理", "管理者代表")

COMPLAINT_STATES: tuple[State, ...] = (
    State("received", "已接收 Received"),
    State("registered", "已登记 Registered", requires=("nature", "category")),
    State("assigned", "已分派 Assigned", requires=("host_dept", "responsible_dept", "responsible_person")),
    State("investigating", "调查中 Investigating"),
    State("reply_drafted", "答复已拟 Reply drafted", requires=("investigation_result", "responsibility", "reply_text")),
    State("reply_approved", "答复已批准 Reply approved"),
    State("replied", "已答复客户 Replied", requires=("replied_at", "reply_method")),
    State("cause_analysis", "原因分析 Cause analysis", requires=("investigation_result", "responsibility")),
    State("corrective_action", "纠正预防措施 Corrective action", requires=("main_causes", "actions")),
    State("verified", "效果已验证 Verified", requires=("verification_result",)),
    # closed_at and the other closing rules are checked by the plugin, one line per failed rule.
    State("closed", "已结案 Closed", closed=True),
)

COMPLAINT_TRANSITIONS: tuple[Transition, ...] = (
    Transition("received", "registered", INTAKE, label="登记 Register"),
    Transition("registered", "assigned", INTAKE, label="分派 Assign"),
    Transition("assigned", "investigating", HOSTS, label="开始调查 Investigate"),
    Transition("investigating", "reply_drafted", HOSTS, label="客户原因：拟答复 Draft reply"),
    Transition("reply_drafted", "reply_approved", APPROVERS, signature=REPLY_APPROVAL, label="批准答复 Approve reply"),
    Transition("reply_drafted", "investigating", (*HOSTS, *APPROVERS), label="退回补充调查 Back to investigation"),
    Transition("reply_approved", "replied", INTAKE, label="答复客户 Reply"),
    Transition("replied", "closed", HOSTS, label="结案 Close"),
    Transition("investigating", "cause_analysis", HOSTS, label="公司内部：原因分析 Analyse causes"),
    Transition("cause_analysis", "corrective_action", (), label="拟定措施 Plan actions"),
    Transition("corrective_action", "verified", QUALITY, signature=VERIFICATION, label="效果验证 Verify"),
    Transition("corrective_action", "cause_analysis", QUALITY, label="验证无效，重新分析 Not effective: re-analyse"),
    Transition("verified", "closed", HOSTS, label="结案 Close"),
    *(Transition(s, s, HOSTS, label="升级 Escalate") for s in OPEN_STATES),
)

COMPLAINT_DEADLINES: tuple[Deadline, ...] = (
    Deadline("register", "登记 30 分钟 Register within 30 min", "30min", "field:received_at", until=("registered",),
             owner="业务部"),
    Deadline("assign", "分派 30 分钟 Assign within 30 min", "30min", "state:registered", until=("assigned",),
             owner="业务部"),
)

COMPLAINT_WORKFLOW = Workflow(form=COMPLAINT, states=COMPLAINT_STATES, transitions=COMPLAINT_TRANSITIONS,
                              initial="received", deadlines=COMPLAINT_DEADLINES)

VISIT_WORKFLOW = Workflow(
    form=VISIT,
    states=(State("recorded", "已记录 Recorded"), State("closed", "已确认 Closed", requires=("satisfaction",), closed=True)),
    transitions=(Transition("recorded", "closed", (*HOSTS, "物业管理部"), label="确认归档 Confirm"),),
    initial="recorded",
)



def signers(record: dict[str, Any], target: str) -> dict[str, list[str]] | None:
    """Who must sign a move beyond the workflow's roles: the 总经理 or 管理者代表 for a major complaint's reply.

    The level is the one in force now (computed or raised by hand), so a complaint that became
    重大 while it was investigated needs the general manager's or the representative's approval too.
    """
    if record.get("form") != COMPLAINT or target != "reply_approved":
        return None
    if severity.rank(severity.effective(record.get("data") or {}, now())) < severity.rank("重大"):
        return None
    return {"posts": list(REPLY_APPROVER_POSTS)}


__all__ = ["COMPLAINT_WORKFLOW", "REPLY_APPROVER_POSTS", "VISIT_WORKFLOW", "signers"]

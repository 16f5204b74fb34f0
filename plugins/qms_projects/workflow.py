"""The record workflows of the seven project forms (states, transitions, roles, signed acts, deadlines).

Cross-record rules (gate ordering, signatures, open rectification orders, change control) are not
expressible here; ``rules.py`` enforces them through ``qms_check_transition`` and
``qms_validate_record``. Roles are workspace roles; who may act *for a post* of a project (监理,
总师办主任 …) is decided by the rules from the project's team and template.
"""

from __future__ import annotations


from qms.api import Deadline, State, Transition, Workflow

from qms_projects import forms as f

APPROVERS = ("approver", "admin")

PROJECT = Workflow(
    form=f.PROJECT,
    states=(
        State("draft", "基线待批准 Baseline not yet approved"),
        State("active", "进行中 Active"),
        State("change", "变更审批中 Change being re-baselined"),
        State("closed", "已结项 Closed", closed=True),
    ),
    transitions=(
        Transition("draft", "active", APPROVERS, signature=f.SIGN_BASELINE, label="批准基线 Approve the baseline"),
        Transition("active", "change", APPROVERS, label="变更已批准 Change approved"),
        Transition("change", "active", APPROVERS, signature=f.SIGN_REBASELINE, label="重新批准基线 Re-approve the baseline"),
        Transition("draft", "closed", APPROVERS, label="结项 Close"),
        Transition("active", "closed", APPROVERS, label="结项 Close"),
    ),
    initial="draft",
)

GATE = Workflow(
    form=f.GATE,
    states=(
        State("draft", "编制中 Draft"),
        State("review", "评审中 In review", requires=("decision",)),
        State("decided", "已决定 Decided", requires=("decision",), closed=True),
        State("withdrawn", "已撤回 Withdrawn", closed=True),
    ),
    transitions=(
        Transition("draft", "review", label="提交评审 Submit for review"),
        Transition("review", "review", signature=f.SIGN_GATE, label="评审签署 Sign the gate"),
        Transition("review", "decided", label="决定 Record the decision"),
        Transition("draft", "withdrawn", label="撤回 Withdraw"),
        Transition("review", "withdrawn", label="撤回 Withdraw"),
    ),
    initial="draft",
)

ACCEPTANCE = Workflow(
    form=f.ACCEPTANCE,
    states=(State("recorded", "已记录 Recorded"), State("signed", "已签署 Signed", closed=True)),
    transitions=(Transition("recorded", "signed", signature=f.SIGN_ACCEPTANCE, label="验收签署 Sign the acceptance"),),
    initial="recorded",
)

RECTIFICATION = Workflow(
    form=f.RECTIFICATION,
    states=(
        State("issued", "已下达 Issued"),
        State("rectified", "已整改待复验 Rectified, awaiting re-inspection", requires=("measures", "done_at")),
        State("verified", "复验合格 Verified", requires=("reinspection_grade", "reinspected_at"), closed=True),
    ),
    transitions=(
        Transition("issued", "rectified", label="整改完成 Rectified"),
        Transition("rectified", "issued", label="复验不合格 Failed re-inspection"),
        Transition("rectified", "verified", signature=f.SIGN_REINSPECTION, label="复验合格 Verified"),
    ),
    initial="issued",
)

ACCIDENT = Workflow(
    form=f.ACCIDENT,
    states=(
        State("draft", "草稿 Draft"),
        State("reported", "已报告 Reported", requires=("treatment", "explanation", "reported_to")),
        State("closed", "已关闭 Closed", requires=("corrective_action",), closed=True),
    ),
    transitions=(
        Transition("draft", "reported", signature=f.SIGN_ACCIDENT, label="报告 Report"),
        Transition("reported", "closed", label="关闭 Close"),
    ),
    initial="draft",
    deadlines=(
        # QP-8.3-01 §5.8: the written report is due within one day of the accident (seed 001 §3.6: 限期一天内).
        Deadline("report", "质量事故报告 Accident report", "1d", "field:occurred_at", until=("reported", "closed"),
                 owner="项目部"),
    ),
)

CHANGE = Workflow(
    form=f.CHANGE,
    states=(
        State("draft", "草稿 Draft"),
        State("submitted", "待决策委员会批准 Awaiting the decision committee"),
        State("approved", "决策委员会已批准 Approved", closed=True),
        State("rejected", "未批准 Rejected", requires=("rejection_reason",), closed=True),
    ),
    transitions=(
        Transition("draft", "submitted", label="提交 Submit"),
        Transition("submitted", "submitted", APPROVERS, signature=f.SIGN_MEMBER, label="委员签署 Member signs"),
        Transition("submitted", "approved", APPROVERS, signature=f.SIGN_COMMITTEE, label="批准 Approve"),
        Transition("submitted", "rejected", APPROVERS, label="不批准 Reject"),
    ),
    initial="draft",
)

CLOSEOUT = Workflow(
    form=f.CLOSEOUT,
    states=(
        State("draft", "草稿 Draft"),
        State("approved", "已批准 Approved"),
        State("archived", "已归档 Archived", closed=True),
    ),
    transitions=(
        Transition("draft", "approved", APPROVERS, signature=f.SIGN_CLOSEOUT, label="批准结项 Approve the close-out"),
        Transition("approved", "archived", label="归档 Archive"),
    ),
    initial="draft",
)

WORKFLOWS = (PROJECT, GATE, ACCEPTANCE, RECTIFICATION, ACCIDENT, CHANGE, CLOSEOUT)

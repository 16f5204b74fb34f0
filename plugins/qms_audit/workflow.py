"""The workflows of QP-9.2-01's two forms: the programme (draft → approved → closed) and an audit
(planned → audited → reported → closed), with the report deadline after the audit."""

from __future__ import annotations

from qms.api import Deadline, State, Transition, Workflow

PROCEDURE_NUMBER = "QP-9.2-01"
PROGRAMME = "QR-9.2-01"
AUDIT = "QR-9.2-02"
OWNER = "质量管理部"
OFFICERS: tuple[str, ...] = ("quality_officer", "admin")
#: An internal auditor may be of any department but the audited one, so any working role may act.
ANY: tuple[str, ...] = ("admin", "quality_officer", "department", "approver")
APPROVAL = "批准 approved the internal audit programme"
REPORTED = "内审报告 issued the internal audit report"
#: Working days after the audit within which the auditor issues the report.
REPORT_WITHIN = "5wd"

PROGRAMME_FLOW = Workflow(
    form=PROGRAMME,
    initial="draft",
    states=(
        State("draft", "编制中 Draft"),
        State("approved", "已批准 Approved"),
        State("closed", "已完成 Closed", closed=True),
    ),
    transitions=(
        Transition("draft", "approved", ("approver",), signature=APPROVAL, label="批准 Approve",
                   posts=("管理者代表", "总经理")),
        Transition("approved", "closed", OFFICERS, label="年度完成 Close the year"),
    ),
)

AUDIT_FLOW = Workflow(
    form=AUDIT,
    initial="planned",
    states=(
        State("planned", "已安排 Planned"),
        State("audited", "已审核 Audited", requires=("audited_on", "checklist")),
        State("reported", "已发报告 Reported", requires=("summary",)),
        State("closed", "已关闭 Closed", closed=True),
    ),
    transitions=(
        Transition("planned", "audited", ANY, label="完成现场审核 Audit done"),
        Transition("audited", "reported", ANY, signature=REPORTED, label="发布审核报告 Issue the report"),
        Transition("reported", "closed", OFFICERS, label="关闭 Close"),
    ),
    deadlines=(
        Deadline("report", "发布内审报告 Issue the audit report", REPORT_WITHIN, "field:audited_on",
                 until=("reported",), owner="quality_officer"),
    ),
)

WORKFLOWS: tuple[Workflow, ...] = (PROGRAMME_FLOW, AUDIT_FLOW)

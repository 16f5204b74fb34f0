"""The nonconformity report's numbers, sources and workflow: 待处理 → 原因分析 → 措施实施 → 效果验证 → 关闭.

The closing move is the signed effectiveness check (有效性验证). A check that finds the actions not
effective sends the report back to cause analysis. Cause analysis falls due 5 working days after
the report was raised, counted by the core's deadline engine on the workspace calendar.
"""

from __future__ import annotations

from qms.api import Deadline, State, Transition, Workflow

PROCEDURE = "QP-10.2-01"
FORM = "QR-10.2-01"  # 不合格报告及纠正措施单, NC

#: Where a nonconformity was found: the ``source`` of the core's ``nonconformity`` effect, with its label.
SOURCES: dict[str, str] = {
    "complaint": "客户投诉 Complaint",
    "audit": "内审发现 Audit finding",
    "equipment": "设备偏离 Equipment OOT",
    "project": "工程整改 Project rectification",
    "internal": "内部发现 Internal observation",
}
SEVERITIES = ("严重", "一般")
CAUSE_CATEGORIES = ("人", "机", "料", "法", "环", "测")
ACTION_TYPES = ("纠正", "纠正措施")

#: The signature meaning of the effectiveness check that closes a report.
VERIFICATION = "有效性验证 verified effective"

WORKERS = ("quality_officer", "department", "admin")  # contain, analyse and carry out actions
QUALITY = ("quality_officer", "admin")  # judge effectiveness and write the check on the report

STATES: tuple[State, ...] = (
    State("raised", "待处理 Raised"),
    State("analysis", "原因分析 Cause analysis", requires=("containment",)),
    State("implementing", "措施实施 Actions under way", requires=("root_cause", "actions")),
    State("verifying", "效果验证 Effectiveness check"),
    State("closed", "关闭 Closed", requires=("verification_result", "effective", "verified_by", "verified_on"),
          closed=True),
)
STATE_LABELS: dict[str, str] = {s.name: s.label for s in STATES}
OPEN_STATES = tuple(s.name for s in STATES if not s.closed)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("raised", "analysis", WORKERS, label="已围堵，原因分析 Contained: analyse causes"),
    Transition("analysis", "implementing", WORKERS, label="措施已定 Actions planned"),
    Transition("implementing", "verifying", WORKERS, label="措施完成，提交验证 Actions done: check effectiveness"),
    Transition("verifying", "closed", QUALITY, signature=VERIFICATION, label="有效性验证，关闭 Verified effective: close"),
    Transition("verifying", "analysis", QUALITY, label="验证无效，重新分析 Not effective: analyse again"),
)

DEADLINES: tuple[Deadline, ...] = (
    Deadline("analysis", "原因分析及措施 5 个工作日 Causes and actions within 5 working days", "5wd", "state:raised",
             until=("implementing", "verifying"), owner="质量管理部"),
)

WORKFLOW = Workflow(form=FORM, states=STATES, transitions=TRANSITIONS, initial="raised", deadlines=DEADLINES)

__all__ = ["ACTION_TYPES", "CAUSE_CATEGORIES", "FORM", "OPEN_STATES", "PROCEDURE", "SEVERITIES", "SOURCES",
           "STATE_LABELS", "VERIFICATION", "WORKFLOW"]

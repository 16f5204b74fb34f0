"""The nonconformity report's layout for its PDF and web page, and the register report, from ``templates/``.

The report is laid out section by section in the order the work is done: the nonconformity and
where it was found, containment, the root cause (a 5-why chain as a numbered table, a fishbone as
causes under 人机料法环测), the actions with owners and dates, and the effectiveness check with its
verifier. The templates escape every value a user typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api
from qms.api import show_date

from qms_ncr.due import current, open_actions, source_text
from qms_ncr.rules import independence_problem
from qms_ncr.workflow import CAUSE_CATEGORIES, FORM, SOURCES, STATE_LABELS

METHODS = {"5why": "五个为什么 5-why", "fishbone": "鱼骨图（人机料法环测） Fishbone (5M1E)"}
CATEGORY_LABELS = {"人": "人 Man", "机": "机 Machine", "料": "料 Material", "法": "法 Method", "环": "环 Environment",
                   "测": "测 Measurement"}


def record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The body of a nonconformity report; ``None`` for records of other forms."""
    if record.get("form") != FORM:
        return None
    data = record.get("data") or {}
    head = [("来源 Source", SOURCES.get(str(data.get("source")), data.get("source"))),
            ("来源记录 Source record", data.get("source_ref")), ("发现日期 Found on", data.get("found_on")),
            ("提出人 Raised by", data.get("raised_by")), ("责任部门 Responsible department", data.get("dept")),
            ("严重程度 Severity", data.get("severity")),
            ("状态 State", STATE_LABELS.get(str(record.get("state")), record.get("state"))),
            ("不合格描述 Nonconformity", data.get("description"))]
    containment = [("围堵及纠正 Containment and correction", data.get("containment")),
                   ("围堵完成日期 Contained on", data.get("contained_on"))]
    order = {c: i for i, c in enumerate(CAUSE_CATEGORIES)}
    causes = [[CATEGORY_LABELS.get(str(c.get("category")), c.get("category")), c.get("text")]
              for c in sorted(data.get("causes") or [], key=lambda c: order.get(str(c.get("category")), 99))]
    whys = [[i, w.get("why"), w.get("answer")] for i, w in enumerate(data.get("whys") or [], 1)]
    actions = [[i, a.get("type"), a.get("action"), a.get("owner"), a.get("dept"), a.get("due"), a.get("done_on"),
                a.get("result")] for i, a in enumerate(data.get("actions") or [], 1)]
    verifier = str(data.get("verified_by") or "")
    problem = independence_problem(data, verifier)
    if not verifier:
        independent = "—"
    elif problem:
        independent = f"否 no: {problem}"
    else:
        independent = "是 yes（非提出人、非措施负责人 neither raiser nor action owner）"
    check = [("有效性验证结论 Effectiveness check", data.get("verification_result")),
             ("措施是否有效 Effective", data.get("effective")), ("验证人 Verified by", verifier),
             ("验证日期 Verified on", data.get("verified_on")), ("验证人独立 Verifier independent", independent)]
    return str(api.templates("qms_ncr").render(
        "record.html.j2", head=head, containment=containment, method=METHODS.get(str(data.get("cause_method")), "—"),
        whys=whys, causes=causes, cause_rows=[("根本原因 Root cause", data.get("root_cause")),
                                              ("类似不合格 Similar nonconformities", data.get("similar"))],
        actions=actions, system_changes=data.get("system_changes"), check=check))


def register_html(records: list[dict[str, Any]], now: datetime) -> str:
    """The register of every report with counts by source and the open corrective actions."""
    reports = sorted(current(records), key=lambda r: r["number"])
    actions = open_actions(reports, now)
    by_source = [[label, sum(1 for r in reports if (r.get("data") or {}).get("source") == key)]
                 for key, label in SOURCES.items()]
    rows = [[r["number"], source_text(r.get("data") or {}), (r.get("data") or {}).get("found_on"),
             str((r.get("data") or {}).get("description", ""))[:50], (r.get("data") or {}).get("severity"),
             STATE_LABELS.get(str(r.get("state")), r.get("state")), (r.get("data") or {}).get("verified_by")]
            for r in reports]
    totals = [("报告 Reports", len(reports)), ("未关闭 Open", sum(1 for r in reports if not r.get("closed"))),
              ("未完成措施 Open actions", len(actions)),
              ("逾期措施 Overdue actions", sum(1 for a in actions if a["overdue"]))]
    return str(api.templates("qms_ncr").render(
        "register.html.j2", totals=totals, by_source=by_source, reports=rows,
        actions=[[a["number"], f"{a['index']}. {a['action']}", a["owner"], show_date(a["due"]),
                  "逾期 overdue" if a["overdue"] else ""] for a in actions]))


__all__ = ["record_html", "register_html"]

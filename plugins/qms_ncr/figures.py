"""The dashboard figures of QP-10.2-01, with stable ids the management review reads (ISO 9001 9.3.2 c) 2)).

* ``ncr-by-source``: reports by source (complaint, audit, equipment, project, internal), every
  source listed; ``data["keys"]`` holds the source codes beside the bilingual labels;
* ``ncr-by-state``: reports by state; ``data["keys"]`` holds the state names;
* ``ncr-open``: open reports; ``capa-open``: open actions; ``capa-overdue``: open actions past due;
* ``capa-actions``: the open actions as a table, overdue ones marked.

A report replaced by an amendment counts once, as its correction.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from qms.api import show_date, show_time

from qms_ncr.due import current, open_actions
from qms_ncr.workflow import SOURCES, STATE_LABELS


def summary(records: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Counts by source and state, open reports, open and overdue actions (what figures and board share)."""
    reports = current(records)
    sources = Counter(str((r.get("data") or {}).get("source", "")) for r in reports)
    states = Counter(str(r.get("state", "")) for r in reports)
    actions = open_actions(reports, now)
    return {"total": len(reports), "by_source": {k: sources.get(k, 0) for k in SOURCES},
            "by_state": {k: states.get(k, 0) for k in STATE_LABELS},
            "open": sum(1 for r in reports if not r.get("closed")), "actions": actions,
            "overdue": [a for a in actions if a["overdue"]]}


def figures(records: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The ``qms_figures`` figures of the nonconformity register at ``now``."""
    s = summary(records, now)
    return [
        {"id": "ncr-by-source", "title": "不合格来源 Nonconformities by source", "kind": "bar",
         "data": {"labels": list(SOURCES.values()), "values": list(s["by_source"].values()), "keys": list(SOURCES)}},
        {"id": "ncr-by-state", "title": "不合格报告状态 Nonconformity reports by state", "kind": "bar",
         "data": {"labels": list(STATE_LABELS.values()), "values": list(s["by_state"].values()),
                  "keys": list(STATE_LABELS)}},
        {"id": "ncr-open", "title": "未关闭的不合格报告 Open nonconformity reports", "kind": "number",
         "data": {"value": s["open"], "unit": "项 reports"}},
        {"id": "capa-open", "title": "未完成的纠正措施 Open corrective actions", "kind": "number",
         "data": {"value": len(s["actions"]), "unit": "项 actions"}},
        {"id": "capa-overdue", "title": "逾期的纠正措施 Overdue corrective actions", "kind": "number",
         "data": {"value": len(s["overdue"]), "unit": "项 actions"}},
        {"id": "capa-actions", "title": f"纠正措施清单 Open corrective actions (as of {show_time(now)})", "kind": "table",
         "data": {"columns": ["编号 No.", "措施 Action", "负责人 Owner", "部门 Dept", "期限 Due", "逾期 Overdue"],
                  "rows": [[a["number"], f"{a['index']}. {a['action']}", a["owner"], a["dept"], show_date(a["due"]),
                            "逾期 overdue" if a["overdue"] else ""] for a in s["actions"]]}},
    ]


__all__ = ["figures", "summary"]

"""The CAPA board of the web workspace: open corrective actions of every source and the open reports, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import RecordQuery, show_date, show_time

from qms_ncr.due import current, source_text
from qms_ncr.figures import summary
from qms_ncr.workflow import FORM, SOURCES, STATE_LABELS

SLUG = "capa"
PAGE = {"slug": SLUG, "title": "纠正措施看板", "title_en": "CAPA board"}


def page(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """Counts, the open actions (overdue marked), the open reports and the reports by source."""
    records = query(form=FORM)
    s = summary(records, now)
    actions = [[{"text": a["number"], "record": a["number"]}, a["index"], a["action"], a["owner"], a["dept"],
                source_text(a), {"text": show_date(a["due"]), "tone": "late" if a["overdue"] else "ok"}]
               for a in s["actions"]]
    reports = [[{"text": r["number"], "record": r["number"]}, source_text(r.get("data") or {}),
                str((r.get("data") or {}).get("description", ""))[:60], (r.get("data") or {}).get("severity") or "—",
                STATE_LABELS.get(str(r.get("state")), str(r.get("state"))), (r.get("data") or {}).get("raised_by", "")]
               for r in sorted(current(records), key=lambda r: r["number"]) if not r.get("closed")]
    return {
        "intro": f"全部来源的纠正措施 Corrective actions of every source · 截至 as of {show_time(now)}",
        "figures": [{"label": "未关闭报告 Open reports", "value": s["open"]},
                    {"label": "未完成措施 Open actions", "value": len(s["actions"])},
                    {"label": "逾期措施 Overdue actions", "value": len(s["overdue"])},
                    {"label": "报告总数 Reports", "value": s["total"]}],
        "sections": [
            {"title": "未完成的纠正措施 Open corrective actions",
             "columns": ["报告 Report", "序号 No.", "措施 Action", "负责人 Owner", "部门 Dept", "来源 Source", "期限 Due"],
             "rows": actions, "empty": "没有未完成的纠正措施 No open actions"},
            {"title": "未关闭的不合格报告 Open nonconformity reports",
             "columns": ["报告 Report", "来源 Source", "不合格 Nonconformity", "严重程度 Severity", "状态 State",
                         "提出人 Raised by"],
             "rows": reports, "empty": "没有未关闭的不合格报告 No open reports"},
            {"title": "按来源 By source", "columns": ["来源 Source", "件数 Count"],
             "rows": [[SOURCES[k], n] for k, n in s["by_source"].items()], "empty": "—"},
        ],
    }


__all__ = ["PAGE", "SLUG", "page"]

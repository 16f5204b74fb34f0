"""The project stage board of the web workspace: every project with its stage, lead, next gate and overdue items.

Rows are ``figures.status``'s, the same as ``qms projects status``, so the board and the command
line never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api
from qms.api import RecordQuery, WorkCalendar

from qms_projects import figures

SLUG = "projects"
PAGE = {"slug": SLUG, "title": "项目阶段看板", "title_en": "Project stage board"}


def page(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """The board: counts, then one row per project, those with overdue items first."""
    rows = figures.status(query, now, calendar)["projects"]
    rows.sort(key=lambda r: (not r["overdue"], str(r["number"])))
    return {
        "intro": f"截至 as of {api.show_time(now)}",
        "figures": [{"label": "项目 Projects", "value": len(rows)},
                    {"label": "进行中 In progress", "value": sum(1 for r in rows if r["stage"] != "closeout")},
                    {"label": "有逾期事项 With overdue items", "value": sum(1 for r in rows if r["overdue"])}],
        "sections": [{
            "title": "项目 Projects",
            "columns": ["编号 Number", "名称 Name", "客户 Customer", "阶段 Stage", "负责人 Lead", "阶段期限 Stage due",
                        "逾期 Overdue", "状态 Status"],
            "rows": [[{"text": r["number"], "record": r["number"]}, r["name"], r["customer"],
                      f"{r['stage_index']}/{r['stages']} {r['stage_title']}", r["lead"] or "—",
                      api.show_time(r["next_gate_due"]) if r["next_gate_due"] else "—",
                      {"text": "; ".join(f"{i['ref']} {i['title']}" for i in r["overdue"]), "tone": "late"}
                      if r["overdue"] else "", r["status"]] for r in rows],
            "empty": "没有项目 No projects",
        }],
    }


__all__ = ["PAGE", "SLUG", "page"]

"""The management review board of the web workspace: the reviews and their open outputs, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import RecordQuery

from qms_review import inputs
from qms_review.workflow import FORM, TRACKED

SLUG = "management-review"
PAGE = {"slug": SLUG, "title": "管理评审", "title_en": "Management review"}
STATES = {"draft": "已起草 Draft", "held": "已召开 Held", "approved": "已批准 Approved", "closed": "已关闭 Closed"}


def page(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """Every review (newest first) and the outputs not yet done, overdue ones marked."""
    reviews = sorted(query(form=FORM), key=lambda r: r["number"], reverse=True)
    today = now.date()
    open_rows = []
    for r in reviews:
        if r.get("state") not in TRACKED:
            continue
        for o in r["data"].get("outputs") or []:
            if o.get("done_at"):
                continue
            status = inputs.output_status(o, today)
            open_rows.append([{"text": r["number"], "record": r["number"]}, o.get("no"), o.get("kind", ""),
                              o.get("action", ""), o.get("owner", ""), o.get("due", ""),
                              {"text": status, "tone": "late"} if status.startswith("逾期") else status])
    rows = [[{"text": r["number"], "record": r["number"]}, f"{r['data'].get('period_start')} — {r['data'].get('period_end')}",
             str(r["data"].get("held_at") or "")[:16].replace("T", " "), STATES.get(str(r.get("state")), r.get("state")),
             len(r["data"].get("outputs") or []),
             sum(1 for o in r["data"].get("outputs") or [] if not o.get("done_at"))] for r in reviews]
    return {
        "intro": "评审输入由系统从各程序采集；输出跟踪到完成。Inputs are gathered from every procedure; outputs are tracked to done.",
        "figures": [{"label": "评审 Reviews", "value": len(reviews)},
                    {"label": "未完成输出 Open outputs", "value": len(open_rows)},
                    {"label": "逾期 Overdue", "value": sum(1 for row in open_rows if isinstance(row[-1], dict))}],
        "sections": [
            {"title": "未完成的评审输出 Open outputs",
             "columns": ["评审 Review", "序号 No.", "类别 Kind", "措施 Action", "负责人 Owner", "期限 Due", "状态 Status"],
             "rows": open_rows, "empty": "没有未完成的输出 No open outputs"},
            {"title": "管理评审 Reviews",
             "columns": ["编号 Number", "评审期间 Period", "召开 Held", "状态 State", "输出 Outputs", "未完成 Open"],
             "rows": rows, "empty": "尚无管理评审 No management reviews yet"},
        ],
    }


__all__ = ["PAGE", "SLUG", "page"]

"""The calibration board of the web workspace: every measuring instrument with its status and next calibration.

Rows come from the register (``register.rows``), the same data as ``qms equipment status``: the
effective status (an instrument past its calibration date is 停用 whatever its card says), the
last result and the next due date, overdue and soon-due marked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from qms.api import RecordQuery

from qms_equipment import register

SLUG = "calibration"
PAGE = {"slug": SLUG, "title": "计量器具校准看板", "title_en": "Calibration board"}


def _due_cell(row: dict[str, Any], today: date) -> Any:
    due = row.get("next_due")
    if not due:
        return "—"
    if str(due) < today.isoformat():
        return {"text": f"{due} 逾期 overdue", "tone": "late"}
    if row.get("remind_from") and str(row["remind_from"]) <= today.isoformat():
        return {"text": f"{due} 即将到期 due soon", "tone": "warn"}
    return str(due)


def page(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """The board: counts, then one row per measuring instrument, the most urgent first."""
    today = now.date()
    rows = [r for r in register.rows(query, today) if r["measuring"]]
    rows.sort(key=lambda r: (str(r.get("next_due") or "9999"), str(r["equipment_no"])))
    overdue = sum(1 for r in rows if r.get("next_due") and str(r["next_due"]) < today.isoformat())
    soon = sum(1 for r in rows if r.get("remind_from") and str(r["remind_from"]) <= today.isoformat()
               and str(r.get("next_due") or "") >= today.isoformat())
    return {
        "intro": f"截至 as of {today.isoformat()}",
        "figures": [{"label": "计量器具 Instruments", "value": len(rows)},
                    {"label": "逾期未校 Overdue", "value": overdue},
                    {"label": "即将到期 Due soon", "value": soon},
                    {"label": "停用 Stopped", "value": sum(1 for r in rows if r["label"] == "停用")}],
        "sections": [{
            "title": "计量器具 Measuring instruments",
            "columns": ["编号 No.", "名称 Name", "型号 Model", "部门 Dept", "状态 Status", "上次校准 Last",
                        "结果 Result", "下次校准 Next due", "标识 Label"],
            "rows": [[r["equipment_no"], {"text": r["name"], "record": r["card"]}, r["model"], r["dept"],
                      {"text": r["status"], "tone": "late"} if r["label"] == "停用" else r["status"],
                      r["last_calibration"] or "—", r["last_result"] or "—", _due_cell(r, today), r["label"] or "—"]
                     for r in rows],
            "empty": "没有计量器具 No measuring instruments",
        }],
    }


def choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Equipment numbers a record may name, with the name and status."""
    if kind != "equipment":
        return []
    return [{"id": str(c["data"].get("equipment_no", "")),
             "label": f"{c['data'].get('name', '')} {c['data'].get('model', '')} · {c.get('state', '')}".strip()}
            for c in register.cards(query) if not register.is_attachment(c)]


__all__ = ["PAGE", "SLUG", "choices", "page"]

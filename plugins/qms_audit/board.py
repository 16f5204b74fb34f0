"""The internal audit board of the web workspace: the programme's planned audits with their status,
the nonconformities awaiting a response and every audit. Rows come from ``programme`` and ``due``,
as ``qms audit programme`` and ``qms due`` show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api

from qms_audit import due, grades, programme
from qms_audit.workflow import AUDIT

SLUG = "audit"
PAGE = {"slug": SLUG, "title": "内部审核看板", "title_en": "Internal audit board"}
_TONES = {programme.DONE: "ok", programme.OVERDUE: "late", programme.RUNNING: "warn"}


def page(query: Any, now: datetime, calendar: api.WorkCalendar, settings: dict[str, Any]) -> dict[str, Any]:
    """The board: counts, the programme, open nonconformities, the audits."""
    planned = programme.rows(query, now)
    audits = programme.current(query(form=AUDIT))
    limit = due.respond_within(settings)
    waiting = []
    for audit in audits:
        data = audit.get("data") or {}
        when = due.response_due(data, calendar, limit)
        for f in grades.awaiting_response(data) if not audit.get("closed") else []:
            late = when is not None and now > when
            waiting.append([{"text": audit["number"], "record": audit["number"]}, f.get("no"), grades.LABELS[f["grade"]],
                            f.get("clause", ""), data.get("dept", ""), f.get("description", ""),
                            {"text": api.show_time(when.isoformat()) if when else "—", "tone": "late" if late else "warn"}])
    counts = grades.counts(audits)
    return {
        "intro": f"截至 as of {api.show_time(now)}",
        "figures": [{"label": "计划审核 Planned audits", "value": len(planned)},
                    {"label": "已完成 Done", "value": sum(1 for r in planned if r["status"] == programme.DONE)},
                    {"label": "严重/一般不符合 Major/minor", "value": f"{counts[grades.MAJOR]}/{counts[grades.MINOR]}"},
                    {"label": "观察项 Observations", "value": counts[grades.OBSERVATION]},
                    {"label": "待回复 Awaiting response", "value": len(waiting)}],
        "sections": [
            {"title": "年度内审计划 Audit programme",
             "columns": ["计划 Programme", "部门 Department", "条款 Clauses", "月份 Month", "审核 Audits", "状态 Status"],
             "rows": [[{"text": r["programme"], "record": r["programme"]}, r["dept"], "、".join(r["clauses"]), r["month"],
                       ", ".join(r["audits"]) or "—", {"text": r["status"], "tone": _TONES.get(r["status"], "warn")}
                       if r["status"] in _TONES else r["status"]] for r in planned],
             "empty": "没有生效的审核计划 No programme in force"},
            {"title": "待回复的不符合项 Nonconformities awaiting response",
             "columns": ["审核 Audit", "序号 No.", "等级 Grade", "条款 Clause", "部门 Department", "事实 Description", "回复期限 Due"],
             "rows": waiting, "empty": "没有待回复的不符合项 None awaiting response"},
            {"title": "内部审核 Audits",
             "columns": ["编号 Number", "部门 Department", "条款 Clauses", "内审员 Auditor", "日期 Date", "状态 State", "发现 Findings"],
             "rows": [[{"text": a["number"], "record": a["number"]}, (a.get("data") or {}).get("dept", ""),
                       "、".join((a.get("data") or {}).get("clauses") or []), (a.get("data") or {}).get("auditor", ""),
                       (a.get("data") or {}).get("audited_on") or (a.get("data") or {}).get("planned_on", ""), a["state"],
                       len(grades.findings(a.get("data")))] for a in audits],
             "empty": "没有内部审核 No audits"},
        ],
    }


__all__ = ["PAGE", "SLUG", "page"]

"""The CAPA board of the web workspace: open corrective actions of every source and the open reports, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import RecordQuery, WorkCalendar, parse_time, show_date, show_time

from qms_ncr.due import CHECK_WITHIN, check_due, current, source_text
from qms_ncr.figures import summary
from qms_ncr.workflow import FORM, SOURCES, STATE_LABELS

SLUG = "capa"
PAGE = {"slug": SLUG, "title": "纠正措施看板", "title_en": "CAPA board"}


def waiting_checks(records: list[dict[str, Any]], now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Reports whose actions are done and that wait for their effectiveness check, the longest waiting first.

    Who may sign the check is shown beside each: not the raiser and none of the action owners.
    """
    out = []
    for record in current(records):
        due = check_due(record, calendar)
        if due is None:
            continue
        data = record.get("data") or {}
        entered = next((h.get("at") for h in reversed(record.get("history") or [])
                        if h.get("to") == "verifying" and h.get("from") != "verifying"), None)
        owners = sorted({str(a.get("owner")) for a in data.get("actions") or [] if a.get("owner")})
        out.append({"number": record["number"], "source": source_text(data), "entered": parse_time(entered),
                    "due": due, "overdue": now > due, "raised_by": str(data.get("raised_by") or ""),
                    "owners": owners, "actions": len(data.get("actions") or [])})
    return sorted(out, key=lambda c: (c["due"], c["number"]))


def page(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """Counts, the open actions (overdue marked), the checks waiting, the open reports and the reports by source."""
    records = query(form=FORM)
    s = summary(records, now)
    checks = waiting_checks(records, now, calendar)
    check_rows = [[{"text": c["number"], "record": c["number"]}, c["source"], c["actions"],
                   show_time(c["entered"]) if c["entered"] else "—",
                   {"text": show_date(c["due"]), "tone": "late" if c["overdue"] else "ok"},
                   "、".join(x for x in [c["raised_by"], *c["owners"]] if x) or "—"]
                  for c in checks]
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
                    {"label": "待效果验证 Checks waiting", "value": len(checks)},
                    {"label": "逾期验证 Overdue checks", "value": sum(1 for c in checks if c["overdue"])},
                    {"label": "报告总数 Reports", "value": s["total"]}],
        "sections": [
            {"title": "未完成的纠正措施 Open corrective actions",
             "columns": ["报告 Report", "序号 No.", "措施 Action", "负责人 Owner", "部门 Dept", "来源 Source", "期限 Due"],
             "rows": actions, "empty": "没有未完成的纠正措施 No open actions"},
            {"title": f"等待效果验证 Effectiveness checks waiting (within {CHECK_WITHIN.removesuffix('wd')} "
                      "个工作日 working days)",
             "columns": ["报告 Report", "来源 Source", "措施数 Actions", "提交验证 Submitted", "验证期限 Check due",
                         "不得验证 May not sign (raiser, owners)"],
             "rows": check_rows, "empty": "没有等待验证的报告 No checks waiting"},
            {"title": "未关闭的不合格报告 Open nonconformity reports",
             "columns": ["报告 Report", "来源 Source", "不合格 Nonconformity", "严重程度 Severity", "状态 State",
                         "提出人 Raised by"],
             "rows": reports, "empty": "没有未关闭的不合格报告 No open reports"},
            {"title": "按来源 By source", "columns": ["来源 Source", "件数 Count"],
             "rows": [[SOURCES[k], n] for k, n in s["by_source"].items()], "empty": "—"},
        ],
    }


__all__ = ["PAGE", "SLUG", "page"]

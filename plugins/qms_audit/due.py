"""Due items beyond the workflow's report deadline: planned audits not yet done, and nonconformities
the audited department has not answered (``[audit] respond_within`` in ``qms.toml``, default 10
working days after the audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api

from qms_audit import grades, programme
from qms_audit.workflow import AUDIT

RESPOND_WITHIN = "10wd"


def respond_within(settings: dict[str, Any] | None) -> str:
    """The response limit of a nonconformity, from the workspace's ``[audit]`` table."""
    return str(((settings or {}).get("audit") or {}).get("respond_within") or RESPOND_WITHIN)


def response_due(data: dict[str, Any], calendar: api.WorkCalendar, limit: str) -> datetime | None:
    """When the answers to an audit's nonconformities are due: the audit day plus ``limit``."""
    day = api.parse_date(data.get("audited_on"))
    if day is None:
        return None
    return api.end_of_day(calendar.due(datetime.combine(day, datetime.min.time()), limit))


def items(query: Any, now: datetime, calendar: api.WorkCalendar, settings: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Planned audits not yet reported, and unanswered nonconformities of open audits."""
    out = []
    for row in programme.rows(query, now):
        if row["status"] == programme.DONE:
            continue
        out.append({"kind": "audit-planned", "ref": row["programme"],
                    "title": f"内部审核 {row['dept']}（{'、'.join(row['clauses'])}）Internal audit planned for {row['month']}",
                    "due": row["due"], "owner": "quality_officer", "dept": row["dept"]})
    limit = respond_within(settings)
    for audit in programme.current(query(form=AUDIT)):
        if audit.get("closed"):
            continue
        data = audit.get("data") or {}
        due = response_due(data, calendar, limit)
        if due is None:
            continue
        for finding in grades.awaiting_response(data):
            out.append({"kind": "audit-finding-response", "ref": audit["number"],
                        "title": f"回复内审不符合项 {finding.get('no')}（{finding.get('grade')}，{finding.get('clause')}）"
                                 f" Respond to audit nonconformity",
                        "due": due.isoformat(), "owner": "department", "dept": data.get("dept", "")})
    return out
